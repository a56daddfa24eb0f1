/**
 * Types of the determinism kit (`blockstm-evm/testing`).
 */
import type fc from 'fast-check'
import type { BaseState } from '../executor/baseState.js'
import type { BlockJob, ExecutionStats } from '../executor/engine.js'
import type { BlockSTMOptions } from '../executor/blockstm.js'
import type { MaybePromise } from '../executor/types.js'
import type { TxAccess } from '../planner/types.js'
import type { DelayPlan } from './delays.js'
import type { SchedulerKind } from '../scheduler/types.js'
import type { Difference, Outcome } from './compare.js'

/** One block as the kit runs it: what `createTransactionVM` gets, and the pre-block state. */
export interface GeneratedBlock {
  txCount: number
  /** Passed to the VM's `createTransactionVM(payload, lane)` in every thread (structured-cloneable). */
  payload: unknown
  /** The pre-block state: a BaseState, or `[key, value]` pairs of bytes. */
  base: BaseState | Iterable<readonly [Uint8Array, Uint8Array]>
  /** Optional, as in `BlockJob.criticalPath`. */
  criticalPath?: number
}

/** Engine options passed through to every Block-STM executor the kit starts. */
export type BlockSTMPassThrough = Omit<Partial<BlockSTMOptions>, 'threads' | 'vmModule' | 'lanes'>

/** One engine configuration a block runs on. */
export interface EngineConfig {
  threads: number
  /** Concurrent executions per thread (Block-STM only; default 1). */
  lanes?: number
  /** Extra Block-STM options of this configuration (over `CheckOptions.options`). */
  options?: BlockSTMPassThrough
  /** A name for messages (default: `threads T × lanes L`). */
  name?: string
}

/**
 * Pauses around reads: `true` (the default, random plan), `false` (none), `'deterministic'`
 * (microtask chains chosen by the seed: at `threads: 1` with several lanes every run is a
 * pure function of the seed and the block), or a plan's fields.
 */
export type DelayOptions = boolean | 'deterministic' | Partial<DelayPlan>

/** What a static-batch predictor gets besides the job: this run's seed (for seeded predictors). */
export interface PredictContext {
  seed: number
}
export type KitPredict = (job: BlockJob, ctx: PredictContext) => MaybePromise<TxAccess[]>

export interface CheckOptions<T = unknown> {
  /**
   * The VM module (path or file URL) exporting `createTransactionVM(payload, lane)`.
   * Default: the built-in mock VM (src/mock/mockVm.ts).
   */
  vmModule?: string
  /** The block generator. Default: `mockBlocks({ minTxs, maxTxs })` from `txCount` (mock VM only). */
  blocks?: fc.Arbitrary<T>
  /**
   * Turns a generated value into the block to run. Default: a mock block case (from
   * `mockBlocks`) runs as its mock job; any other value must be a `GeneratedBlock`.
   */
  payloadFor?: (block: T) => MaybePromise<GeneratedBlock>
  /** Transactions per generated mock block (default blocks: a number is the maximum). */
  txCount?: number | { min?: number; max?: number }
  /** Which engine runs in parallel (default 'blockstm'). */
  engine?: 'blockstm' | 'static-batch'
  /** The static-batch predictor (default: the oracle, exact access sets of a sequential recording run). */
  predict?: KitPredict
  /** Thread counts (default [1, 2, 4]). */
  threads?: number[]
  /** Lanes per thread: one count or several (each is a configuration with every thread count; default 1). */
  lanes?: number | number[]
  /** Block-STM scheduler(s): one or several (each a configuration with every thread and lane count; default: the engine's). */
  scheduler?: SchedulerKind | SchedulerKind[]
  /** Options of every Block-STM executor (e.g. `serialFallbackRatio`). `minParallelTxs` defaults to 0, `onWorkerFailure` to 'throw'. */
  options?: BlockSTMPassThrough
  /** Explicit configurations instead of `threads` × `lanes`. */
  configs?: EngineConfig[]
  /** Generated blocks (default 100). */
  runs?: number
  /** fast-check seed (printed on failure: pass it, and `path`, to replay). */
  seed?: number
  /** fast-check counterexample path (replays one shrunk case with `seed`). */
  path?: string
  /** Pauses around reads in every thread (default true). */
  delays?: DelayOptions
  /** Parallel runs of each block on each configuration (default 1). */
  repeats?: number
  /** Also fail when a parallel run did not exercise the parallel engine (a sequential fallback). Default true. */
  requireParallel?: boolean
  /** Called after each generated block (not during shrinking) with the number done. */
  onProgress?: (done: number, total: number) => void
  /** Called after every parallel run; throwing fails the property (like a divergence). */
  onRun?: (run: RunInfo<T>) => void | Promise<void>
}

export interface RunInfo<T> {
  block: T
  job: GeneratedBlock
  config: EngineConfig & { name: string }
  sequential: Outcome
  parallel: Outcome
  /** The parallel run's statistics (undefined when it failed). */
  stats?: ExecutionStats & { planner?: { mispredictions: number; batches: number } }
}

/** What a successful check did. */
export interface DeterminismReport {
  /** Generated blocks checked. */
  blocks: number
  /** Parallel runs compared with the sequential reference. */
  parallelRuns: number
  transactions: number
  /** Blocks whose sequential run failed in a transaction (the parallel runs had to fail the same way). */
  failingBlocks: number
  /** Parallel runs that aborted at least one incarnation / waited on a dependency / switched to serial mode. */
  runsWithAborts: number
  runsWithDependencyWaits: number
  runsSerial: number
  seed: number
  configs: string[]
}

/** A divergence found on one block. */
export interface Divergence {
  config: string
  threads: number
  lanes: number
  scheduler?: SchedulerKind
  engine: 'blockstm' | 'static-batch'
  difference: Difference
  delaySeed: number
}
