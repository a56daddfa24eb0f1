/**
 * Engine choice for the EVM binding: the `BlockExecutor` that runs a block's transactions,
 * chosen by `EvmExecutorOptions.engine`. This module sits above every engine (the
 * VM-agnostic executor's sequential and Block-STM engines, the static-batch planner); none of
 * them imports it.
 *
 * Every engine loads the same transaction VM (txvm.ts) and returns identical results for the
 * same block; the options union (types.ts) guarantees that each option reaches the engine it
 * belongs to.
 */
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor } from '../executor/engine.js'
import type { EvmExecutorOptions } from './types.js'

/** URL of the transaction VM module every engine loads (txvm.ts, or its build output). */
export function txvmModuleUrl(): string {
  const self = import.meta.url
  return new URL(self.endsWith('.ts') ? './txvm.ts' : './txvm.js', self).href
}

/** The engine `opts.engine` names (default 'sequential'), built with its own options. */
export async function makeEngine(opts: EvmExecutorOptions): Promise<BlockExecutor> {
  const vmModule = txvmModuleUrl()
  switch (opts.engine) {
    case undefined:
    case 'sequential':
      return createSequentialExecutor({ vmModule })
    case 'static-batch': {
      // Loaded on demand: the planner is research code that most callers never run.
      const { createEvmStaticBatchEngine } = await import('./staticBatch.js')
      return createEvmStaticBatchEngine({ threads: opts.threads ?? 1, predictor: opts.predictor ?? 'address' })
    }
    case 'blockstm':
      return createBlockSTMExecutor({
        threads: opts.threads ?? 1,
        vmModule,
        ...(opts.lanes !== undefined ? { lanes: opts.lanes } : {}),
        ...(opts.minParallelTxs !== undefined ? { minParallelTxs: opts.minParallelTxs } : {}),
        ...(opts.chainFallbackRatio !== undefined ? { chainFallbackRatio: opts.chainFallbackRatio } : {}),
        ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
        ...(opts.callerExecutes !== undefined ? { callerExecutes: opts.callerExecutes } : {}),
      })
    default:
      throw new RangeError(`unknown engine '${String((opts as { engine: unknown }).engine)}' (sequential, blockstm or static-batch)`)
  }
}

/** The number of threads an executor with these options uses. */
export function engineThreads(opts: EvmExecutorOptions): number {
  return opts.engine === 'blockstm' || opts.engine === 'static-batch' ? (opts.threads ?? 1) : 1
}
