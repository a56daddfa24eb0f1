/**
 * What the executor loop needs of a Block-STM scheduler, whichever one runs the block:
 * v1 (src/scheduler/scheduler.ts, the paper's collaborative scheduler: execution and
 * validation indices, every transaction validated after it executes) or v2
 * (src/scheduler/schedulerV2.ts, after Aptos' BlockSTMv2: aborts pushed to the readers of
 * changed writes, stalls along chains of aborted dependents, commits in order behind a
 * commit index). Both keep the state of one block in the executor's shared memory.
 */
import type { Task } from './task.js'
import type { ReaderSink } from '../mvmemory/mvMemory.js'

export type SchedulerKind = 'v1' | 'v2'

export const SCHEDULER_KINDS: readonly SchedulerKind[] = ['v1', 'v2']

/** The value of the header word `H.SCHEDULER` for each kind. */
export const SCHEDULER_CODE: Record<SchedulerKind, number> = { v1: 1, v2: 2 }

export interface SchedulerStats {
  executions: number
  validations: number
  aborts: number
  dependencyWaits: number
}

export interface BlockScheduler {
  readonly kind: SchedulerKind
  readonly txCount: number
  /**
   * v2: reads must be registered at their location (MVMemory.read with the reader's
   * incarnation) so that a later write can abort exactly its readers.
   */
  readonly registersReads: boolean
  /** v2: where MVMemory.record reports the readers a lane's writes invalidate. */
  readerSink?(): ReaderSink
  done(): boolean
  serial(): boolean
  serialAt(): number
  status(tx: number): number
  incarnation(tx: number): number
  isExecuted(tx: number): boolean
  nextTask(task: Task): Task
  addDependency(tx: number, blocker: number, costly?: boolean, durationUs?: number): boolean
  /**
   * `touched`: the location records the incarnation wrote or stopped writing (v2 aborts
   * their readers); `durationUs`: how long the execution took (v2's progress measure).
   */
  finishExecution(tx: number, incarnation: number, wroteNewLocation: boolean, task: Task, touched?: ReaderSink, durationUs?: number): Task
  tryValidationAbort(tx: number, incarnation: number): boolean
  finishValidation(tx: number, aborted: boolean, task: Task): Task
  countExecution(): void
  stats(): SchedulerStats
}
