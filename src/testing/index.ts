/**
 * `blockstm-evm/testing`: a determinism-testing kit for transaction VMs run by the Block-STM
 * engine (and the static-batch planner). Needs fast-check (an optional peer dependency of
 * this entry only).
 *
 * ```ts
 * import { checkDeterminism } from 'blockstm-evm/testing'
 * await checkDeterminism({ vmModule: '/abs/path/myVm.js', blocks: myBlocks, threads: [1, 2, 4], runs: 100 })
 * ```
 *
 * `delays: 'deterministic'` with `threads: [1]` and `lanes` ≥ 2 makes every run a pure
 * function of the seed (pauses through microtasks only): for test suites that must not
 * depend on luck. See README "Testing your own VM".
 */
export { checkDeterminism, createDeterminismChecker, DeterminismError, KitInputError, DELAYING_VM, MOCK_VM_MODULE, toBaseState, type DeterminismChecker } from './check.js'
export { mockBlocks, jobOf as mockJob, baseEntries as mockBaseEntries, type BlockCase as MockBlockCase, type MockBlockOptions, type Presence } from './mockBlocks.js'
export { firstDifference, outcomeOf, type Outcome, type Difference } from './compare.js'
export { canonical, toJSONValue, toJSONText } from './canonical.js'
export { DEFAULT_DELAYS, DETERMINISTIC_DELAYS, type DelayPlan } from './delays.js'
export { loadCheckModule, loadUserVM, VMModuleError, type CheckModule } from './module.js'
export type * from './types.js'
