/**
 * The drop-in for @ethereumjs users: runBlock's contract on the Block-STM engine over the
 * caller's own VM and state manager (runBlockParallel.ts), and the embedded store (store.ts).
 */
export { createParallelRunner, runBlockParallel, type ParallelRunBlockResult, type ParallelRunner, type ParallelRunnerOptions, type ParallelRunStats } from './runBlockParallel.js'
export { StateManagerSource, type SourceStats } from './stateSource.js'
export { commitDiff } from './commit.js'
export { BaseStateReadError, BlockRejectedError, RunnerStateError, TrieShapeError, UnsupportedOptionError } from './errors.js'
export { openStateStore, StoreLayoutError, StoreLockedError, type StateStore, type StateStoreOptions } from './store.js'
