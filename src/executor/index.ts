/** The VM-agnostic Block-STM engine's public API. */
export type { IncarnationView, TransactionVM, TransactionVMModule, LocationKey, LocationValue } from './types.js'
export { createSequentialExecutor, createBlockSTMExecutor, type BlockExecutor, type BlockJob, type BlockResult, type ExecutionStats, type BlockSTMOptions } from './engine.js'
export { TransactionVMError, WorkerFailureError } from './blockstm.js'
export { MapBaseState, LatencyBaseState, type BaseState } from './baseState.js'
export { IdealExecutor } from './ideal.js'
export { EngineAbortedError, CapacityError, ArenaExhaustedError, MIN_MEMORY_BYTES, MAX_MEMORY_BYTES } from '../mvmemory/sharedMemory.js'
export { LocationTableFullError } from '../mvmemory/locationTable.js'
export { SchedulerInvariantError } from '../scheduler/scheduler.js'
