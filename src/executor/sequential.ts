/**
 * The sequential engine: executes transactions one after another in block order against a
 * plain map. It is the reference every parallel run must equal, and the fair single-thread
 * baseline (no multi-version bookkeeping at all).
 */
import type { IncarnationView, LocationKey, LocationValue, TransactionVM, TransactionVMModule } from './types.js'
import { loadVMModule, type BlockExecutor, type BlockJob, type BlockResult, type ExecutionStats } from './types.js'
import { decodeNumeric, encodeNumeric } from '../mvmemory/numeric.js'
import { keyToString, stringToKey } from './keys.js'
import type { BaseState } from './baseState.js'
import { checkDelta, equalBytes } from './incarnationView.js'

export interface SequentialResult<O> {
  outputs: O[]
  /** Every location whose value after the block differs from before it, sorted by key bytes. */
  writes: Array<[LocationKey, LocationValue]>
}

class SequentialView implements IncarnationView {
  readonly state = new Map<string, LocationValue>()
  /** Deltas on locations whose value was never loaded (applied when read, or at the end). */
  readonly deltas = new Map<string, bigint>()
  constructor(private readonly base: BaseState) {}
  read(key: LocationKey): LocationValue | undefined | Promise<LocationValue | undefined> {
    const k = keyToString(key)
    const v = this.state.get(k)
    if (v !== undefined) return v
    const b = this.base.get(key)
    if (!this.deltas.has(k)) return b
    return b instanceof Promise ? b.then((x) => this.settle(k, x)) : this.settle(k, b)
  }
  /** Folds the pending delta of `k` into its loaded pre-block value. */
  settle(k: string, base: LocationValue | undefined): LocationValue {
    const d = this.deltas.get(k)
    const cur = this.state.get(k)
    if (cur !== undefined) return cur
    const v = encodeNumeric(decodeNumeric(base) + (d ?? 0n))
    this.deltas.delete(k)
    this.state.set(k, v)
    return v
  }
  write(key: LocationKey, value: LocationValue): void {
    const k = keyToString(key)
    this.deltas.delete(k)
    this.state.set(k, value)
  }
  dependOn(_txIndex: number): void {
    // Every lower transaction has executed already.
  }
  addDelta(key: LocationKey, amount: bigint): void {
    checkDelta(amount)
    if (amount === 0n) return
    const k = keyToString(key)
    const current = this.state.get(k)
    if (current !== undefined) this.state.set(k, encodeNumeric(decodeNumeric(current) + amount))
    else this.deltas.set(k, (this.deltas.get(k) ?? 0n) + amount)
  }
  /** Applies the deltas still pending at the end of the block. */
  async settleAll(): Promise<void> {
    for (const k of [...this.deltas.keys()]) this.settle(k, await this.base.get(stringToKey(k)))
  }
}

/**
 * Runs transactions `from`..`to`-1 in order on a private state, keeping no result and
 * ignoring failures (the `ideal` engine's timing run).
 */
export async function executeRange<O>(vm: TransactionVM<O>, from: number, to: number, base: BaseState): Promise<void> {
  const view = new SequentialView(base)
  for (let i = from; i < to; i++) {
    try {
      await vm.execute(i, view)
    } catch {
      // A share may miss the transactions it depends on: its failures are expected.
    }
  }
}

/**
 * Runs a whole job sequentially with a fresh VM of `mod` and reports it as engine `engine`
 * (the sequential engine itself, and the sequential fallback of the parallel engines).
 * `start` is when the caller started timing.
 */
export async function runSequentialJob<O>(
  mod: TransactionVMModule<O>,
  job: BlockJob,
  report: { engine: string; threads: number; start: number; fallback?: string },
): Promise<BlockResult<O>> {
  const vm = await mod.createTransactionVM(job.payload, 0)
  const r = await executeSequential(vm, job.txCount, job.base)
  const stats: ExecutionStats = {
    engine: report.engine,
    threads: report.threads,
    executions: job.txCount,
    validations: 0,
    aborts: 0,
    dependencyWaits: 0,
    wallMs: performance.now() - report.start,
  }
  if (report.fallback !== undefined) stats.fallback = report.fallback
  return { ...r, stats }
}

/**
 * Runs transactions from..txCount-1 in order on `base` (the state before transaction
 * `from`). `failure` turns a VM exception of transaction i into the error thrown.
 */
export async function executeSequential<O>(
  vm: TransactionVM<O>,
  txCount: number,
  base: BaseState,
  from = 0,
  failure?: (tx: number, e: unknown) => Error,
): Promise<SequentialResult<O>> {
  const view = new SequentialView(base)
  const outputs: O[] = new Array(txCount)
  for (let i = from; i < txCount; i++) {
    try {
      outputs[i] = await vm.execute(i, view)
    } catch (e) {
      throw failure === undefined ? e : failure(i, e)
    }
  }
  await view.settleAll()
  // The state diff: locations whose final value differs from their value in `base`.
  const writes: Array<[LocationKey, LocationValue]> = []
  for (const k of [...view.state.keys()].sort()) {
    const key = stringToKey(k)
    const value = view.state.get(k)!
    const before = await base.get(key)
    if (before === undefined || !equalBytes(before, value)) writes.push([key, value])
  }
  return { outputs, writes }
}

export function createSequentialExecutor(opts: { vmModule: string }): BlockExecutor {
  let modP: Promise<TransactionVMModule> | undefined
  return {
    engine: 'sequential',
    threads: 1,
    async execute<O>(job: BlockJob): Promise<BlockResult<O>> {
      modP ??= loadVMModule(opts.vmModule)
      const mod = (await modP) as TransactionVMModule<O>
      return runSequentialJob(mod, job, { engine: 'sequential', threads: 1, start: performance.now() })
    },
    async close() {},
  }
}
