/**
 * The static-batch planner as a block executor (`engine: 'static-batch'`).
 *
 * Per block:
 *  1. predict every transaction's accesses (`predict`) and group the transactions into
 *     batches (plan.ts): members of a batch are predicted independent of one another;
 *  2. lay out the block in shared memory exactly as Block-STM does (location table with the
 *     pre-block state, per-transaction records) and, for each batch in turn, let the workers
 *     claim its members (an atomic counter) and execute each against a `BlockSTMView`,
 *     recording reads and writes into the multi-version memory; a barrier ends the batch
 *     (a batch of one transaction runs on the calling thread: no barrier);
 *  3. after each batch, advance the *commit frontier* in block order: transaction i is
 *     validated (`Validator.validateReadSet`) once every transaction below i is final and i
 *     has executed; a failed validation, or an execution that had to wait for a lower
 *     transaction (`dependOn`), is a misprediction: the transaction is re-executed at once on
 *     the calling thread (every lower transaction being final, that re-execution is final).
 *
 * Invariant: when the frontier passes i, transactions 0..i-1 have their final writes in the
 * multi-version memory, so i's validated (or re-executed) reads are the sequential ones, and
 * the result (outputs of the last incarnations, final writes) equals sequential execution,
 * whatever the predictor said. A transaction may sit in a later batch than a higher one (the
 * batches follow conflicts, not block order); the frontier waits for it.
 *
 * Failure handling: a VM exception is kept as the transaction's output; the block fails with
 * `TransactionVMError` at the lowest failing transaction (as sequential would). A worker that
 * crashes or exits aborts the block; the pool is replaced and the block re-run sequentially
 * (`stats.fallback`).
 */
import { siblingUrl } from '../executor/workerStart.js'
import { createEnginePool, type WorkerPool } from '../executor/workerPool.js'
import type { BlockExecutor, BlockJob, BlockResult } from '../executor/types.js'
import { loadVMModule, moduleUrl } from '../executor/types.js'
import type { TransactionVM, TransactionVMModule } from '../executor/types.js'
import { BlockLayout } from '../executor/layout.js'
import { CapacityError, SharedMemory } from '../mvmemory/sharedMemory.js'
import { MVMemory } from '../mvmemory/mvMemory.js'
import { Validator } from '../validation/validate.js'
import { OutputBuffer, TransactionFailure } from '../executor/executor.js'
import { decodeInto } from '../executor/protocol.js'
import { runSequentialJob } from '../executor/sequential.js'
import { compareKeys } from '../executor/keys.js'
import { EngineInvariantError, TransactionVMError, WorkerFailureError } from '../executor/errors.js'
import { planBatches } from './plan.js'
import { C, CMD_END, CMD_RUN, CTRL_WORDS, ST_RECORDED, TxRunner } from './runner.js'
import type { PlannerBlockMessage, PlannerReply } from './protocol.js'
import type { ConflictRule, Plan, PlannerExecutionStats, Predict } from './types.js'

export interface StaticBatchOptions {
  /** Worker threads (1 runs the same algorithm on the calling thread). */
  threads: number
  /** Module path or file URL exporting `createTransactionVM(payload, lane)`. */
  vmModule: string
  /** Per-transaction predicted accesses of a block. */
  predict: Predict
  /** The predictor's name, reported in the statistics. */
  predictor?: string
  /** Which accesses order transactions (default 'all'). */
  conflicts?: ConflictRule
  /** Size of the shared memory (default 512 MiB of address space, committed as used). */
  memoryBytes?: number
}

export interface StaticBatchResult<O> extends BlockResult<O> {
  stats: PlannerExecutionStats
  plan?: Plan
}

const workerUrl = siblingUrl(import.meta.url, 'batchWorker')

export async function createStaticBatchExecutor(opts: StaticBatchOptions): Promise<StaticBatchExecutor> {
  const ex = new StaticBatchExecutor(opts)
  await ex.start()
  return ex
}

export class StaticBatchExecutor implements BlockExecutor {
  readonly engine = 'static-batch'
  readonly threads: number
  readonly predictor: string
  private readonly mem: SharedMemory
  private readonly layout: BlockLayout
  private readonly pool: WorkerPool<PlannerReply> | undefined
  private localMod?: Promise<TransactionVMModule>
  private seq = 0
  private closed = false
  private running = false

