/**
 * Errors of the scheduler layer: {@link SchedulerInvariantError}, thrown by the scheduler's
 * transitions (scheduler.ts) and by the executor's checks of scheduler state
 * (sequentialTail.ts). An {@link EngineInvariantError} like every engine invariant error.
 */
import { EngineInvariantError } from '../mvmemory/errors.js'

/** A Block-STM scheduler invariant does not hold (a transition from the wrong state, ...). */
export class SchedulerInvariantError extends EngineInvariantError {
  constructor(message: string) {
    super(`Block-STM scheduler invariant broken: ${message}`)
    this.name = 'SchedulerInvariantError'
  }
}
