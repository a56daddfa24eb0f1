/**
 * The determinism kit's checker: runs generated blocks sequentially (the reference, on the
 * calling thread, the user's VM as it is) and on the parallel engine at every configuration
 * (Block-STM or the static-batch planner, through the wrapping module delayingVm.ts that
 * pauses at random around reads in every thread), and compares outcomes byte for byte
 * (compare.ts).
 *
 * - `createDeterminismChecker(opts)`: the executors (started once: worker threads take a
 *   moment) and `check(block, delaySeed)`, which returns the first divergence of one block;
 * - `checkDeterminism(opts)`: a fast-check property over `opts.blocks`; on a divergence it
 *   shrinks the block and throws {@link DeterminismError}, naming the seed and path to replay,
 *   the shrunk block, the configuration (engine, threads, lanes) and the first differing
 *   transaction and location.
 *
 * Invariants: every run (the reference and each parallel run) gets its own structured clone
 * of the block's payload, as a fresh block would (a VM that keys state on the payload object
 * cannot carry it from one run into the next), and the same pre-state object;
 * `minParallelTxs` is 0 (every block really runs in parallel) and a worker failure throws
 * instead of silently re-running the block sequentially; a parallel run that fell back to
 * sequential execution anyway (e.g. a block too large for the shared memory) is reported,
 * since it tested nothing (`requireParallel`). While shrinking, a candidate block counts as
 * passing only after `SHRINK_REPEATS` clean runs per configuration, since a nondeterministic
 * failure may need several interleavings to show; a replayed counterexample (`path`) gets
 * `REPLAY_REPEATS` runs per configuration.
 *
 * Deterministic mode (`delays: 'deterministic'`, delays.ts): pauses are microtask chains
 * chosen by the delay seed and the lane, so that at `threads: 1` with several lanes a run is a
 * pure function of the block and its delay seed (fast-check draws both from `seed`): a
 * divergence found once is found on every run and replays exactly. Scheduler v2's serial
 * fallback, which reads the clock, is off there unless `serialFallbackRatio` is given.
 */
import fc from 'fast-check'
import { threadId } from 'node:worker_threads'
import type { BaseState } from '../executor/baseState.js'
import { MapBaseState } from '../executor/baseState.js'
import type { BlockExecutor, BlockJob, ExecutionStats } from '../executor/engine.js'
import { createBlockSTMExecutor, moduleUrl } from '../executor/engine.js'
import { loadUserVM } from './module.js'
import { TransactionVMError } from '../executor/blockstm.js'
import { errorMessage } from '../executor/executor.js'
import { executeSequential } from '../executor/sequential.js'
import { siblingUrl } from '../executor/workerStart.js'
import { createStaticBatchExecutor } from '../planner/engine.js'
import type { Predict } from '../planner/types.js'
import type { SchedulerKind } from '../scheduler/types.js'
import { DEFAULT_SCHEDULER } from '../scheduler/create.js'
import { toJSONText } from './canonical.js'
import { firstDifference, outcomeOf, type Difference, type Outcome } from './compare.js'
import { DEFAULT_DELAYS, DETERMINISTIC_DELAYS, type DelayPlan } from './delays.js'
import type { KitPayload } from './delayingVm.js'
import { jobOf, mockBlocks, type BlockCase } from './mockBlocks.js'
import type { CheckOptions, DelayOptions, DeterminismReport, Divergence, EngineConfig, GeneratedBlock, KitPredict } from './types.js'

/** The wrapping VM module every parallel run loads (it loads the user's module). */
export const DELAYING_VM = siblingUrl(import.meta.url, 'delayingVm').href
/** The built-in mock transaction VM (src/mock/mockVm.ts). */
export const MOCK_VM_MODULE = new URL(import.meta.url.endsWith('.ts') ? '../mock/mockVm.ts' : '../mock/mockVm.js', import.meta.url).href

/** Clean runs per configuration a candidate needs while shrinking before it counts as passing. */
const SHRINK_REPEATS = 3
/** Runs per configuration when replaying one counterexample (`path`): the interleaving must show again. */
const REPLAY_REPEATS = 25

