/**
 * The Block-STM executor: lays out one block in shared memory, runs the executor loop on
 * every thread, and turns the multi-version memory into the block's result.
 *
 * Per block:
 *  1. reset the shared memory; lay out the scheduler (per-transaction records) and the
 *     location table; copy the pre-block state into the table (each location's base value);
 *  2. run `lanes` executor loops on each of `threads` workers (or on the calling thread
 *     when threads = 1) until the scheduler is done;
 *  3. collect each transaction's output of its highest incarnation, and the final state
 *     diff from the multi-version memory; or, if the block switched to serial mode, keep the
 *     committed prefix and run the rest on the calling thread (sequentialTail.ts).
 *
 * Failure handling: a transaction VM exception that survives validation fails the block
 * with {@link TransactionVMError} (as sequential execution would). A capacity error (the
 * block does not fit the shared memory: {@link CapacityError}) raised anywhere in the block
 * — a read, the record of writes or deltas, the sequential tail, the layout — re-runs the
 * block sequentially, whatever `onWorkerFailure` says, with `stats.fallback` starting
 * `sequential: capacity:`; it is never reported as a VM or worker failure. A worker that crashes,
 * exits, answers garbage or misses the deadline aborts the block in every thread (the ABORT
 * word) and is replaced; the block is then re-run sequentially on the calling thread
 * (`onWorkerFailure: 'sequential'`, reported in `stats.fallback`) or fails with
 * {@link WorkerFailureError}. No partial result is ever returned.
 */
import { siblingUrl } from './workerStart.js'
import { EngineInvariantError, TransactionVMError } from './errors.js'
import { WorkerFailureError, createEnginePool, type WorkerPool } from './workerPool.js'
import type { BlockExecutor, BlockJob, BlockResult, ExecutionStats } from './types.js'
import { loadVMModule, moduleUrl } from './types.js'
import type { TransactionVMModule } from './types.js'
import { BlockLayout } from './layout.js'
import { BaseFetcher } from './baseFetcher.js'
import { lazyBlockState } from './baseState.js'
import { CapacityError, EngineAbortedError, SharedMemory } from '../mvmemory/sharedMemory.js'
import { MVMemory } from '../mvmemory/mvMemory.js'
import { openScheduler, schedulerKind } from '../scheduler/create.js'
import type { SchedulerKind } from '../scheduler/types.js'
import { ExecutorLane, OutputBuffer, TransactionFailure, errorMessage, settleLanes, type TraceEvent } from './executor.js'
import { committedPrefix, runSequentialTail, type CommittedPrefix, type TailResult } from './sequentialTail.js'
import { decodeInto, type BlockMessage, type PrepareMessage, type WorkerReply } from './protocol.js'
import { runSequentialJob } from './sequential.js'
import { compareKeys } from './keys.js'
import type { FaultPlan } from './faults.js'

export { WorkerFailureError }
export { DEFAULT_SCHEDULER, UnknownSchedulerError } from '../scheduler/create.js'

