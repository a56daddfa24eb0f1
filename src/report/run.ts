/**
 * The research comparison behind `blockstm report`: generated workloads × contention levels
 * × engines × threads, plus the mainnet fixtures, all at the engine level (the same engine
 * job — src/evm/txvm.ts over the pre-state — handed to every engine).
 *
 * Per block: one recording sequential run gives the exact access sets (the `oracle`) and the
 * reference result; the oracle's conflict graph, weighted by gas, gives the bound
 * min(threads, total work / critical-path work) under the static-batch conflict rule ('all')
 * and under the multi-version rule ('raw'). Every engine is then checked against the reference
 * once and timed round-robin (src/bench/harness.ts: warm-up until stable, median of rounds).
 */
import { fixturesRoot as defaultFixturesRoot } from '../evm/fixtureDirs.js'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createSequentialExecutor, type BlockExecutor, type BlockJob, type BlockResult } from '../executor/engine.js'
import { createBlockSTMExecutor } from '../executor/blockstm.js'
import type { TraceEvent } from '../executor/executor.js'
import { timeEngines, type HarnessOptions } from '../bench/harness.js'
import { loadBlockFixture } from '../evm/fixtures.js'
import type { EvmTxOutput } from '../evm/txvm.js'
import { generateWorkload, type WorkloadKind } from '../workloads/index.js'
import { createStaticBatchExecutor } from '../planner/engine.js'
import { evmEngineJob, TXVM_MODULE } from '../evm/staticBatch.js'
import { evmPredictor, type EvmPredictorName } from '../evm/predictors.js'
import { planBatches } from '../planner/plan.js'
import { recordAccessSets } from '../planner/record.js'
import type { PlannerExecutionStats, TxAccess } from '../planner/types.js'

export interface ReportOptions {
  quick?: boolean
  kinds?: WorkloadKind[]
  /** Contention levels (the workloads' `accounts`). */
  accounts?: number[]
  txs?: number
  threads?: number[]
  predictors?: EvmPredictorName[]
  /** Fixtures root ($BLOCKSTM_FIXTURES, else the repository's fixtures/); mainnet/ under it is used when present. */
  fixturesRoot?: string
  /** Mainnet fixtures to include: a number (the first N by size order) or 'all'. */
  mainnet?: number | 'all'
  /** Block to trace for the timeline: `${kind}-a${accounts}`. */
  timelineBlock?: string
  log?: (line: string) => void
}

export interface ReportRow {
  source: 'workload' | 'mainnet'
  /** Workload kind, or 'mainnet'. */
  workload: string
  /** Contention level (workloads), or 0. */
  accounts: number
  block: string
  txs: number
  engine: string
  predictor: string
  /** engine or engine/predictor */
  label: string
  threads: number
  medianMs: number
  speedup: number
  executions: number
  executionsPerTx: number
  validations: number
  aborts: number
  batches: number | null
  maxBatch: number | null
  mispredictions: number | null
  reexecutions: number | null
  reexecMs: number | null
  planMs: number | null
  /** Outputs and state diff equal the sequential engine's. */
  correct: boolean
  /** Set when the engine fell back to another strategy for this block (e.g. Block-STM's serial mode). */
  fallback: string | null
  /** Oracle conflict graph of the block ('all' rule): critical path by count and by gas, total gas. */
  cpCount: number
  cpGas: number
  totalGas: number
  /** min(threads, total/cp) under the 'all' and the 'raw' rule. */
  bound: number
  boundRaw: number
}

export interface ReportData {
  generatedAt: string
  command: string
  machine: { cpus: number; node: string }
  options: Required<Pick<ReportOptions, 'quick' | 'kinds' | 'accounts' | 'txs' | 'threads' | 'predictors'>>
  rows: ReportRow[]
  timeline?: { block: string; engine: string; threads: number; events: TraceEvent[] }
  wallSeconds: number
}

const DEFAULT_KINDS: WorkloadKind[] = ['raw', 'erc20', 'uniswap', 'nft', 'mixed']
const ALL_PREDICTORS: EvmPredictorName[] = ['address', 'address-optimistic', 'access-list', 'oracle']

