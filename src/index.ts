/**
 * blockstm-evm: execute Ethereum blocks in parallel with Block-STM on the @ethereumjs EVM.
 *
 * - `createEvmExecutor` / `executeBlock`: blocks against a pre-state, results identical to
 *   sequential execution (src/evm).
 * - `loadBlockFixture`: a block directory (block.json, prestate.json, block_hashes.json).
 * - `runBlockParallel` / `createParallelRunner`: @ethereumjs runBlock's contract on the
 *   caller's own VM and state manager, transactions on Block-STM (src/dropin).
 * - The VM-agnostic engine is exported from `blockstm-evm/engine` (src/executor/index.ts).
 */
export * from './evm/index.js'
export {
  createBlockSTMExecutor,
  createSequentialExecutor,
  MapBaseState,
  LatencyBaseState,
  TransactionVMError,
  WorkerFailureError,
  type BlockExecutor,
  type ExecutionStats,
} from './executor/index.js'
export * from './dropin/index.js'
