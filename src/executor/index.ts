/** The VM-agnostic Block-STM engine's public API. */
export type { IncarnationView, TransactionVM, TransactionVMModule, LocationKey, LocationValue } from './types.js'
export { createSequentialExecutor, createBlockSTMExecutor, type BlockExecutor, type BlockJob, type BlockResult, type ExecutionStats, type BlockSTMOptions } from './engine.js'
export { TransactionVMError, WorkerFailureError, EngineInvariantError, LocationTableFullError } from './errors.js'
export { MapBaseState, LatencyBaseState, type BaseState } from './baseState.js'
export { IdealExecutor } from './ideal.js'
export { EngineAbortedError, CapacityError, ArenaExhaustedError, SchedulerInvariantError } from './errors.js'
export { MIN_MEMORY_BYTES, MAX_MEMORY_BYTES } from '../mvmemory/sharedMemory.js'
