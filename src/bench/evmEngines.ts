/**
 * The engines `blockstm bench` times on one block, behind one interface:
 *
 * - `sequential`, `blockstm`: the EVM binding's `executeBlock` (src/evm) — the timed span is
 *   the whole call (system operations, engine, receipts, receipts root, post-state); the
 *   engine's own span is reported as `engineMs`.
 * - `ideal`: src/executor/ideal.ts over the same transaction VM (src/evm/txvm.ts): the
 *   transactions split evenly over `threads` workers, each on a private copy of the pre-state,
 *   no coordination. Only the engine span exists; its `ms` (computed in evmBench.ts) adds the block-level work outside
 *   the engine that `sequential` measured (median), so that speedups compare like with like.
 *   The engine job is built here (src/evm/index.ts builds its own internally and exports no
 *   hook): pre-state locations (`preStateEntries`) and the payload `executeBlock` builds. The
 *   pre-block system writes (EIP-4788/2935) are left out: they change no timing that matters.
 * - `ethereumjs`: plain @ethereumjs/vm `runBlock` as users run it today — default
 *   MerkleStateManager holding the pre-state, default (pure-JS) crypto, senders recovered
 *   during the run (the block is decoded afresh before every run, so no sender is cached).
 *   `generate: true` and skipped block/header/hardfork validation, because a fixture's partial
 *   pre-state cannot reproduce the header's state root. Untimed per run: a copy of the loaded
 *   trie (`shallowCopy` + `setStateRoot`), the VM and the decoded block.
 */
import type { SchedulerKind } from '../scheduler/types.js'
import { createBlockFromRLP } from '@ethereumjs/block'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToBigInt, bytesToHex, equalsBytes, hexToBytes } from '@ethereumjs/util'
import { createVM, runBlock, type RunBlockResult } from '@ethereumjs/vm'
import { isDeepStrictEqual } from 'node:util'
import type { ExecutionStats } from '../executor/engine.js'
import { IdealExecutor } from '../executor/ideal.js'
import { MapBaseState } from '../executor/baseState.js'
import { blockHashFor, createEvmExecutor, preStateEntries, type EvmBlockResult, type EvmExecutor, type PostState } from '../evm/index.js'
import { putPreState, slotBytes } from '../evm/state.js'
import type { EvmBlockPayload } from '../evm/txvm.js'
import { commonFor } from '../evm/chain.js'
import { encodeBlock } from '../evm/blockRlp.js'
import { createSenderTable } from '../evm/senderTable.js'
import type { BenchBlock } from './evmBlock.js'
import { EVM_PREDICTORS, type EvmPredictorName } from '../evm/predictors.js'

export const ENGINE_NAMES = ['sequential', 'blockstm', 'ideal', 'ethereumjs', 'static-batch'] as const
/** An engine; `static-batch:<predictor>` picks the planner's predictor (default address). */
export type BenchEngineName = (typeof ENGINE_NAMES)[number] | `static-batch:${EvmPredictorName}`

export function isBenchEngineName(s: string): s is BenchEngineName {
  if ((ENGINE_NAMES as readonly string[]).includes(s)) return true
  return s.startsWith('static-batch:') && (EVM_PREDICTORS as readonly string[]).includes(s.slice('static-batch:'.length))
}

/** Options of the binding engines. */
export interface RunnerOptions {
  /** Simulated slow state source (µs per first read of a pre-block location). */
  readLatencyUs?: number
  /** blockstm lanes per thread (default 1; 32 with a slow source). */
  lanes?: number
  /** blockstm scheduler (engine default when absent). */
  scheduler?: SchedulerKind
}

export interface RunOutcome {
  /** Wall time of the timed span. */
  ms: number
  /** Wall time inside the engine (the whole run for ethereumjs). */
  engineMs: number
  stats?: ExecutionStats
  gasUsed?: bigint
}

export interface EngineRunner {
  readonly name: BenchEngineName
  run(b: BenchBlock): Promise<RunOutcome>
  /** Compares the last run's results with the reference engine's (undefined: identical). */
  check?(b: BenchBlock, reference: EvmBlockResult): Promise<string | undefined>
  /** The last result (binding engines only). */
  last?(): EvmBlockResult | undefined
  close(): Promise<void>
}

export const txvmModule = new URL(import.meta.url.endsWith('.ts') ? '../evm/txvm.ts' : '../evm/txvm.js', import.meta.url).href