export interface BlockSTMOptions {
  /**
   * Threads executing the block: worker threads, or with `callerExecutes` the calling thread
   * and `threads − 1` workers (1 runs Block-STM on the calling thread).
   */
  threads: number
  /**
   * The calling thread is one of `threads` (default false): it runs `lanes` executions of
   * each block itself, beside `threads − 1` workers. For a one-shot process (the command
   * line's `block`), where every worker costs its start-up and its JIT warm-up on the one
   * block; the calling thread is busy for the whole block.
   */
  callerExecutes?: boolean
  /** Module path or file URL exporting `createTransactionVM(payload, lane)`. */
  vmModule: string
  /** Concurrent executions per thread (default 1; more overlap waits on a slow state source). */
  lanes?: number
  /**
   * Size of the shared memory (default 512 MiB of address space, committed as used): an
   * integer from 64 KiB to 2 GiB (byte offsets are stored in Int32 words), else the executor
   * throws RangeError at creation. A block that does not fit runs sequentially (a capacity
   * fallback, reported in `stats.fallback`).
   */
  memoryBytes?: number
  /** A block still running after this many milliseconds is aborted (default 10 minutes). */
  deadlineMs?: number
  /** Blocks with fewer transactions run sequentially (default 2 × threads; 0 disables). */
  minParallelTxs?: number
  /**
   * Serial fallback: once aborts + dependency waits exceed this fraction of the block's
   * transactions (or the progress made so far, see the scheduler), the threads stop and the
   * calling thread runs the rest of the block sequentially after the committed prefix
   * (default 0.5; Infinity disables). Bounds the wasted work of pathological blocks;
   * reported in `stats.fallback`. Scheduler v2 uses no budget: it switches when measured
   * progress shows the block running slower than sequential execution would (useful
   * execution time below the wall time, src/scheduler/schedulerV2.ts); Infinity disables
   * that too.
   */
  serialFallbackRatio?: number
  /**
   * A block whose known critical path (`BlockJob.criticalPath`) covers at least this
   * fraction of its transactions runs sequentially on the calling thread, while the workers
   * run the VM module's `prefetch` for it (default 0.75; Infinity disables). Reported in
   * `stats.fallback`.
   */
  chainFallbackRatio?: number
  /** What to do when a worker fails: re-run the block sequentially (default) or throw. */
  onWorkerFailure?: 'sequential' | 'throw'
  /**
   * The Block-STM scheduler: 'v1' (the paper's, src/scheduler/scheduler.ts) or 'v2' (after
   * Aptos' BlockSTMv2, src/scheduler/schedulerV2.ts). Default: {@link DEFAULT_SCHEDULER}.
   * Anything else throws `UnknownSchedulerError` (a RangeError) at construction.
   */
  scheduler?: SchedulerKind
}

export { TransactionVMError } from './errors.js'

/** A worker's report that the block did not fit the shared memory (its error, rebuilt here). */
class CapacityReport extends CapacityError {
  constructor(name: string, message: string) {
    super(message)
    this.name = name
  }
}

/** Per-block options of this engine. */
export interface BlockJobInternals {
  /** Fault injection (tests only). */
  faults?: FaultPlan
  /** Record a timeline of every task (returned as `trace`). */
  trace?: boolean
}

export interface TracedBlockResult<O> extends BlockResult<O> {
  trace?: TraceEvent[]
}

const workerUrl = siblingUrl(import.meta.url, 'worker')

export async function createBlockSTMExecutor(opts: BlockSTMOptions): Promise<BlockSTMExecutor> {
  const ex = new BlockSTMExecutor(opts)
  await ex.start()
  return ex
}

export class BlockSTMExecutor implements BlockExecutor {
  readonly engine = 'blockstm'
  readonly threads: number
  readonly scheduler: SchedulerKind
  private readonly lanes: number
  private readonly mem: SharedMemory
  private readonly pool: WorkerPool<WorkerReply> | undefined
  /** Worker threads: `threads`, less the calling thread when it executes too. */
  private readonly workers: number
  private seq = 0
  private closed = false
  private localMod?: Promise<TransactionVMModule>
  private running = false
  private readonly layout: BlockLayout
  /** The payload of the next block as announced to the workers, with the number it was sent under. */
  private announced: { seq: number; payload: unknown } | undefined

