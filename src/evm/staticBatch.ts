/**
 * The static-batch planner (src/planner) on the EVM binding's transaction VM (txvm.ts).
 *
 * - `createEvmStaticBatchEngine({ threads, predictor })`: a `BlockExecutor` that
 *   `createEvmExecutor` can use as its engine (engines.ts `makeEngine`), since it takes
 *   the same jobs (payload `EvmBlockPayload`, base state in the binding's location keys).
 * - `evmEngineJob(...)`: the engine job of a block, built as `executeBlock` builds it
 *   (without the EIP-4788/2935 pre-block system writes, which no engine comparison needs:
 *   every engine gets the same job).
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { BlockJob } from '../executor/types.js'
import { MapBaseState } from '../executor/baseState.js'
import { createStaticBatchExecutor, type StaticBatchExecutor } from '../planner/engine.js'
import type { ConflictRule } from '../planner/types.js'
import { preStateEntries } from './state.js'
import type { EvmBlockPayload } from './txvm.js'
import { encodeBlock } from './blockRlp.js'
import type { BlockHashTable, EvmPredictorName, PreState } from './types.js'
import { evmPredictor } from './predictors.js'

/** URL of the EVM transaction VM module. */
export const TXVM_MODULE = new URL(import.meta.url.endsWith('.ts') ? './txvm.ts' : './txvm.js', import.meta.url).href

export interface EvmStaticBatchOptions {
  threads?: number
  predictor?: EvmPredictorName
  conflicts?: ConflictRule
}

export function createEvmStaticBatchEngine(opts: EvmStaticBatchOptions = {}): Promise<StaticBatchExecutor> {
  const predictor = opts.predictor ?? 'address'
  return createStaticBatchExecutor({
    threads: opts.threads ?? 1,
    vmModule: TXVM_MODULE,
    predict: evmPredictor(predictor, TXVM_MODULE),
    predictor,
    ...(opts.conflicts !== undefined ? { conflicts: opts.conflicts } : {}),
  })
}

export function evmEngineJob(block: Block, common: Common, preState: PreState, blockHashes?: BlockHashTable): BlockJob & { payload: EvmBlockPayload; base: MapBaseState } {
  const payload: EvmBlockPayload = {
    blockRlp: encodeBlock(block),
    hardfork: common.hardfork(),
    eips: common.eips(),
    blockHashes: [...(blockHashes ?? new Map())],
    crypto: 'native',
    coinbaseDelta: true,
  }
  return { txCount: block.transactions.length, payload, base: new MapBaseState(preStateEntries(preState)) }
}