/** The parts of an executeBlock result that must be identical across engines. */
export function comparable(r: EvmBlockResult): unknown {
  return { gasUsed: r.gasUsed, logsBloom: r.logsBloom, receiptsRoot: r.receiptsRoot, receipts: r.receipts, results: r.results, postState: r.postState }
}

export function describeDifference(a: EvmBlockResult, b: EvmBlockResult): string | undefined {
  if (isDeepStrictEqual(comparable(a), comparable(b))) return undefined
  if (a.gasUsed !== b.gasUsed) return `gasUsed ${a.gasUsed} vs ${b.gasUsed}`
  for (let i = 0; i < Math.max(a.results.length, b.results.length); i++) {
    if (!isDeepStrictEqual(a.results[i], b.results[i]) || !isDeepStrictEqual(a.receipts[i], b.receipts[i])) return `transaction ${i} differs`
  }
  if (!isDeepStrictEqual(a.postState, b.postState)) {
    for (const addr of new Set([...a.postState.keys(), ...b.postState.keys()])) {
      if (!isDeepStrictEqual(a.postState.get(addr), b.postState.get(addr))) return `post-state of ${addr} differs`
    }
  }
  return 'receipts root or logs bloom differs'
}

class BindingRunner implements EngineRunner {
  private result: EvmBlockResult | undefined
  constructor(
    readonly name: BenchEngineName,
    private readonly ex: EvmExecutor,
  ) {}
  async run(b: BenchBlock): Promise<RunOutcome> {
    const t0 = performance.now()
    const r = await this.ex.executeBlock({ block: b.block, preState: b.preState, blockHashes: b.blockHashes, senderHints: b.senderHints })
    const ms = performance.now() - t0
    this.result = r
    return { ms, engineMs: r.stats.wallMs, stats: r.stats, gasUsed: r.gasUsed }
  }
  async check(_b: BenchBlock, reference: EvmBlockResult): Promise<string | undefined> {
    return this.result === undefined ? 'no result' : describeDifference(reference, this.result)
  }
  last(): EvmBlockResult | undefined {
    return this.result
  }
  close(): Promise<void> {
    return this.ex.close()
  }
}

/** The `ideal` engine's job for a block (see the module comment). */
export function idealJob(b: BenchBlock): { txCount: number; payload: EvmBlockPayload; base: MapBaseState } {
  const payload: EvmBlockPayload = {
    blockRlp: encodeBlock(b.block),
    hardfork: b.common.hardfork(),
    eips: b.common.eips(),
    blockHashes: [...b.blockHashes],
    crypto: 'native',
    coinbaseDelta: true,
  }
  return { txCount: b.block.transactions.length, payload, base: new MapBaseState(preStateEntries(b.preState)) }
}

class IdealRunner implements EngineRunner {
  readonly name = 'ideal' as const
  private jobs = new WeakMap<BenchBlock, ReturnType<typeof idealJob>>()
  constructor(private readonly ex: IdealExecutor) {}
  async run(b: BenchBlock): Promise<RunOutcome> {
    let job = this.jobs.get(b)
    if (job === undefined) this.jobs.set(b, (job = idealJob(b)))
    // A fresh sender table per run (like executeBlock's), or later runs would recover nothing.
    const { wallMs } = await this.ex.execute({ ...job, payload: { ...job.payload, senderTable: createSenderTable(job.txCount) } })
    return { ms: wallMs, engineMs: wallMs }
  }
  close(): Promise<void> {
    return this.ex.close()
  }
}

interface LoadedTrie {
  trie: MerkleStateManager
  root: Uint8Array
}

class EthereumjsRunner implements EngineRunner {
  readonly name = 'ethereumjs' as const
  private loaded = new WeakMap<BenchBlock, LoadedTrie>()
  private lastRun: { sm: MerkleStateManager; res: RunBlockResult } | undefined

  private async load(b: BenchBlock): Promise<LoadedTrie> {
    let l = this.loaded.get(b)
    if (l !== undefined) return l
    const common = await commonFor(b.common.hardfork(), b.common.eips(), 'default')
    const sm = new MerkleStateManager({ common })
    await putPreState(sm, b.preState)
    await sm.checkpoint()
    await sm.commit()
    await sm.flush()
    l = { trie: sm, root: await sm.getStateRoot() }
    this.loaded.set(b, l)
    return l
  }