/** Parallel execution differed from sequential execution (or the parallel engine was not exercised). */
export class DeterminismError extends Error {
  constructor(
    message: string,
    /** fast-check seed and counterexample path: pass both to `checkDeterminism` to replay. */
    readonly seed: number,
    readonly path: string | undefined,
    /** The shrunk block, as generated, and as JSON. */
    readonly block: unknown,
    readonly blockJSON: string,
    readonly numShrinks: number,
    /** The divergence on the shrunk block (undefined when a callback failed instead). */
    readonly divergence: Divergence | undefined,
  ) {
    super(message)
    this.name = 'DeterminismError'
  }
  get threads(): number | undefined {
    return this.divergence?.threads
  }
  get txIndex(): number | undefined {
    return this.divergence?.difference.txIndex
  }
  get location(): string | undefined {
    return this.divergence?.difference.location
  }
}

/**
 * Bad input to the kit, not a divergence: a generated block that is not a block, or a
 * sequential run that failed outside any transaction (the VM cannot run the block at all).
 */
export class KitInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'KitInputError'
  }
}

/** Thrown inside the property: carries the divergence out of fast-check. */
class DivergenceFound extends Error {
  constructor(readonly divergence: Divergence) {
    super(`${divergence.config}: ${divergence.difference.summary}`)
    this.name = 'DivergenceFound'
  }
}

export interface DeterminismChecker<T> {
  readonly configs: ReadonlyArray<Required<Pick<EngineConfig, 'threads' | 'lanes' | 'name'>> & EngineConfig>
  /** Runs one block everywhere; the first divergence, or undefined. `repeats` overrides the option. */
  check(block: T, delaySeed: number, repeats?: number): Promise<Divergence | undefined>
  /** Counts so far. */
  readonly report: DeterminismReport
  close(): Promise<void>
}

function delayPlan(d: DelayOptions | undefined): DelayPlan | null {
  if (d === false) return null
  if (d === undefined || d === true) return DEFAULT_DELAYS
  if (d === 'deterministic') return DETERMINISTIC_DELAYS
  if (typeof d !== 'object' || d === null) throw new RangeError(`delays must be true, false, 'deterministic' or a plan, got ${String(d)}`)
  if (d.mode !== undefined && d.mode !== 'random' && d.mode !== 'deterministic') throw new RangeError(`delays.mode must be 'random' or 'deterministic', got ${String(d.mode)}`)
  const plan = { ...(d.mode === 'deterministic' ? DETERMINISTIC_DELAYS : DEFAULT_DELAYS), ...d }
  if (!(plan.probability >= 0 && plan.probability <= 1)) throw new RangeError(`delays.probability must be in [0, 1], got ${plan.probability}`)
  if (!(plan.maxSpinUs >= 0) || !(plan.maxSleepMs >= 0)) throw new RangeError('delays.maxSpinUs and delays.maxSleepMs must be ≥ 0')
  if (plan.maxTicks !== undefined && !(Number.isInteger(plan.maxTicks) && plan.maxTicks >= 1)) throw new RangeError(`delays.maxTicks must be a positive integer, got ${plan.maxTicks}`)
  return plan
}

function isBaseState(b: unknown): b is BaseState {
  return typeof b === 'object' && b !== null && typeof (b as BaseState).get === 'function' && typeof (b as BaseState).entries === 'function'
}

/** The pre-block state of a generated block as a BaseState. */
export function toBaseState(base: GeneratedBlock['base']): BaseState {
  return isBaseState(base) ? base : new MapBaseState(base as Iterable<[Uint8Array, Uint8Array]>)
}

/** A mock block case (from `mockBlocks`), which runs as its mock job unless `payloadFor` says otherwise. */
function isMockCase(b: unknown): b is BlockCase {
  const c = b as BlockCase
  return typeof c === 'object' && c !== null && typeof c.presence === 'object' && Array.isArray(c.block?.txs) && typeof c.block.keyCount === 'number'
}