  constructor(private readonly opts: StaticBatchOptions) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new RangeError(`threads must be a positive integer, got ${opts.threads}`)
    this.threads = opts.threads
    this.predictor = opts.predictor ?? 'custom'
    this.mem = SharedMemory.create(opts.memoryBytes ?? 512 * 1024 * 1024, true)
    this.layout = new BlockLayout(this.mem)
    if (this.threads > 1) this.pool = createEnginePool<PlannerReply>(workerUrl, this.threads, this.mem, moduleUrl(opts.vmModule))
  }

  async start(): Promise<void> {
    await this.pool?.start()
    await this.localModule()
  }

  private localModule(): Promise<TransactionVMModule> {
    this.localMod ??= loadVMModule(this.opts.vmModule)
    return this.localMod
  }

  async execute<O>(job: BlockJob): Promise<StaticBatchResult<O>> {
    if (this.closed) throw new Error('the static-batch executor is closed')
    if (this.running) throw new Error('the static-batch executor runs one block at a time')
    this.running = true
    const start = performance.now()
    try {
      const access = await this.opts.predict(job)
      if (access.length !== job.txCount) throw new Error(`predictor returned ${access.length} predictions for ${job.txCount} transactions`)
      const plan = planBatches(access, this.opts.conflicts ?? 'all')
      const planMs = performance.now() - start
      try {
        return await this.parallel<O>(job, plan, start, planMs)
      } catch (e) {
        // The block does not fit the shared memory: not a fault; run it sequentially.
        if (e instanceof CapacityError) return { ...(await this.sequential<O>(job, start, `capacity: ${e.message}`)), plan }
        if (!(e instanceof WorkerFailureError)) throw e
        await this.pool?.heal()
        const r = await this.sequential<O>(job, start, e.message)
        return { ...r, plan }
      }
    } finally {
      this.running = false
    }
  }

  private async sequential<O>(job: BlockJob, start: number, why: string): Promise<StaticBatchResult<O>> {
    const mod = (await this.localModule()) as TransactionVMModule<O>
    const r = await runSequentialJob(mod, job, { engine: 'static-batch', threads: this.threads, start, fallback: `sequential: ${why}` })
    return {
      ...r,
      stats: {
        ...r.stats,
        planner: { predictor: this.predictor, conflicts: this.opts.conflicts ?? 'all', batches: 0, criticalPath: 0, maxBatch: 0, mispredictions: 0, reexecutions: 0, reexecMs: 0, planMs: 0, validateMs: 0 },
      },
    }
  }

  private async parallel<O>(job: BlockJob, plan: Plan, start: number, planMs: number): Promise<StaticBatchResult<O>> {
    if (this.pool?.anyDead()) await this.pool.heal()
    const n = job.txCount
    const seq = ++this.seq
    this.layout.prepare(job, seq)
    const mem = this.mem
    const i32 = mem.i32
    const ctrlAt = mem.alloc(CTRL_WORDS)
    const statusAt = mem.alloc(Math.max(1, n))
    i32.fill(0, ctrlAt, ctrlAt + CTRL_WORDS)
    i32.fill(0, statusAt, statusAt + n)
    const mv = new MVMemory(mem)
    const validator = new Validator(mv)
    const out = new OutputBuffer<unknown>()
    const mod = await this.localModule()
    const vm = (await mod.createTransactionVM(job.payload, 0)) as TransactionVM<unknown>
    const local = new TxRunner(mv, plan.batchOf, statusAt, vm, out)

    const order = new Int32Array(n)
    const starts = new Int32Array(plan.batches.length + 1)
    let p = 0
    plan.batches.forEach((b, i) => {
      starts[i] = p
      for (const tx of b) order[p++] = tx
    })
    starts[plan.batches.length] = p

    const useWorkers = this.threads > 1
    let replies: Promise<PlannerReply[]> | undefined
    if (useWorkers) {
      const msg: PlannerBlockMessage = { type: 'block', seq, payload: job.payload, order, starts, batchOf: plan.batchOf, ctrlAt, statusAt }
      replies = Promise.all(this.pool!.request(seq, msg))
    }

    let executions = 0
    let validations = 0
    let mispredictions = 0
    let dependencyWaits = 0
    let reexecMs = 0
    let validateMs = 0
    let frontier = 0
    let maxBatch = 0
    let failure: string | undefined
    let engineFault = false
    let capacity: CapacityError | undefined
    try {
      for (let b = 0; b < plan.batches.length; b++) {
        const members = plan.batches[b]!
        if (members.length > maxBatch) maxBatch = members.length
        if (!useWorkers || members.length === 1) {
          local.phase.batch = b
          for (const tx of members) {
            await local.execute(tx, 0)
            executions++
          }
        } else {
          await this.runBatch(ctrlAt, b)
        }
        // Advance the commit frontier over every transaction whose batch has run.
        const t0 = performance.now()
        let fix = 0
        while (frontier < n && plan.batchOf[frontier]! <= b) {
          const tx = frontier
          const recorded = Atomics.load(i32, statusAt + tx) === ST_RECORDED
          validations++
          let valid = false
          if (recorded) valid = validator.validateReadSet(tx)
          else dependencyWaits++
          if (!valid) {
            mispredictions++
            const r0 = performance.now()
            local.phase.batch = -1
            await local.execute(tx, 1)
            executions++
            const dt = performance.now() - r0
            reexecMs += dt
            fix += dt
          }
          frontier++
        }
        validateMs += performance.now() - t0 - fix
      }
    } catch (e) {
      if (useWorkers) mem.abort()
      throw e
    } finally {
      if (useWorkers) {
        Atomics.store(i32, ctrlAt + C.CMD, CMD_END)
        Atomics.add(i32, ctrlAt + C.GEN, 1)
        Atomics.notify(i32, ctrlAt + C.GEN)
        const rs = await replies!
        for (let i = 0; i < rs.length; i++) {
          const r = rs[i]!
          if (r.type === 'error') {
            if (r.capacity === true && !r.aborted) capacity ??= new CapacityError(`worker ${i}: ${r.message}`)
            if (failure === undefined) {
              failure = `worker ${i}: ${r.name}: ${r.message}`
              engineFault = r.invariant === true
            }
          }
          else if (r.type !== 'done' || r.seq !== seq || !Array.isArray(r.outputs)) {
            this.pool!.markDead(i, 'answered a malformed message')
            failure ??= `worker ${i} answered a malformed message`
          } else decodeInto(r.outputs, out)
        }
        // A worker ran out of shared memory: that, not the abort the calling thread saw
        // (or the other workers' aborted replies), is why the block stopped.
        // eslint-disable-next-line no-unsafe-finally
        if (capacity !== undefined) throw capacity
      }
    }
    if (failure !== undefined) throw new WorkerFailureError(engineFault ? `engine fault: ${failure}` : failure, engineFault)
    executions += i32[ctrlAt + C.EXECUTIONS]!
    const outputs: O[] = new Array(n)
    for (let tx = 0; tx < n; tx++) {
      if (!out.outputs.has(tx)) throw new EngineInvariantError(`transaction ${tx} has no output`)
      const o = out.outputs.get(tx)
      if (o instanceof TransactionFailure) throw new TransactionVMError(tx, o.message)
      outputs[tx] = o as O
    }
    const writes = mv.finalWrites(n).sort((a, b) => compareKeys(a[0], b[0]))
    const stats: PlannerExecutionStats = {
      engine: 'static-batch',
      threads: this.threads,
      executions,
      validations,
      aborts: mispredictions - dependencyWaits,
      dependencyWaits,
      wallMs: performance.now() - start,
      planner: {
        predictor: this.predictor,
        conflicts: this.opts.conflicts ?? 'all',
        batches: plan.batches.length,
        criticalPath: plan.criticalPath,
        ...(plan.criticalPathWork !== undefined ? { criticalPathWork: plan.criticalPathWork, totalWork: plan.totalWork } : {}),
        maxBatch,
        mispredictions,
        reexecutions: mispredictions,
        reexecMs,
        planMs,
        validateMs,
      },
    }
    return { outputs, writes, stats, plan }
  }

  /** Runs batch `b` on the workers and waits at the barrier. */
  private async runBatch(ctrlAt: number, b: number): Promise<void> {
    const i32 = this.mem.i32
    Atomics.store(i32, ctrlAt + C.BATCH, b)
    Atomics.store(i32, ctrlAt + C.CLAIM, 0)
    Atomics.store(i32, ctrlAt + C.REMAIN, this.threads)
    Atomics.store(i32, ctrlAt + C.CMD, CMD_RUN)
    Atomics.add(i32, ctrlAt + C.GEN, 1)
    Atomics.notify(i32, ctrlAt + C.GEN)
    for (;;) {
      const v = Atomics.load(i32, ctrlAt + C.REMAIN)
      if (v === 0) break
      if (this.mem.aborted()) throw new WorkerFailureError('block aborted')
      const w = Atomics.waitAsync(i32, ctrlAt + C.REMAIN, v, 100)
      if (w.async) await w.value
    }
    if (this.mem.aborted()) throw new WorkerFailureError('block aborted')
  }

  async close(): Promise<void> {
    this.closed = true
    await this.pool?.close()
  }
}