  async run(b: BenchBlock): Promise<RunOutcome> {
    const l = await this.load(b)
    const common = await commonFor(b.common.hardfork(), b.common.eips(), 'default')
    const sm = new MerkleStateManager({ common, trie: (l.trie as unknown as { _trie: { shallowCopy(b: boolean): never } })._trie.shallowCopy(false) })
    await sm.setStateRoot(l.root)
    const hashes = b.blockHashes
    const blockchain = { getBlock: async (n: number | bigint) => ({ hash: () => blockHashFor(hashes, BigInt(n)) }), shallowCopy() { return this } }
    const vm = await createVM({ common, stateManager: sm, blockchain: blockchain as never })
    const block = createBlockFromRLP(b.block.serialize(), { common, setHardfork: false })
    const t0 = performance.now()
    const res = await runBlock(vm, { block, generate: true, skipBlockValidation: true, skipHeaderValidation: true, skipHardForkValidation: true })
    const ms = performance.now() - t0
    this.lastRun = { sm, res }
    return { ms, engineMs: ms, gasUsed: res.gasUsed }
  }

  async check(b: BenchBlock, ref: EvmBlockResult): Promise<string | undefined> {
    const run = this.lastRun
    if (run === undefined) return 'no result'
    const { res, sm } = run
    if (res.gasUsed !== ref.gasUsed) return `gasUsed ${res.gasUsed} vs ${ref.gasUsed}`
    if (!equalsBytes(res.logsBloom, ref.logsBloom)) return 'logs bloom differs'
    for (let i = 0; i < ref.receipts.length; i++) {
      const a = res.receipts[i] as unknown as Record<string, unknown>
      const r = ref.receipts[i] as unknown as Record<string, unknown>
      if (a === undefined || a.cumulativeBlockGasUsed !== r.cumulativeBlockGasUsed || a.status !== r.status || !isDeepStrictEqual(a.logs, r.logs)) {
        return `receipt ${i} differs`
      }
    }
    const root = await sm.getStateRoot()
    const fresh = new MerkleStateManager({ common: b.common, trie: (sm as unknown as { _trie: { shallowCopy(b: boolean): never } })._trie.shallowCopy(false) })
    await fresh.setStateRoot(root)
    return comparePostState(fresh, ref.postState, b)
  }

  async close(): Promise<void> {}
}

/** Compares the accounts and slots of `post` (and the pre-state's slots) with a state manager. */
async function comparePostState(sm: MerkleStateManager, post: PostState, b: BenchBlock): Promise<string | undefined> {
  for (const [addr, acc] of post) {
    const a = new Address(hexToBytes(addr as `0x${string}`))
    const got = await sm.getAccount(a)
    if (acc === null) {
      if (got !== undefined) return `${addr} exists in ethereumjs's post-state only`
      continue
    }
    if (got === undefined) return `${addr} is missing from ethereumjs's post-state`
    if (got.balance !== acc.balance || got.nonce !== acc.nonce) return `${addr}: balance/nonce differ`
    if (bytesToHex(await sm.getCode(a)) !== bytesToHex(acc.code)) return `${addr}: code differs`
    const slots = new Set([...acc.storage.keys(), ...(b.preState.get(addr)?.storage.keys() ?? [])])
    for (const k of slots) {
      const v = bytesToBigInt(await sm.getStorage(a, slotBytes(k)))
      if (v !== (acc.storage.get(k) ?? 0n)) return `${addr} slot ${k} differs`
    }
  }
  return undefined
}

export async function createRunner(name: BenchEngineName, threads: number, opts: RunnerOptions = {}): Promise<EngineRunner> {
  const latency = opts.readLatencyUs !== undefined && opts.readLatencyUs > 0 ? { readLatencyUs: opts.readLatencyUs } : {}
  if (name.startsWith('static-batch')) {
    const predictor = (name.split(':')[1] ?? 'address') as EvmPredictorName
    return new BindingRunner(name, createEvmExecutor({ engine: 'static-batch', threads, predictor, ...latency }))
  }
  switch (name) {
    case 'sequential':
      return new BindingRunner('sequential', createEvmExecutor({ engine: 'sequential', ...latency }))
    case 'blockstm':
      return new BindingRunner(
        'blockstm',
        createEvmExecutor({
          engine: 'blockstm',
          threads,
          lanes: opts.lanes ?? (latency.readLatencyUs !== undefined ? 32 : 1),
          ...latency,
          ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
        }),
      )
    case 'ideal':
      return new IdealRunner(await IdealExecutor.create({ threads, vmModule: txvmModule }))
    case 'ethereumjs':
      return new EthereumjsRunner()
    default:
      throw new RangeError(`unknown engine ${name}`)
  }
}