function checkGenerated(b: GeneratedBlock): void {
  if (typeof b !== 'object' || b === null) throw new KitInputError('a generated block must be an object { txCount, payload, base }')
  if (!Number.isInteger(b.txCount) || b.txCount < 0) throw new KitInputError(`a generated block's txCount must be a non-negative integer, got ${String(b.txCount)}`)
  if (b.base === undefined || b.base === null || typeof b.base !== 'object') throw new KitInputError('a generated block needs a base (the pre-block state: a BaseState or [key, value] pairs)')
}

function configsOf<T>(opts: CheckOptions<T>): Array<EngineConfig & { lanes: number; name: string }> {
  const engine = opts.engine ?? 'blockstm'
  let configs: EngineConfig[]
  if (opts.configs !== undefined) configs = opts.configs
  else {
    const threads = opts.threads ?? [1, 2, 4]
    const lanes = engine === 'static-batch' ? [1] : Array.isArray(opts.lanes) ? opts.lanes : [opts.lanes ?? 1]
    const schedulers: Array<SchedulerKind | undefined> =
      engine === 'static-batch' || opts.scheduler === undefined ? [undefined] : Array.isArray(opts.scheduler) ? opts.scheduler : [opts.scheduler]
    configs = schedulers.flatMap((sc) =>
      lanes.flatMap((l) =>
        threads.map((t) => ({
          threads: t,
          lanes: l,
          ...(sc !== undefined ? { options: { scheduler: sc }, name: `threads ${t} × lanes ${l}, scheduler ${sc}` } : {}),
        })),
      ),
    )
  }
  if (configs.length === 0) throw new RangeError('no engine configuration to check (threads is empty)')
  return configs.map((c) => {
    if (!Number.isInteger(c.threads) || c.threads < 1) throw new RangeError(`threads must be positive integers, got ${c.threads}`)
    const lanes = c.lanes ?? 1
    if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes must be positive integers, got ${lanes}`)
    const name = c.name ?? (engine === 'static-batch' ? `static-batch threads ${c.threads}` : `threads ${c.threads} × lanes ${lanes}`)
    return { ...c, lanes, name }
  })
}

/** Starts the executors of every configuration (close the checker when done). */
export async function createDeterminismChecker<T = BlockCase>(opts: CheckOptions<T> = {}): Promise<DeterminismChecker<T>> {
  const engine = opts.engine ?? 'blockstm'
  const vmModule = moduleUrl(opts.vmModule ?? MOCK_VM_MODULE)
  const plan = delayPlan(opts.delays)
  const repeats = opts.repeats ?? 1
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`repeats must be a positive integer, got ${repeats}`)
  const configs = configsOf(opts)
  const toJob: (b: T) => Promise<GeneratedBlock> =
    opts.payloadFor !== undefined ? async (b) => opts.payloadFor!(b) : async (b) => (isMockCase(b) ? jobOf(b) : (b as GeneratedBlock))
  // The reference loads the user's module as it is, on this thread (fails early when it does not load).
  const mod = await loadUserVM(vmModule)

  let predictSeed = 0
  let userPredict: KitPredict | undefined = opts.predict
  if (engine === 'static-batch' && userPredict === undefined) {
    const { oraclePredictor } = await import('../planner/predictors.js')
    const oracle = oraclePredictor(vmModule)
    userPredict = (job) => oracle(job)
  }
  const predict: Predict = (job) => userPredict!({ ...job, payload: (job.payload as KitPayload).payload }, { seed: predictSeed })

  // Started together: worker start-up (loading the VM in every thread) dominates short checks.
  const started = await Promise.allSettled(
    configs.map((c): Promise<BlockExecutor> =>
      engine === 'static-batch'
        ? createStaticBatchExecutor({ threads: c.threads, vmModule: DELAYING_VM, predict, predictor: 'kit' })
        : createBlockSTMExecutor({
            minParallelTxs: 0,
            onWorkerFailure: 'throw',
            // Scheduler v2 switches to serial mode on wall time (its progress test): not a
            // function of the seed, so off in deterministic mode unless asked for.
            ...(plan?.mode === 'deterministic' && (c.options?.scheduler ?? opts.options?.scheduler ?? DEFAULT_SCHEDULER) === 'v2' ? { serialFallbackRatio: Infinity } : {}),
            ...opts.options,
            ...c.options,
            threads: c.threads,
            lanes: c.lanes,
            vmModule: DELAYING_VM,
          }),
    ),
  )
  const executors = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failedStart = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failedStart !== undefined) {
    for (const ex of executors) await ex.close()
    throw failedStart.reason
  }

  const report: DeterminismReport = {
    blocks: 0,
    parallelRuns: 0,
    transactions: 0,
    failingBlocks: 0,
    runsWithAborts: 0,
    runsWithDependencyWaits: 0,
    runsSerial: 0,
    seed: opts.seed ?? 0,
    configs: configs.map((c) => c.name),
  }

  async function reference(job: GeneratedBlock, base: BaseState): Promise<Outcome> {
    return outcomeOf(async () => {
      const vm = await mod.createTransactionVM(structuredClone(job.payload), 0)
      return executeSequential(vm, job.txCount, base, 0, (tx, e) => new TransactionVMError(tx, errorMessage(e)))
    })
  }

  /** Why a successful parallel run did not exercise the parallel engine, if it did not. */
  function notParallel(stats: ExecutionStats, txCount: number): string | undefined {
    const fb = stats.fallback
    if (fb !== undefined && !fb.startsWith('serial:')) return `the parallel run fell back (${fb}): it tested nothing`
    if (engine === 'blockstm' && stats.executions < txCount) return `the parallel run executed ${stats.executions} incarnations for ${txCount} transactions`
    return undefined
  }

  return {
    configs,
    report,
    async check(block: T, delaySeed: number, times = repeats): Promise<Divergence | undefined> {
      const job = await toJob(block)
      checkGenerated(job)
      const base = toBaseState(job.base)
      const sequential = await reference(job, base)
      if (!sequential.ok && sequential.txIndex < 0) throw new KitInputError(`the sequential run failed outside any transaction: ${sequential.name}: ${sequential.message}`)
      report.blocks++
      report.transactions += job.txCount
      if (!sequential.ok) report.failingBlocks++
      for (let i = 0; i < configs.length; i++) {
        const config = configs[i]!
        const ex = executors[i]!
        for (let r = 0; r < times; r++) {
          const seed = (delaySeed + r * 0x9e3779b1) >>> 0
          predictSeed = seed
          const payload: KitPayload = { kit: { vmModule, delays: plan, seed, callerThread: threadId }, payload: structuredClone(job.payload) }
          const pjob: BlockJob = { txCount: job.txCount, payload, base, ...(job.criticalPath !== undefined ? { criticalPath: job.criticalPath } : {}) }
          const parallel = await outcomeOf(() => ex.execute(pjob))
          report.parallelRuns++
          const stats = parallel.ok ? parallel.stats : undefined
          if (stats !== undefined) {
            if (stats.aborts > 0) report.runsWithAborts++
            if (stats.dependencyWaits > 0) report.runsWithDependencyWaits++
            if (String(stats.fallback ?? '').startsWith('serial:')) report.runsSerial++
          }
          let difference: Difference | undefined = firstDifference(sequential, parallel)
          if (difference === undefined && stats !== undefined && opts.requireParallel !== false) {
            const why = notParallel(stats, job.txCount)
            if (why !== undefined) difference = { summary: why }
          }
          if (difference !== undefined) {
            const scheduler = (ex as { scheduler?: SchedulerKind }).scheduler
            return { config: config.name, threads: config.threads, lanes: config.lanes, engine, ...(scheduler !== undefined ? { scheduler } : {}), difference, delaySeed: seed }
          }
          await opts.onRun?.({ block, job, config, sequential, parallel, ...(stats !== undefined ? { stats } : {}) })
        }
      }
      return undefined
    },
    async close() {
      for (const ex of executors) await ex.close()
    },
  }
}

/** The message of a divergence found on a shrunk block. */
function describe(d: Divergence | undefined, cause: unknown, seed: number, path: string | undefined, numShrinks: number, blockJSON: string): string {
  const lines: string[] = []
  if (d !== undefined) {
    const what = d.engine === 'static-batch' ? 'the static-batch planner' : 'Block-STM'
    lines.push(`${what} is not deterministic on this VM: a parallel run differs from sequential execution`)
    lines.push(`  configuration: ${d.engine}, threads ${d.threads}, lanes ${d.lanes}${d.scheduler !== undefined ? `, scheduler ${d.scheduler}` : ''} (delay seed ${d.delaySeed})`)
    const diff = d.difference
    if (diff.txIndex !== undefined) lines.push(`  first differing transaction: ${diff.txIndex} (sequential: ${diff.expected}; parallel: ${diff.actual})`)
    if (diff.location !== undefined) lines.push(`  first differing location: ${diff.location} (sequential: ${diff.expectedValue}; parallel: ${diff.actualValue})`)
    if (diff.txIndex === undefined && diff.location === undefined) lines.push(`  ${diff.summary}`)
  } else {
    lines.push(`the determinism check failed: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`)
  }
  lines.push(`  replay: seed ${seed}${path !== undefined ? `, path ${path}` : ''}`)
  lines.push(`  shrunk block (${numShrinks} shrinks): ${blockJSON}`)
  return lines.join('\n')
}

/**
 * Checks that `opts.vmModule` stays deterministic under the parallel engine: `opts.runs`
 * generated blocks, each on every configuration, compared with sequential execution. Returns
 * what it checked; throws {@link DeterminismError} with the shrunk counterexample on the
 * first divergence.
 */
export async function checkDeterminism<T = BlockCase>(opts: CheckOptions<T> = {}): Promise<DeterminismReport> {
  const runs = opts.runs ?? 100
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`runs must be a positive integer, got ${runs}`)
  let arb: fc.Arbitrary<T>
  if (opts.blocks !== undefined) arb = opts.blocks
  else {
    const t = opts.txCount
    const range = typeof t === 'number' ? { maxTxs: t, minTxs: Math.min(1, t) } : { minTxs: t?.min ?? 1, maxTxs: t?.max ?? 60 }
    arb = mockBlocks(range) as unknown as fc.Arbitrary<T>
  }
  const checker = await createDeterminismChecker(opts)
  try {
    let done = 0
    let failed = false
    const replaying = opts.path !== undefined
    const property = fc.asyncProperty(arb, fc.nat(), async (block, delaySeed) => {
      const shrinking = failed
      try {
        const d = await checker.check(block, delaySeed, replaying ? REPLAY_REPEATS : shrinking ? Math.max(SHRINK_REPEATS, opts.repeats ?? 1) : undefined)
        if (d !== undefined) throw new DivergenceFound(d)
      } catch (e) {
        failed = true
        throw e
      } finally {
        if (!shrinking) opts.onProgress?.(++done, runs)
      }
    })
    const details = await fc.check(property, {
      numRuns: runs,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.path !== undefined ? { path: opts.path } : {}),
    })
    const report = { ...checker.report, seed: details.seed }
    if (!details.failed) return report
    const cause = details.errorInstance
    if (cause instanceof KitInputError) throw cause
    const divergence = cause instanceof DivergenceFound ? cause.divergence : undefined
    const block = details.counterexample?.[0]
    const blockJSON = toJSONText(block)
    const path = details.counterexamplePath ?? undefined
    const err = new DeterminismError(describe(divergence, cause, details.seed, path, details.numShrinks, blockJSON), details.seed, path, block, blockJSON, details.numShrinks, divergence)
    if (divergence === undefined) err.cause = cause
    throw err
  } finally {
    await checker.close()
  }
}
