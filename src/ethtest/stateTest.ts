/**
 * execution-spec-tests / ethereum/tests state tests (`state_test` format), run the way geth's
 * `evm statetest` runs them: each post entry (fork × indexes) is one transaction (`txbytes`,
 * authoritative) executed on `pre` in a block made from `env`, under that fork.
 *
 * An entry passes when
 *   - without `expectException`: the transaction is accepted, the state root of the complete
 *     post-state is `hash` and keccak256(RLP(logs)) is `logs`;
 *   - with `expectException`: the transaction is refused (it does not decode, or the block
 *     holding it is invalid), which leaves the state unchanged.
 *
 * Back-ends: `engine` runs the one-transaction block through `createEvmExecutor` (sequential or
 * blockstm; with no withdrawals and no proof-of-work reward, the block's system operations
 * change nothing unless `pre` holds the system contracts); `reference` is plain @ethereumjs
 * `runTx` on a MerkleStateManager.
 *
 * Invariants: a fork name @ethereumjs does not define is reported as `unknown fork`, a failure,
 * never a pass; a malformed file raises an {@link InputError} naming the file and the test.
 * BLOCKHASH of a number answers keccak256 of its decimal string (the convention of the fillers),
 * supplied to both back-ends as a table of the 256 numbers below the block's.
 */
import { type Block, createBlock } from '@ethereumjs/block'
import { Common, Mainnet, type CustomCrypto } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createVM, runTx } from '@ethereumjs/vm'
import { getKZG, nativeEcrecover } from '../evm/crypto.js'
import { InputError, InvalidBlockError } from '../evm/errors.js'
import { parsePreState, readFixtureJSON } from '../evm/fixtures.js'
import type { EvmExecutor } from '../evm/index.js'
import { keccak256 } from '../evm/keccak.js'
import { commitPreState } from '../evm/state.js'
import { blockHashChain } from '../evm/chain.js'
import { forkHardfork } from './networks.js'
import { stateRoot } from './stateRoot.js'

export interface StateTestEntry {
  file: string
  /** `<test name> <fork>[<index in the fork's list>]`. */
  name: string
  test: string
  fork: string
  index: number
  env: Record<string, string>
  pre: Record<string, unknown>
  txbytes: string
  hash: string
  logs: string
  expectException?: string
}

export interface StateTestResult {
  file: string
  name: string
  status: 'passed' | 'failed'
  reason?: string
  ms: number
}

export type StateTestBackend = { kind: 'engine'; executor: EvmExecutor } | { kind: 'reference' }

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

const HEX = /^0x[0-9a-fA-F]*$/
const ENV_FIELDS = ['currentCoinbase', 'currentGasLimit', 'currentNumber', 'currentTimestamp'] as const

/** The entries of one state-test file (already parsed JSON). */
export function parseStateTests(json: unknown, file: string): StateTestEntry[] {
  if (!isObject(json)) throw new InputError(file, 'expected an object of state tests')
  const out: StateTestEntry[] = []
  for (const [test, raw] of Object.entries(json)) {
    const where = `test ${JSON.stringify(test)}`
    if (!isObject(raw)) throw new InputError(file, `${where}: expected an object`)
    if (!isObject(raw.env)) throw new InputError(file, `${where}: missing or non-object field 'env'`)
    if (!isObject(raw.pre)) throw new InputError(file, `${where}: missing or non-object field 'pre'`)
    if (!isObject(raw.post)) throw new InputError(file, `${where}: missing or non-object field 'post'`)
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries(raw.env)) {
      if (typeof v !== 'string' || !HEX.test(v)) throw new InputError(file, `${where}: env.${k}: expected a hex string`)
      env[k] = v
    }
    for (const k of ENV_FIELDS) if (env[k] === undefined) throw new InputError(file, `${where}: env.${k} missing`)
    for (const [fork, list] of Object.entries(raw.post)) {
      if (!Array.isArray(list)) throw new InputError(file, `${where}: post.${fork}: expected an array`)
      list.forEach((e: unknown, index: number) => {
        const at = `${where}: post.${fork}[${index}]`
        if (!isObject(e)) throw new InputError(file, `${at}: expected an object`)
        for (const k of ['txbytes', 'hash', 'logs'] as const) {
          if (typeof e[k] !== 'string' || !HEX.test(e[k] as string)) throw new InputError(file, `${at}: missing or non-hex field '${k}'`)
        }
        const entry: StateTestEntry = {
          file,
          name: `${test} ${fork}[${index}]`,
          test,
          fork,
          index,
          env,
          pre: raw.pre as Record<string, unknown>,
          txbytes: e.txbytes as string,
          hash: (e.hash as string).toLowerCase(),
          logs: (e.logs as string).toLowerCase(),
        }
        if (typeof e.expectException === 'string') entry.expectException = e.expectException
        out.push(entry)
      })
    }
  }
  return out
}

export function loadStateTestFile(file: string): StateTestEntry[] {
  return parseStateTests(readFixtureJSON(file), file)
}

