/** The static-batch planner: public API. */
export { createStaticBatchExecutor, StaticBatchExecutor, type StaticBatchOptions, type StaticBatchResult } from './engine.js'
export { planBatches, sequentialPlan, parentOf } from './plan.js'
export { recordAccessSets, keyToken } from './record.js'
export * from './predictors.js'
export type * from './types.js'
