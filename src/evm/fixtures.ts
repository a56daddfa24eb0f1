/**
 * Reading block fixtures: `block.json` (eth_getBlockByNumber with full transactions),
 * `prestate.json` (geth prestateTracer format) and `block_hashes.json`.
 *
 * Invariants:
 * - The hardfork is chosen from the block number AND timestamp on the mainnet schedule
 *   (Paris from block 15537394, Shanghai/Cancun/Prague by timestamp).
 * - A file `x.json` may be stored brotli-compressed as `x.json.br` (read when `x.json` is absent).
 * - Every malformed input raises an {@link InputError} naming the file and the problem.
 * - BLOCKHASH is answered only from block_hashes.json (chain.ts): a block that asks for a
 *   hash the file lacks is rejected, never given an invented one.
 */
import { readFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { brotliDecompressSync } from 'node:zlib'
import type { Common } from '@ethereumjs/common'
import { type Block, createBlockFromRPC } from '@ethereumjs/block'
import { InputError } from './errors.js'
import { hexToBytesStrict, slotHex, slotBytes } from './state.js'
import type { AccountState, PreState } from './types.js'
import { mainnetCommon, type BlockHashes } from './chain.js'
export type { BlockHashes } from './chain.js'

const HEX_QUANTITY = /^0x[0-9a-fA-F]+$/

/** `file` exists, plain or brotli-compressed (`file.br`, as the repository keeps its mainnet blocks). */
function existsJSON(file: string): boolean {
  return existsSync(file) || existsSync(`${file}.br`)
}

/** Parses a fixture JSON file, plain or brotli-compressed (`file.br`); unreadable or malformed files throw {@link InputError}. */
export function readFixtureJSON(file: string): unknown {
  const plain = existsSync(file)
  if (!plain && !existsSync(`${file}.br`)) throw new InputError(file, 'file not found')
  let text: string
  try {
    text = plain ? readFileSync(file, 'utf8') : brotliDecompressSync(readFileSync(`${file}.br`)).toString('utf8')
  } catch (e) {
    throw new InputError(file, `cannot read: ${(e as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new InputError(file, `not valid JSON: ${(e as Error).message}`)
  }
}

function quantity(file: string, where: string, v: unknown): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v)
  if (typeof v === 'string' && HEX_QUANTITY.test(v)) return BigInt(v)
  throw new InputError(file, `${where}: expected a hex quantity, got ${JSON.stringify(v)}`)
}

/** Parses prestateTracer JSON (already loaded) into a PreState. */
export function parsePreState(json: unknown, file = 'prestate.json'): PreState {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InputError(file, 'expected an object of accounts')
  const pre: PreState = new Map()
  for (const [address, raw] of Object.entries(json as Record<string, unknown>)) {
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) throw new InputError(file, `bad address ${JSON.stringify(address)}`)
    if (raw === null || typeof raw !== 'object') throw new InputError(file, `${address}: expected an account object`)
    const a = raw as Record<string, unknown>
    let code: Uint8Array = new Uint8Array(0)
    if (a.code !== undefined) {
      if (typeof a.code !== 'string') throw new InputError(file, `${address}.code: expected hex`)
      try {
        code = hexToBytesStrict(a.code)
      } catch {
        throw new InputError(file, `${address}.code: not a hex byte string`)
      }
    }
    const storage = new Map<string, bigint>()
    if (a.storage !== undefined) {
      if (a.storage === null || typeof a.storage !== 'object') throw new InputError(file, `${address}.storage: expected an object`)
      for (const [slot, value] of Object.entries(a.storage as Record<string, unknown>)) {
        let key: string
        try {
          key = slotHex(slotBytes(slot))
        } catch {
          throw new InputError(file, `${address}.storage: bad slot ${JSON.stringify(slot)}`)
        }
        const v = quantity(file, `${address}.storage[${slot}]`, value)
        if (v >= 1n << 256n) throw new InputError(file, `${address}.storage[${slot}]: value exceeds 256 bits`)
        if (v !== 0n) storage.set(key, v)
      }
    }
    const acc: AccountState = {
      balance: a.balance === undefined ? 0n : quantity(file, `${address}.balance`, a.balance),
      nonce: a.nonce === undefined ? 0n : quantity(file, `${address}.nonce`, a.nonce),
      code,
      storage,
    }
    pre.set(address.toLowerCase(), acc)
  }
  return pre
}

export function loadPreState(file: string): PreState {
  return parsePreState(readFixtureJSON(file), file)
}

export interface LoadedBlock {
  block: Block
  common: Common
  /** The `from` field of each transaction (a scheduling hint only; senders are recovered). */
  senderHints: Array<string | undefined>
}

/** Parses eth_getBlockByNumber(n, true) JSON into a Block with the mainnet Common. */
export async function parseBlockJSON(json: unknown, file = 'block.json', common?: Common): Promise<LoadedBlock> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InputError(file, 'expected a block object')
  const b = json as Record<string, unknown>
  const number = quantity(file, 'number', b.number)
  const timestamp = quantity(file, 'timestamp', b.timestamp)
  if (!Array.isArray(b.transactions)) throw new InputError(file, 'transactions: expected an array')
  for (const [i, t] of (b.transactions as unknown[]).entries()) {
    if (t === null || typeof t !== 'object') throw new InputError(file, `transactions[${i}]: expected a full transaction object (fetch with eth_getBlockByNumber(n, true))`)
  }
  const c = common ?? (await mainnetCommon(number, timestamp))
  let block: Block
  try {
    block = createBlockFromRPC(b as never, [], { common: c, setHardfork: false })
  } catch (e) {
    throw new InputError(file, `cannot build the block: ${(e as Error).message.replace(/\s+/g, ' ')}`)
  }
  if (block.transactions.length !== (b.transactions as unknown[]).length) throw new InputError(file, 'transaction count mismatch')
  const senderHints = (b.transactions as Array<Record<string, unknown>>).map((t) =>
    typeof t.from === 'string' ? t.from.toLowerCase() : undefined,
  )
  return { block, common: c, senderHints }
}

export function loadBlock(file: string, common?: Common): Promise<LoadedBlock> {
  return parseBlockJSON(readFixtureJSON(file), file, common)
}

export function parseBlockHashes(json: unknown, file = 'block_hashes.json'): BlockHashes {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new InputError(file, 'expected an object of number → hash')
  const out: BlockHashes = new Map()
  for (const [n, h] of Object.entries(json as Record<string, unknown>)) {
    if (!/^\d+$/.test(n)) throw new InputError(file, `bad block number ${JSON.stringify(n)}`)
    if (typeof h !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(h)) throw new InputError(file, `${n}: expected a 32-byte hex hash`)
    out.set(BigInt(n), hexToBytesStrict(h))
  }
  return out
}

export interface BlockFixture extends LoadedBlock {
  dir: string
  preState: PreState
  blockHashes: BlockHashes
}

/** Loads `<dir>/block.json`, `<dir>/prestate.json` and block_hashes.json from `dir` or its parent. */
export async function loadBlockFixture(dir: string): Promise<BlockFixture> {
  if (!existsSync(dir)) throw new InputError(dir, 'directory not found')
  const loaded = await loadBlock(join(dir, 'block.json'))
  const preState = loadPreState(join(dir, 'prestate.json'))
  let blockHashes: BlockHashes = new Map()
  for (const f of [join(dir, 'block_hashes.json'), join(dirname(dir), 'block_hashes.json')]) {
    if (existsJSON(f)) {
      blockHashes = parseBlockHashes(readFixtureJSON(f), f)
      break
    }
  }
  return { ...loaded, dir, preState, blockHashes }
}