  constructor(private readonly opts: BlockSTMOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`threads must be a positive integer, got ${opts.threads}`)
    this.threads = opts.threads
    this.scheduler = schedulerKind(opts.scheduler)
    this.lanes = opts.lanes ?? 1
    if (!Number.isInteger(this.lanes) || this.lanes < 1) throw new RangeError(`lanes must be a positive integer, got ${opts.lanes}`)
    // Shared even for threads = 1: lanes wait on it with Atomics.waitAsync.
    this.mem = SharedMemory.create(opts.memoryBytes ?? 512 * 1024 * 1024, true)
    this.layout = new BlockLayout(this.mem)
    this.workers = this.threads > 1 && opts.callerExecutes === true ? this.threads - 1 : this.threads
    if (this.threads > 1) this.pool = createEnginePool<WorkerReply>(workerUrl, this.workers, this.mem, moduleUrl(opts.vmModule))
  }

  async start(): Promise<void> {
    await this.pool?.start()
    // Load the VM module here too: used for threads = 1, small blocks and fallbacks.
    await this.localModule()
  }

  /**
   * Sends the next block's payload to the workers ahead of its pre-block state: all but one
   * (which leaves a core to the caller) run the VM module's `prefetch` until the block
   * arrives, and then execute it on the payload they prepared.
   */
  announce(payload: unknown): void {
    if (this.pool === undefined || this.closed || this.running) return
    const seq = ++this.seq
    this.announced = { seq, payload }
    this.broadcastPrepare(seq, payload)
  }

  private broadcastPrepare(seq: number, payload: unknown): void {
    this.pool!.broadcast({ type: 'prepare', seq, payload, prefetchers: this.prefetchers() } satisfies PrepareMessage)
  }

  /** Workers that prefetch while the calling thread is busy (all but one). */
  private prefetchers(): number {
    return Math.max(1, this.workers - 1)
  }

  private localModule(): Promise<TransactionVMModule> {
    this.localMod ??= loadVMModule(this.opts.vmModule)
    return this.localMod
  }

  async execute<O>(job: BlockJob & BlockJobInternals): Promise<TracedBlockResult<O>> {
    if (this.closed) throw new Error('the Block-STM executor is closed')
    if (this.running) throw new Error('the Block-STM executor runs one block at a time')
    this.running = true
    if (job.base.lazy === true) job = { ...job, base: lazyBlockState(job.base) }
    const announced = this.announced
    this.announced = undefined
    try {
      const start = performance.now()
      const min = this.opts.minParallelTxs ?? 2 * this.threads
      if (job.txCount < min) return await this.sequential<O>(job, start, `block of ${job.txCount} transactions is below minParallelTxs=${min}`)
      const chainRatio = this.opts.chainFallbackRatio ?? 0.75
      if (job.criticalPath !== undefined && job.criticalPath >= chainRatio * job.txCount) {
        // Workers not told of this block yet are told now: they prefetch while this thread runs it.
        if (this.pool !== undefined && announced?.payload !== job.payload) this.broadcastPrepare(++this.seq, job.payload)
        const why = `its critical path is ${job.criticalPath} of ${job.txCount} transactions (chainFallbackRatio=${chainRatio})${this.pool !== undefined ? '; the workers prefetched for it' : ''}`
        return await this.sequential<O>(job, start, why)
      }
      try {
        // The announced block keeps its number (the workers hold its payload under it); any
        // other gets a fresh one, which no worker can mistake for the announced block.
        return await this.parallel<O>(job, start, announced !== undefined && announced.payload === job.payload ? announced.seq : ++this.seq)
      } catch (e) {
        if (e instanceof CapacityError) return await this.sequential<O>(job, start, `capacity: ${e.message}`)
        if (e instanceof WorkerFailureError && (this.opts.onWorkerFailure ?? 'sequential') === 'sequential') {
          await this.pool?.heal()
          return await this.sequential<O>(job, start, e.message)
        }
        if (e instanceof WorkerFailureError) await this.pool?.heal()
        throw e
      }
    } finally {
      this.running = false
    }
  }

  private async sequential<O>(job: BlockJob, start: number, why: string): Promise<BlockResult<O>> {
    const mod = (await this.localModule()) as TransactionVMModule<O>
    return runSequentialJob(mod, job, { engine: 'blockstm', threads: this.threads, start, fallback: `sequential: ${why}` })
  }

  private async parallel<O>(job: BlockJob & BlockJobInternals, start: number, seq: number): Promise<TracedBlockResult<O>> {
    if (this.pool?.anyDead()) await this.pool.heal()
    const ratio = this.opts.serialFallbackRatio ?? 0.5
    // Floor of the early (progress) test: 8 lost executions per execution in flight.
    const floor = Math.max(16, 8 * this.threads * this.lanes)
    this.layout.prepare(job, seq, Number.isFinite(ratio) ? Math.max(floor, Math.floor(job.txCount * ratio)) : -1, floor, this.scheduler)
    // A lazy base state: this thread serves the workers' fetches for the whole block.
    const fetcher = job.base.lazy === true ? new BaseFetcher(this.mem, job.base) : undefined
    fetcher?.start()
    try {
      const r = await this.runParallel<O>(job, start, seq, fetcher)
      await fetcher?.stop()
      if (fetcher !== undefined) r.stats.fetch = fetcher.stats()
      return r
    } catch (e) {
      await fetcher?.stop()
      // A failed read aborted the block: that failure, not the abort it caused, is the error.
      if (fetcher?.error !== undefined) throw fetcher.error
      if (fetcher?.capacity !== undefined) throw fetcher.capacity
      throw e
    }
  }

  private async runParallel<O>(job: BlockJob & BlockJobInternals, start: number, seq: number, fetcher: BaseFetcher | undefined): Promise<TracedBlockResult<O>> {
    const mem = this.mem
    const mv = new MVMemory(mem)
    const out = new OutputBuffer<unknown>()
    const trace: TraceEvent[] | undefined = job.trace ? [] : undefined
    if (this.threads === 1) {
      await this.runLocalLanes(job, mv, out, trace, 0)
    } else if (this.workers < this.threads) {
      // The calling thread executes too (callerExecutes): its lanes and the workers together.
      const local = this.runLocalLanes(job, mv, out, trace, this.workers)
      // A worker that failed (or a deadline) stops the calling thread's lanes too: a task the
      // worker held would never finish.
      const onWorkers = this.runOnWorkers(job, seq, out, trace).catch((e: unknown) => {
        this.mem.abort()
        throw e
      })
      const [l, w] = await Promise.allSettled([local, onWorkers])
      // A real failure first, wherever it happened; an abort only when nothing else failed.
      if (l.status === 'rejected' && !(l.reason instanceof EngineAbortedError)) throw l.reason
      if (w.status === 'rejected') throw w.reason
      if (l.status === 'rejected') throw l.reason
    } else {
      await this.runOnWorkers(job, seq, out, trace)
    }
    const scheduler = openScheduler(mem)
    let committed: CommittedPrefix | undefined
    if (!scheduler.done()) {
      if (!scheduler.serial()) throw new EngineInvariantError('executor loops returned before the block was done')
      committed = committedPrefix(mv, scheduler, job.txCount)
    }
    // Locations written but never read (e.g. only credited): their pre-block values, which
    // the diff folds deltas onto and compares with.
    await fetcher?.settleWritten()
    const prefix = committed?.from ?? job.txCount
    const outputs: O[] = new Array(job.txCount)
    // A failure in the committed prefix fails the block before any later transaction runs.
    for (let tx = 0; tx < prefix; tx++) {
      if (!out.outputs.has(tx)) throw new EngineInvariantError(`transaction ${tx} has no output`)
      const o = out.outputs.get(tx)
      if (o instanceof TransactionFailure) throw new TransactionVMError(tx, o.message)
      outputs[tx] = o as O
    }
    const tail = committed !== undefined ? await this.finishSequentially<O>(job, mv, prefix, trace) : undefined
    for (let tx = prefix; tx < job.txCount; tx++) outputs[tx] = tail!.outputs[tx]!
    const writes = (tail?.writes ?? mv.finalWrites(job.txCount)).sort((a, b) => compareKeys(a[0], b[0]))
    const s = scheduler.stats()
    const stats: ExecutionStats = { engine: 'blockstm', threads: this.threads, ...s, wallMs: performance.now() - start }
    if (committed !== undefined) {
      stats.executions += job.txCount - prefix
      stats.validations += committed.validations
      const why =
        scheduler.kind === 'v2'
          ? `the block was not progressing (useful execution time below the wall time, scheduler v2) with ${scheduler.serialAt()} transactions committed`
          : `wasted work (aborts, waits on reads) exceeded the budget at transaction ${scheduler.serialAt()}`
      stats.fallback = `serial: ${why}; transactions ${prefix}..${job.txCount - 1} ran sequentially on the calling thread`
    }
    return trace ? { outputs, writes, stats, trace: trace.sort((a, b) => a.start - b.start) } : { outputs, writes, stats }
  }

  /** Runs `lanes` executor lanes of the block on the calling thread (trace row `thread`). */
  private async runLocalLanes(job: BlockJob, mv: MVMemory, out: OutputBuffer<unknown>, trace: TraceEvent[] | undefined, thread: number): Promise<void> {
    const mod = await this.localModule()
    const lanes = []
    for (let l = 0; l < this.lanes; l++) {
      const vm = await mod.createTransactionVM(job.payload, l)
      lanes.push(new ExecutorLane(mv, openScheduler(this.mem), vm, out, trace && { thread, lane: l, events: trace }).run())
    }
    await settleLanes(this.mem, lanes)
  }

  /** Serial mode: the committed prefix stands, the calling thread runs the rest (sequentialTail.ts). */
  private async finishSequentially<O>(job: BlockJob, mv: MVMemory, from: number, trace?: TraceEvent[]): Promise<TailResult<O>> {
    const mod = (await this.localModule()) as TransactionVMModule<O>
    const vm = await mod.createTransactionVM(job.payload, 0)
    const t0 = trace !== undefined ? performance.timeOrigin + performance.now() : 0
    // A capacity error in the tail comes out as such (not through this callback).
    const tail = await runSequentialTail(vm, mv, from, job, (tx, e) => new TransactionVMError(tx, errorMessage(e)))
    if (trace !== undefined && from < job.txCount) {
      // One bar for the whole tail, on the calling thread's row (thread -1).
      const end = performance.timeOrigin + performance.now()
      trace.push({ thread: -1, lane: 0, kind: 'execute', tx: from, lastTx: job.txCount - 1, incarnation: 0, start: t0, end, outcome: 'recorded' })
    }
    return tail
  }

  private async runOnWorkers(job: BlockJob & BlockJobInternals, seq: number, out: OutputBuffer<unknown>, trace?: TraceEvent[]): Promise<void> {
    // In serial mode the calling thread runs the tail: all workers but one prefetch for it.
    const msg: BlockMessage = { type: 'block', seq, payload: job.payload, lanes: this.lanes, prefetchers: this.prefetchers(), faults: job.faults, trace: trace !== undefined }
    const pool = this.pool!
    const replies = pool.request(seq, msg)
    const deadline = this.opts.deadlineMs ?? 600_000
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadline)
    })
    const all = Promise.all(replies)
    let results = await Promise.race([all, timeout])
    if (results === 'timeout') {
      this.mem.abort()
      // Give healthy workers a moment to notice the abort; replace those that do not.
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 1000))
      const late = await Promise.race([all, grace])
      pool.abandonPending('did not answer before the deadline')
      clearTimeout(timer)
      if (late === 'timeout') throw new WorkerFailureError(`block exceeded its ${deadline} ms deadline; unresponsive workers were replaced`)
      throw new WorkerFailureError(`block exceeded its ${deadline} ms deadline`)
    }
    clearTimeout(timer)
    let failure: string | undefined
    let engineFault = false
    let capacity: Error | undefined
    for (let i = 0; i < results.length; i++) {
      const r = results[i]!
      if (r.type === 'error') {
        // A healthy worker that ran out of shared memory: the block is too big for it, not
        // a worker failure (the caller falls back to sequential execution).
        if (!r.aborted && r.capacity === true) capacity ??= new CapacityReport(r.name, r.message)
        else if (!r.aborted && failure === undefined) {
          failure = `worker ${i}: ${r.name}: ${r.message}`
          engineFault = r.invariant === true
        }
      } else if (r.type !== 'done' || r.seq !== seq || !Array.isArray(r.outputs)) {
        pool.markDead(i, 'answered a malformed message')
        failure ??= `worker ${i} answered a malformed message`
      }
    }
    if (failure === undefined && results.some((r) => r.type === 'error')) failure = 'block aborted'
    if (capacity !== undefined) throw capacity
    if (failure !== undefined) throw new WorkerFailureError(engineFault ? `engine fault: ${failure}` : failure, engineFault)
    for (const r of results) {
      if (r.type !== 'done') continue
      decodeInto(r.outputs, out)
      if (trace !== undefined && r.trace !== undefined) for (const e of r.trace) trace.push(e)
    }
  }

  async close(): Promise<void> {
    this.closed = true
    await this.pool?.close()
  }
}