interface EngineSpec {
  label: string
  engine: string
  predictor: string
  threads: number
  ex: BlockExecutor
}

interface Block {
  source: 'workload' | 'mainnet'
  workload: string
  accounts: number
  name: string
  job: BlockJob
}

const canon = (x: unknown) =>
  JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))

function sameResult(a: BlockResult<unknown>, b: BlockResult<unknown>): boolean {
  return canon(a.outputs) === canon(b.outputs) && canon(a.writes) === canon(b.writes)
}

function contentionLevels(kind: WorkloadKind, levels: number[], quick: boolean): number[] {
  // Uniswap pools and NFT contracts are deployed one by one in the setup, and a swap costs
  // several ms: keep NFT contracts ≤ 100 and pools ≤ 10 so that the default run stays short.
  if (quick) return levels
  if (kind === 'uniswap') return levels.filter((a) => a <= 10)
  return kind === 'raw' || kind === 'erc20' ? levels : levels.filter((a) => a <= 100)
}

export function fixturesRoot(opt?: string): string {
  return opt !== undefined ? resolve(opt) : defaultFixturesRoot()
}

async function mainnetBlocks(root: string, count: number | 'all', log: (s: string) => void): Promise<Block[]> {
  const dir = join(root, 'mainnet')
  if (!existsSync(dir) || count === 0) return []
  const names = readdirSync(dir).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
  const loaded: Array<Block & { n: number }> = []
  for (const n of names) {
    try {
      const f = await loadBlockFixture(join(dir, n))
      const job = evmEngineJob(f.block, f.common, f.preState, f.blockHashes)
      loaded.push({ source: 'mainnet', workload: 'mainnet', accounts: 0, name: n, job, n: job.txCount })
    } catch (e) {
      log(`mainnet ${n}: skipped (${(e as Error).message})`)
    }
  }
  if (count === 'all') return loaded
  // A spread of sizes: blocks of 50–300 transactions, newest first.
  return loaded.filter((b) => b.n >= 50 && b.n <= 300).reverse().slice(0, count)
}

