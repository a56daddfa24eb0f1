/**
 * The sequential tail of a Block-STM block: what the calling thread does once the block
 * switched to serial mode (aborts + dependency waits past the block's budget, see the
 * scheduler) and every lane has stopped taking tasks.
 *
 * 1. The committed prefix. Transactions are checked in block order: the longest prefix
 *    0..j-1 in which every transaction is EXECUTED and its last read-set still validates is
 *    final. (By induction: transaction i's reads are checked against the writes of 0..i-1,
 *    which are final, so its incarnation is the one sequential execution would run.)
 * 2. The tail j..n-1 runs sequentially on the calling thread, through the same
 *    transaction VM, against the state after the prefix: own writes first, then the
 *    multi-version memory read as transaction j sees it (the highest writer below j, deltas
 *    folded), then the pre-block state. No transaction below j holds an ESTIMATE (each is
 *    EXECUTED), so such a read never waits; meeting one is an invariant error.
 * 3. The block's state diff is the prefix's diff (the multi-version memory below j) updated
 *    with the tail's final values, each compared with the pre-block value.
 *
 * A capacity error while the tail reads through the multi-version memory (a location new
 * to the table when the table or the arena is full) is thrown as such, never handed to
 * `failure` as the transaction's: the caller re-runs the whole block sequentially.
 *
 * Outputs: 0..j-1 are the incarnations the threads recorded, j..n-1 the tail's. The result
 * equals sequential execution: the prefix because it validated, the tail because it is
 * sequential execution from the prefix's state.
 */
import type { BlockJob } from './types.js'
import type { LocationKey, LocationValue, TransactionVM } from './types.js'
import type { BaseState } from './baseState.js'
import { BlockSTMView, DependencySignal } from './incarnationView.js'
import { executeSequential } from './sequential.js'
import { keyToString } from './keys.js'
import { equalBytes } from './incarnationView.js'
import { ReadSetCapture } from '../validation/readSet.js'
import { Validator } from '../validation/validate.js'
import { EXECUTED, SchedulerInvariantError } from '../scheduler/task.js'
import type { BlockScheduler } from '../scheduler/types.js'
import type { MVMemory } from '../mvmemory/mvMemory.js'
import { CapacityError } from '../mvmemory/sharedMemory.js'

/** The committed prefix 0..from-1; `validations` counts the read-sets checked to find it. */
export interface CommittedPrefix {
  from: number
  validations: number
}

/** The committed prefix: transactions executed whose read-sets validate, in block order. */
export function committedPrefix(mv: MVMemory, scheduler: BlockScheduler, txCount: number): CommittedPrefix {
  const validator = new Validator(mv)
  let from = 0
  let validations = 0
  while (from < txCount && scheduler.status(from) === EXECUTED) {
    validations++
    if (!validator.validateReadSet(from)) break
    from++
  }
  return { from, validations }
}

/** The state after the committed prefix 0..from-1, read through the multi-version memory. */
class PrefixState implements BaseState {
  private readonly view: BlockSTMView

  constructor(
    mv: MVMemory,
    private readonly from: number,
  ) {
    // Every transaction below `from` has executed: the view never waits on one.
    this.view = new BlockSTMView(mv, { isExecuted: () => true }, new ReadSetCapture())
    this.view.reset(from)
  }

  /** A capacity error met by a read, even if the VM swallowed it. */
  get capacity(): CapacityError | undefined {
    return this.view.capacity
  }

  get(key: LocationKey): LocationValue | undefined | Promise<LocationValue | undefined> {
    try {
      const v = this.view.read(key)
      return v instanceof Promise ? v.catch((e: unknown) => this.fail(e)) : v
    } catch (e) {
      return this.fail(e)
    }
  }

  private fail(e: unknown): never {
    if (e instanceof DependencySignal) {
      throw new SchedulerInvariantError(`transaction ${e.blocker} below the committed prefix ${this.from} holds an ESTIMATE`)
    }
    throw e
  }

  entries(): Iterable<[LocationKey, LocationValue]> {
    throw new Error('PrefixState cannot be enumerated')
  }
}

export interface TailResult<O> {
  /** Outputs of from..txCount-1 (indices below `from` are empty). */
  outputs: O[]
  /** The block's state diff against the pre-block state, in no particular order. */
  writes: Array<[LocationKey, LocationValue]>
}

/** Runs transactions from..txCount-1 sequentially after the committed prefix (see the module comment). */
export async function runSequentialTail<O>(
  vm: TransactionVM<O>,
  mv: MVMemory,
  from: number,
  job: BlockJob,
  failure: (tx: number, e: unknown) => Error,
): Promise<TailResult<O>> {
  const state = new PrefixState(mv, from)
  const tail = await executeSequential(vm, job.txCount, state, from, (tx, e) => {
    const capacity = state.capacity ?? (e instanceof CapacityError ? e : undefined)
    return capacity ?? failure(tx, e)
  })
  if (state.capacity !== undefined) throw state.capacity
  const diff = new Map<string, [LocationKey, LocationValue]>()
  for (const [k, v] of mv.finalWrites(from)) diff.set(keyToString(k), [k, v])
  // Pre-block values of the tail's writes, asked all at once (a slow source overlaps the waits).
  const before = await Promise.all(tail.writes.map(([k]) => job.base.get(k)))
  tail.writes.forEach(([k, v], i) => {
    const b = before[i]
    if (b !== undefined && equalBytes(b, v)) diff.delete(keyToString(k))
    else diff.set(keyToString(k), [k, v])
  })
  return { outputs: tail.outputs, writes: [...diff.values()] }
}
