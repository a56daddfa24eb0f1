/**
 * Errors of the executor layer (and the engine's public error types, gathered in one place:
 * the layers below define theirs in mvmemory/errors.ts and scheduler/errors.ts).
 *
 * - {@link TransactionVMError}: a committed incarnation's VM threw (a failure of the VM, not
 *   of the engine): the block fails.
 * - {@link WorkerFailureError}: a worker thread crashed, exited, hung, answered garbage or
 *   broke an engine invariant (`engineFault`); with `onWorkerFailure: 'sequential'` the block
 *   is re-run sequentially and `stats.fallback` says why (`sequential: engine fault: ...`
 *   when an {@link EngineInvariantError} caused it).
 * - {@link InjectedFault}: fault injection (tests only, faults.ts).
 * - Re-exported: {@link EngineInvariantError}, {@link SchedulerInvariantError},
 *   {@link EngineAbortedError} and the capacity errors.
 */
export { EngineInvariantError, EngineAbortedError, CapacityError, ArenaExhaustedError, LocationTableFullError } from '../mvmemory/errors.js'
export { SchedulerInvariantError } from '../scheduler/errors.js'

/** A transaction VM exception that a valid (committed) incarnation raised. */
export class TransactionVMError extends Error {
  constructor(
    readonly txIndex: number,
    message: string,
  ) {
    super(`transaction ${txIndex} failed in the VM: ${message}`)
    this.name = 'TransactionVMError'
  }
}

/** A worker thread crashed, exited, hung or answered garbage during a block. */
export class WorkerFailureError extends Error {
  constructor(
    message: string,
    /** The failure is an engine invariant broken in the worker (an engine bug). */
    readonly engineFault = false,
  ) {
    super(message)
    this.name = 'WorkerFailureError'
  }
}

/** A fault injected by a test (faults.ts). */
export class InjectedFault extends Error {
  constructor(kind: string) {
    super(`injected fault: ${kind}`)
    this.name = 'InjectedFault'
  }
}
