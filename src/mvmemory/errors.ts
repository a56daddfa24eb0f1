/**
 * Errors of the engine's shared-memory layer, and the engine-wide invariant error.
 *
 * - {@link EngineInvariantError}: an invariant of the engine itself does not hold — a bug in
 *   the engine, never a property of the block or the VM. Every invariant check of the engine
 *   (multi-version memory, scheduler, validation, executor, planner) throws it or a subclass
 *   (`SchedulerInvariantError`, scheduler/errors.ts). It lives in this, the engine's lowest
 *   layer, so that every layer above can throw it without importing upwards. A worker that
 *   throws one makes the block fall back to sequential execution with `stats.fallback`
 *   labelled `sequential: engine fault: ...` (executor/blockstm.ts); the transaction VM never
 *   sees it as a transaction failure (executor/executor.ts rethrows it).
 * - {@link EngineAbortedError}: the block was aborted (another thread failed, or the caller
 *   gave up): unwinds a thread's loops; not a failure of its own.
 * - Capacity ({@link CapacityError}): {@link ArenaExhaustedError} (shared memory) and
 *   {@link LocationTableFullError} (location table): the block is too big for the engine's
 *   memory; the executor re-runs it sequentially.
 */

/** An engine invariant does not hold (an engine bug). */
export class EngineInvariantError extends Error {
  constructor(message: string) {
    super(message.includes('invariant broken') ? message : `invariant broken: ${message}`)
    this.name = 'EngineInvariantError'
  }
}

/** The block's execution was aborted (see the module comment). */
export class EngineAbortedError extends Error {
  constructor(message = 'Block-STM execution was aborted') {
    super(message)
    this.name = 'EngineAbortedError'
  }
}

/**
 * The block does not fit the executor's shared memory (its arena or its location table):
 * not a fault of the block, the VM or a worker. Wherever it is raised during a block (a
 * read, the record of a write-set or a delta, the sequential tail), the executor re-runs the
 * block sequentially and says so in `stats.fallback`.
 */
export class CapacityError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CapacityError'
  }
}

/** The shared memory cannot hold the block (sizes in 32-bit words). */
export class ArenaExhaustedError extends CapacityError {
  constructor(requestedWords: number, limitWords: number) {
    const word = Int32Array.BYTES_PER_ELEMENT
    super(`Block-STM shared memory exhausted (asked ${requestedWords * word} bytes of ${limitWords * word})`)
    this.name = 'ArenaExhaustedError'
  }
}

/** The location table cannot hold the block's distinct locations. */
export class LocationTableFullError extends CapacityError {
  constructor() {
    super('Block-STM location table is full (too many distinct locations for its capacity)')
    this.name = 'LocationTableFullError'
  }
}
