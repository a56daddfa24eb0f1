/**
 * Reading ethereum/tests BlockchainTests fixtures.
 *
 * - `listFixtureFiles`: every `.json` file under the given files/directories, recursively, in a
 *   stable (sorted) order; a path that does not exist raises an {@link InputError}.
 * - `loadFixtureFile`: one file as its tests (name → test), in file order. Malformed JSON or a
 *   test missing a required field raises an {@link InputError} naming the file (and test).
 * - `networkHardfork`: a single-fork `network` name as an @ethereumjs hardfork name (networks.ts
 *   parses transitions too).
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { InputError } from '../evm/errors.js'
import { readFixtureJSON } from '../evm/fixtures.js'
import { forkHardfork } from './networks.js'

export interface EthTestBlock {
  rlp: string
  expectException?: string
  /** Present on valid blocks (decoded header JSON), used for messages only. */
  blockHeader?: Record<string, string>
}

export interface EthTest {
  /** File the test came from. */
  file: string
  name: string
  network: string
  pre: Record<string, unknown>
  genesisBlockHeader: Record<string, string>
  genesisRLP: string
  blocks: EthTestBlock[]
  lastblockhash: string
  postState?: Record<string, unknown>
  postStateHash?: string
  sealEngine?: string
}

export function listFixtureFiles(paths: string[]): string[] {
  const out: string[] = []
  const walk = (p: string, top: boolean): void => {
    let st
    try {
      st = statSync(p)
    } catch {
      throw new InputError(p, 'no such file or directory')
    }
    if (st.isDirectory()) {
      let entries: string[]
      try {
        entries = readdirSync(p).sort()
      } catch (e) {
        throw new InputError(p, `cannot read directory: ${(e as Error).message}`)
      }
      for (const e of entries) {
        if (e.startsWith('.')) continue
        const child = join(p, e)
        let cst
        try {
          cst = statSync(child)
        } catch {
          continue
        }
        if (cst.isDirectory()) walk(child, false)
        else if (e.endsWith('.json')) out.push(child)
      }
    } else if (top || p.endsWith('.json')) out.push(p)
  }
  for (const p of paths) walk(p, true)
  return out
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

/** Parses one fixture file's JSON (already read) into its tests. */
export function parseFixture(json: unknown, file: string): EthTest[] {
  if (!isObject(json)) throw new InputError(file, 'expected an object of blockchain tests')
  const tests: EthTest[] = []
  for (const [name, raw] of Object.entries(json)) {
    const where = `test ${JSON.stringify(name)}`
    if (!isObject(raw)) throw new InputError(file, `${where}: expected an object`)
    const str = (k: string): string => {
      const v = raw[k]
      if (typeof v !== 'string') throw new InputError(file, `${where}: missing or non-string field '${k}'`)
      return v
    }
    const obj = (k: string): Record<string, unknown> => {
      const v = raw[k]
      if (!isObject(v)) throw new InputError(file, `${where}: missing or non-object field '${k}'`)
      return v
    }
    if (!Array.isArray(raw.blocks)) throw new InputError(file, `${where}: missing or non-array field 'blocks'`)
    const blocks: EthTestBlock[] = raw.blocks.map((b: unknown, i: number) => {
      if (!isObject(b) || typeof b.rlp !== 'string') throw new InputError(file, `${where}: blocks[${i}]: missing 'rlp'`)
      const out: EthTestBlock = { rlp: b.rlp }
      if (typeof b.expectException === 'string') out.expectException = b.expectException
      if (isObject(b.blockHeader)) out.blockHeader = b.blockHeader as Record<string, string>
      return out
    })
    const t: EthTest = {
      file,
      name,
      network: str('network'),
      pre: obj('pre'),
      genesisBlockHeader: obj('genesisBlockHeader') as Record<string, string>,
      genesisRLP: str('genesisRLP'),
      blocks,
      lastblockhash: str('lastblockhash'),
    }
    if (raw.postState !== undefined) t.postState = obj('postState')
    if (raw.postStateHash !== undefined) t.postStateHash = str('postStateHash')
    if (t.postState === undefined && t.postStateHash === undefined) throw new InputError(file, `${where}: neither 'postState' nor 'postStateHash'`)
    if (typeof raw.sealEngine === 'string') t.sealEngine = raw.sealEngine
    tests.push(t)
  }
  return tests
}

export function loadFixtureFile(file: string): EthTest[] {
  return parseFixture(readFixtureJSON(file), file)
}

/** The @ethereumjs hardfork of a single-fork network name (undefined: a transition or unknown; see networks.ts). */
export function networkHardfork(network: string): string | undefined {
  return forkHardfork(network)
}
