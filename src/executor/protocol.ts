/**
 * Messages between the executor (main thread) and its workers. Only block set-up and the
 * final outputs travel as messages; everything the threads coordinate on during a block
 * lives in shared memory.
 */
import { OutputBuffer, TransactionFailure, type TraceEvent } from './executor.js'
import type { FaultPlan } from './faults.js'

export interface WorkerInit {
  buffer: SharedArrayBuffer
  vmModule: string
  workerIndex: number
}

export interface BlockMessage {
  type: 'block'
  seq: number
  payload: unknown
  lanes: number
  /** Workers with a lower index run the VM module's `prefetch` when the block goes serial. */
  prefetchers?: number
  faults?: FaultPlan
  trace?: boolean
}

/**
 * The next block's payload, sent before its pre-block state is ready (`announce`): workers
 * with an index below `prefetchers` run the VM module's `prefetch` for it until their next
 * message; the block message with the same `seq` then uses this payload object (its
 * prefetched state included) instead of its own copy.
 */
export interface PrepareMessage {
  type: 'prepare'
  seq: number
  payload: unknown
  prefetchers: number
}

/** [txIdx, incarnation, failed, output or failure message] */
export type EncodedOutput = [number, number, boolean, unknown]

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; seq: number; outputs: EncodedOutput[]; trace?: TraceEvent[] }
  /**
   * The block failed in this worker. `aborted`: it stopped because another thread aborted
   * the block; `capacity`: it ran out of shared memory (a CapacityError, not a worker fault);
   * `invariant`: an engine invariant broke (an EngineInvariantError: an engine bug, errors.ts).
   */
  | { type: 'error'; seq: number; aborted: boolean; capacity?: boolean; invariant?: boolean; name: string; message: string }

export function encodeOutputs(out: OutputBuffer<unknown>): EncodedOutput[] {
  const list: EncodedOutput[] = []
  for (const [tx, o] of out.outputs) {
    const inc = out.incarnations.get(tx)!
    if (o instanceof TransactionFailure) list.push([tx, inc, true, o.message])
    else list.push([tx, inc, false, o])
  }
  return list
}

export function decodeInto(list: EncodedOutput[], out: OutputBuffer<unknown>): void {
  for (const [tx, inc, failed, o] of list) out.set(tx, inc, failed ? new TransactionFailure(String(o)) : o)
}
