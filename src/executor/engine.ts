/**
 * Block executors: the public, VM-agnostic entry points of the engine, chosen here above both
 * engines (neither imports this module).
 *
 * - `createSequentialExecutor` (sequential.ts): transactions in block order on the calling thread.
 * - `createBlockSTMExecutor` (blockstm.ts): Block-STM over `threads` worker threads sharing the
 *   multi-version memory and the scheduler in SharedArrayBuffers (threads = 1 runs the same
 *   algorithm on the calling thread).
 *
 * Both load the transaction VM from `vmModule` (a module path or file URL exporting
 * `createTransactionVM(payload, lane)`, see `loadVMModule` in types.ts) and return identical
 * results for the same block. The engine contract (`BlockJob`, `BlockExecutor`, ...) lives in
 * types.ts and is re-exported here.
 */
export type { BlockJob, ExecutionStats, BlockResult, BlockExecutor } from './types.js'
export { moduleUrl, loadVMModule } from './types.js'
export { createSequentialExecutor } from './sequential.js'
export { createBlockSTMExecutor, type BlockSTMOptions } from './blockstm.js'
