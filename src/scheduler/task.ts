/**
 * What both schedulers share: the transaction statuses, the task handed to a lane (reused
 * by each lane to avoid allocation) and the invariant error.
 */
export const READY_TO_EXECUTE = 0
export const EXECUTING = 1
export const EXECUTED = 2
export const ABORTING = 3

export const TASK_NONE = 0
export const TASK_EXECUTE = 1
export const TASK_VALIDATE = 2

/** A task handed to a thread: (kind, version). Reused by each lane to avoid allocation. */
export class Task {
  kind = TASK_NONE
  tx = 0
  incarnation = 0
  set(kind: number, tx: number, incarnation: number): Task {
    this.kind = kind
    this.tx = tx
    this.incarnation = incarnation
    return this
  }
  clear(): Task {
    this.kind = TASK_NONE
    return this
  }
}

export { SchedulerInvariantError } from './errors.js'