export async function runReport(opts: ReportOptions = {}): Promise<ReportData> {
  const started = performance.now()
  const log = opts.log ?? (() => {})
  const quick = opts.quick ?? false
  const kinds = opts.kinds ?? DEFAULT_KINDS
  const accounts = opts.accounts ?? (quick ? [1, 10] : [1, 10, 100, 1000])
  const txs = opts.txs ?? (quick ? 24 : 64)
  const threads = opts.threads ?? [1, 2]
  const predictors = opts.predictors ?? ALL_PREDICTORS
  const harness: HarnessOptions = quick ? { minWarmup: 1, maxWarmup: 1, rounds: 1 } : { minWarmup: 1, maxWarmup: 3, rounds: 3, tolerance: 0.15 }

  // Engines: created once, kept across blocks.
  const engines: EngineSpec[] = [{ label: 'sequential', engine: 'sequential', predictor: '', threads: 1, ex: createSequentialExecutor({ vmModule: TXVM_MODULE }) }]
  for (const t of threads) {
    engines.push({ label: 'blockstm', engine: 'blockstm', predictor: '', threads: t, ex: await createBlockSTMExecutor({ threads: t, vmModule: TXVM_MODULE, minParallelTxs: 0 }) })
    for (const p of predictors) {
      const ex = await createStaticBatchExecutor({ threads: t, vmModule: TXVM_MODULE, predict: evmPredictor(p, TXVM_MODULE), predictor: p })
      engines.push({ label: `static-batch/${p}`, engine: 'static-batch', predictor: p, threads: t, ex })
    }
  }

  const blocks: Block[] = []
  for (const kind of kinds) {
    for (const a of contentionLevels(kind, accounts, quick)) {
      const t0 = performance.now()
      const w = await generateWorkload({ kind, txs, accounts: a, seed: 1 })
      log(`workload ${w.name}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      blocks.push({ source: 'workload', workload: kind, accounts: a, name: w.name, job: evmEngineJob(w.block, w.common, w.preState, new Map()) })
    }
  }
  blocks.push(...(await mainnetBlocks(fixturesRoot(opts.fixturesRoot), opts.mainnet ?? (quick ? 1 : 3), log)))

  const rows: ReportRow[] = []
  let timeline: ReportData['timeline']
  const traceName = opts.timelineBlock ?? (quick ? 'uniswap-a1' : 'mixed-a10')
  try {
    for (const b of blocks) {
      const rec = await recordAccessSets<EvmTxOutput>(TXVM_MODULE, b.job)
      const access: TxAccess[] = rec.access.map((a, i) => ({ ...a, work: Number(rec.outputs[i]?.gasUsed ?? 0n) }))
      const all = planBatches(access, 'all')
      const raw = planBatches(access, 'raw')
      const total = all.totalWork ?? 0
      const ratio = (cp: number | undefined) => (cp && cp > 0 ? total / cp : 1)
      const reference = await engines[0]!.ex.execute(b.job)
      const last = new Map<string, BlockResult<unknown>>()
      const key = (e: EngineSpec) => `${e.label}@${e.threads}`
      const timings = await timeEngines(
        engines.map((e) => ({
          name: key(e),
          run: async () => {
            const r = await e.ex.execute(b.job)
            last.set(key(e), r)
            return r.stats.wallMs
          },
        })),
        harness,
      )
      const seqMs = timings.get(key(engines[0]!))!.medianMs
      for (const e of engines) {
        const r = last.get(key(e))!
        const st = r.stats as PlannerExecutionStats
        const pl = st.planner
        const ms = timings.get(key(e))!.medianMs
        rows.push({
          source: b.source,
          workload: b.workload,
          accounts: b.accounts,
          block: b.name,
          txs: b.job.txCount,
          engine: e.engine,
          predictor: e.predictor,
          label: e.label,
          threads: e.threads,
          medianMs: round(ms),
          speedup: round(seqMs / ms, 3),
          executions: st.executions,
          executionsPerTx: round(st.executions / Math.max(1, b.job.txCount), 3),
          validations: st.validations,
          aborts: st.aborts,
          batches: pl?.batches ?? null,
          maxBatch: pl?.maxBatch ?? null,
          mispredictions: pl?.mispredictions ?? null,
          reexecutions: pl?.reexecutions ?? null,
          reexecMs: pl ? round(pl.reexecMs) : null,
          planMs: pl ? round(pl.planMs) : null,
          correct: sameResult(reference, r),
          fallback: st.fallback ?? null,
          cpCount: all.criticalPath,
          cpGas: all.criticalPathWork ?? 0,
          totalGas: total,
          bound: round(Math.min(e.threads, ratio(all.criticalPathWork)), 3),
          boundRaw: round(Math.min(e.threads, ratio(raw.criticalPathWork)), 3),
        })
      }
      const s2 = rows.filter((r) => r.block === b.name && r.threads === Math.max(...threads))
      log(`${b.name} (${b.job.txCount} txs): ` + s2.map((r) => `${r.label} ${r.speedup.toFixed(2)}×${r.correct ? '' : ' WRONG'}`).join(', '))
      if (timeline === undefined && `${b.workload}-a${b.accounts}` === traceName) {
        const t = Math.max(...threads)
        const ex = engines.find((e) => e.engine === 'blockstm' && e.threads === t)!.ex as Awaited<ReturnType<typeof createBlockSTMExecutor>>
        const r = await ex.execute<unknown>({ ...b.job, trace: true })
        timeline = { block: b.name, engine: 'blockstm', threads: t, events: r.trace ?? [] }
      }
    }
  } finally {
    for (const e of engines) await e.ex.close()
  }
  return {
    generatedAt: new Date().toISOString(),
    command: '',
    machine: { cpus: (await import('node:os')).availableParallelism(), node: process.version },
    options: { quick, kinds, accounts, txs, threads, predictors },
    rows,
    ...(timeline ? { timeline } : {}),
    wallSeconds: round((performance.now() - started) / 1000, 1),
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
