/** Messages between the static-batch executor and its workers (block set-up and final outputs only). */
import type { EncodedOutput } from '../executor/protocol.js'

export interface PlannerBlockMessage {
  type: 'block'
  seq: number
  payload: unknown
  /** Transactions in batch order; batch b is order[starts[b] .. starts[b+1]). */
  order: Int32Array
  starts: Int32Array
  batchOf: Int32Array
  /** Word index of the control words and of the per-transaction status words. */
  ctrlAt: number
  statusAt: number
}

export type PlannerReply =
  | { type: 'ready' }
  | { type: 'done'; seq: number; outputs: EncodedOutput[] }
  | { type: 'error'; seq: number; aborted: boolean; name: string; message: string; invariant?: boolean; capacity?: boolean }