const commons = new Map<string, Promise<Common>>()
/** The mainnet Common of a fork (KZG from Cancun on), one per fork and crypto back-end. */
function commonForFork(hardfork: string, crypto: 'native' | 'default'): Promise<Common> {
  const key = `${hardfork}|${crypto}`
  let c = commons.get(key)
  if (c === undefined) {
    c = (async () => {
      const customCrypto: CustomCrypto = { keccak256 }
      if (crypto === 'native') {
        const rec = nativeEcrecover()
        if (rec !== null) customCrypto.ecrecover = rec
      }
      const probe = new Common({ chain: Mainnet, hardfork })
      if (probe.isActivatedEIP(4844)) customCrypto.kzg = (await getKZG()) as CustomCrypto['kzg']
      return new Common({ chain: Mainnet, hardfork, customCrypto })
    })()
    commons.set(key, c)
  }
  return c
}

/** Whether @ethereumjs defines the hardfork for mainnet (bpo3…bpo5 are enum names only in 10.1.3). */
function knownHardfork(hardfork: string): boolean {
  return Mainnet.hardforks.some((h) => h.name === hardfork)
}

function errMsg(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return m.split('\n')[0]!.slice(0, 300)
}

/** The state-test BLOCKHASH convention: keccak256 of the number's decimal string, for the 256 numbers below `number`. */
export function stateTestBlockHashes(number: bigint): Map<bigint, Uint8Array> {
  const out = new Map<bigint, Uint8Array>()
  for (let n = number > 256n ? number - 256n : 0n; n < number; n++) out.set(n, keccak256(new TextEncoder().encode(n.toString())))
  return out
}

/** keccak256(RLP(logs)), as the fixtures' `logs`. */
export function logsHash(logs: Array<[Uint8Array, Uint8Array[], Uint8Array]>): string {
  return bytesToHex(keccak256(RLP.encode(logs as never)))
}

function buildBlock(entry: StateTestEntry, common: Common, tx: TypedTransaction): Block {
  const env = entry.env
  const header: Record<string, unknown> = {
    coinbase: env.currentCoinbase,
    gasLimit: env.currentGasLimit,
    number: env.currentNumber,
    timestamp: env.currentTimestamp,
    difficulty: env.currentDifficulty ?? '0x0',
  }
  if (env.currentRandom !== undefined) header.mixHash = env.currentRandom
  if (common.isActivatedEIP(1559)) header.baseFeePerGas = env.currentBaseFee ?? '0x0a'
  if (common.isActivatedEIP(4844)) header.excessBlobGas = env.currentExcessBlobGas ?? '0x0'
  return createBlock({ header, transactions: [tx] } as never, { common, setHardfork: false })
}

/** Runs one entry; never throws for a problem of the test itself (it fails instead). */
export async function runStateTestEntry(entry: StateTestEntry, backend: StateTestBackend): Promise<StateTestResult> {
  const start = performance.now()
  const done = (status: StateTestResult['status'], reason?: string): StateTestResult => ({
    file: entry.file,
    name: entry.name,
    status,
    ...(reason !== undefined ? { reason } : {}),
    ms: performance.now() - start,
  })
  const hardfork = forkHardfork(entry.fork)
  if (hardfork === undefined || !knownHardfork(hardfork)) return done('failed', `unknown fork '${entry.fork}'`)
  const expectRefusal = entry.expectException !== undefined
  const refused = (why: string): StateTestResult =>
    expectRefusal ? done('passed') : done('failed', `transaction refused: ${why}`)
  try {
    const common = await commonForFork(hardfork, backend.kind === 'engine' ? 'native' : 'default')
    const pre = parsePreState(entry.pre, entry.file)
    let tx: TypedTransaction
    let block: Block
    try {
      tx = createTxFromRLP(hexToBytes(entry.txbytes as `0x${string}`), { common })
      block = buildBlock(entry, common, tx)
    } catch (e) {
      return refused(`does not decode: ${errMsg(e)}`)
    }
    let root: Uint8Array
    let logs: string
    if (backend.kind === 'engine') {
      let r
      try {
        r = await backend.executor.executeBlock({ block, common, preState: pre, blockHashes: stateTestBlockHashes(block.header.number) })
      } catch (e) {
        if (e instanceof InvalidBlockError) return refused(errMsg(e))
        throw e
      }
      root = await stateRoot(r.postState)
      logs = logsHash(r.results[0]!.logs as never)
    } else {
      const sm = new MerkleStateManager({ common })
      await commitPreState(sm, pre)
      const hashes = stateTestBlockHashes(block.header.number)
      const blockchain = blockHashChain((n) => hashes.get(n) ?? new Uint8Array(32))
      const vm = await createVM({ common, stateManager: sm, blockchain: blockchain as never })
      let res
      try {
        res = await runTx(vm, { tx, block })
      } catch (e) {
        return refused(errMsg(e))
      }
      root = await sm.getStateRoot()
      logs = logsHash(res.receipt.logs as never)
    }
    if (expectRefusal) return done('failed', `transaction accepted, expected exception ${entry.expectException}`)
    if (bytesToHex(root) !== entry.hash) return done('failed', `state root ${bytesToHex(root)}, want ${entry.hash}`)
    if (logs !== entry.logs) return done('failed', `logs hash ${logs}, want ${entry.logs}`)
    return done('passed')
  } catch (e) {
    return done('failed', `error: ${errMsg(e)}`)
  }
}
