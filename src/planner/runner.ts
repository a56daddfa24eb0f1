/**
 * The execution step of the static-batch planner, shared by the calling thread and the
 * planner's workers: run one transaction against a {@link BlockSTMView} over the shared
 * multi-version memory and record its reads and writes, exactly as a Block-STM incarnation
 * is recorded (so that `Validator.validateReadSet` can check it later).
 *
 * Per-transaction status words (in the executor's shared memory, at `statusAt`):
 *   0 not executed, 1 recorded, 2 blocked (it called `dependOn` on a lower transaction of a
 *   later or the same batch: it must be re-executed once every lower transaction is final).
 *
 * Control words (at `ctrlAt`, see {@link C}) drive the workers through the batches.
 */
import type { TransactionVM } from '../executor/types.js'
import { BlockSTMView, DependencySignal, type ExecutionStatus } from '../executor/incarnationView.js'
import { OutputBuffer, TransactionFailure, errorMessage } from '../executor/executor.js'
import { ReadSetCapture } from '../validation/readSet.js'
import type { MVMemory } from '../mvmemory/mvMemory.js'
import { CapacityError, EngineAbortedError } from '../mvmemory/sharedMemory.js'
import { EngineInvariantError } from '../executor/errors.js'

export const ST_NONE = 0
export const ST_RECORDED = 1
export const ST_BLOCKED = 2

/** Control word offsets (relative to ctrlAt). */
export const C = {
  GEN: 0, // bumped for every command
  CMD: 1, // CMD_RUN or CMD_END
  BATCH: 2, // the batch to run
  CLAIM: 3, // next member index of the batch to claim
  REMAIN: 4, // workers still running the batch
  EXECUTIONS: 5,
} as const
export const CTRL_WORDS = 8
export const CMD_RUN = 1
export const CMD_END = 2

/** Whether a lower transaction counts as executed for `dependOn`: set per phase. */
export class PhaseStatus implements ExecutionStatus {
  /** Transactions of batches below this one have executed; -1: every lower transaction has (fix-up). */
  batch = 0
  constructor(private readonly batchOf: Int32Array) {}
  isExecuted(tx: number): boolean {
    return this.batch < 0 || this.batchOf[tx]! < this.batch
  }
}

export class TxRunner<O> {
  private readonly reads = new ReadSetCapture()
  private readonly view: BlockSTMView
  readonly phase: PhaseStatus

  constructor(
    private readonly mv: MVMemory,
    batchOf: Int32Array,
    private readonly statusAt: number,
    private readonly vm: TransactionVM<O>,
    private readonly out: OutputBuffer<O>,
  ) {
    this.phase = new PhaseStatus(batchOf)
    this.view = new BlockSTMView(mv, this.phase, this.reads)
  }

  /** Executes `tx` as `incarnation`; returns true when recorded, false when it blocked. */
  async execute(tx: number, incarnation: number): Promise<boolean> {
    const view = this.view
    view.reset(tx)
    let output: O | TransactionFailure
    try {
      output = await this.vm.execute(tx, view)
    } catch (e) {
      if (e instanceof EngineAbortedError || e instanceof EngineInvariantError || e instanceof CapacityError) throw e
      if (e instanceof DependencySignal || view.blockedOn >= 0 || view.capacity !== undefined) output = undefined as O
      else output = new TransactionFailure(errorMessage(e), (e as Error)?.stack)
    }
    // The shared memory is full (even if the VM swallowed the error): never a transaction failure.
    if (view.capacity !== undefined) throw view.capacity
    const i32 = this.mv.mem.i32
    if (view.blockedOn >= 0) {
      Atomics.store(i32, this.statusAt + tx, ST_BLOCKED)
      return false
    }
    const readsAt = this.reads.publish(this.mv.mem)
    this.mv.record(tx, incarnation, view.writeSet(), readsAt)
    this.out.set(tx, incarnation, output)
    Atomics.store(i32, this.statusAt + tx, ST_RECORDED)
    return true
  }
}
