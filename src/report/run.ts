/**
 * The research comparison behind `blockstm report`: generated blocks of mainnet size ×
 * engines × threads, the mainnet fixtures, and the latency model. Every engine runs through
 * the EVM binding exactly as users and `blockstm bench` run it (src/bench/evmEngines.ts →
 * `createEvmExecutor(...).executeBlock`): the shared sender table, sender hints, the chain
 * fallback, lanes and the engine's own small-block rule are all in the timed span, which is
 * the whole `executeBlock` call for every engine (bench's `ms`). A bare engine job would skip
 * that pipeline and mislead (it once showed Block-STM below 1× where bench measured 1.35×).
 *
 * Per block: one recording sequential run gives the exact access sets (the `oracle`); their
 * conflict graph, weighted by gas, gives the block's parallelism (total / critical-path gas),
 * its class (src/report/grid.ts) and the bound min(threads, parallelism) under the
 * static-batch rule ('all') and the multi-version rule ('raw'). Every engine then runs the
 * block round-robin (src/bench/harness.ts): `warmup` rounds, then `rounds` timed rounds, the
 * median counts. EVERY run of every engine — warm-up included — is compared with the
 * sequential engine's results, receipts, receipts root, logs bloom and post-state
 * (`describeDifference`); a row is `correct` only when all its runs were.
 *
 * Engines and their worker pools are created once and kept across blocks; a global warm-up
 * (every engine on a small mixed block) comes first, so that one warm-up round per block
 * suffices.
 */
import { fixturesRoot as defaultFixturesRoot } from '../evm/fixtureDirs.js'
import { existsSync, readdirSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import type { BlockJob } from '../executor/engine.js'
import { timeEngines } from '../bench/harness.js'
import { createRunner, describeDifference, type EngineRunner, type RunOutcome } from '../bench/evmEngines.js'
import { fixtureBlock, type BenchBlock } from '../bench/evmBlock.js'
import { createEvmExecutor, type EvmBlockResult } from '../evm/index.js'
import type { EvmTxOutput } from '../evm/txvm.js'
import { generateWorkload } from '../workloads/index.js'
import { evmEngineJob, TXVM_MODULE } from '../evm/staticBatch.js'
import { planBatches } from '../planner/plan.js'
import { recordAccessSets } from '../planner/record.js'
import type { PlannerExecutionStats, TxAccess } from '../planner/types.js'
import { classOf, profileGrid, txsOf } from './grid.js'
import { runLatencyModel } from './latency.js'
import { readMerged } from './merge.js'
import { summarize } from './summary.js'
import type { BlockSpec, MachineInfo, ReportData, ReportOptions, ReportRow, SchedulerName } from './types.js'

/** Block-STM schedulers the engine offers. */
export const SCHEDULERS_AVAILABLE: readonly SchedulerName[] = ['v1', 'v2']

interface EngineSpec {
  label: string
  engine: string
  scheduler: string
  predictor: string
  threads: number
  ex: EngineRunner
}

interface Block {
  source: 'workload' | 'mainnet'
  workload: string
  accounts: number
  name: string
  gasUsed: number
  gasTarget: number
  /** What every engine runs (through the binding). */
  bench: BenchBlock
  /** The same block as an engine job: only for the access-set oracle (recordAccessSets). */
  job: BlockJob
  /** The `report` options that regenerate this block's rows. */
  select: string
}

export function fixturesRoot(opt?: string): string {
  return opt !== undefined ? resolve(opt) : defaultFixturesRoot()
}

/** The mainnet fixture numbers a report runs: a list as given, the first N of the default choice, or all. */
export function mainnetNames(root: string, choice: number | 'all' | string[], defaults: string[]): string[] {
  const dir = join(root, 'mainnet')
  if (!existsSync(dir)) return []
  const present = readdirSync(dir).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
  if (Array.isArray(choice)) return choice
  if (choice === 'all') return present
  const preferred = defaults.filter((d) => present.includes(d))
  return [...preferred, ...present.filter((d) => !preferred.includes(d)).reverse()].slice(0, choice)
}

async function generatedBlock(spec: BlockSpec, log: (s: string) => void): Promise<Block> {
  const t0 = performance.now()
  let txs = txsOf(spec)
  let w = await generateWorkload({ kind: spec.kind, txs, accounts: spec.accounts, seed: 1 })
  if (spec.txs === undefined) {
    // Sized by gas: one correction when the kind's gas per transaction was off by > 10 %.
    const used = Number(w.block.header.gasUsed)
    if (Math.abs(used / spec.gas - 1) > 0.1) {
      txs = Math.max(1, Math.round((txs * spec.gas) / used))
      w = await generateWorkload({ kind: spec.kind, txs, accounts: spec.accounts, seed: 1 })
    }
  }
  const gasUsed = Number(w.block.header.gasUsed)
  log(`workload ${w.name}: ${txs} txs, ${(gasUsed / 1e6).toFixed(1)}M gas, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const select = `--kinds ${spec.kind} --accounts ${spec.accounts} ${spec.txs !== undefined ? `--txs ${spec.txs}` : `--gas ${spec.gas}`}`
  return {
    source: 'workload',
    workload: spec.kind,
    accounts: spec.accounts,
    name: w.name,
    gasUsed,
    gasTarget: spec.txs !== undefined ? 0 : spec.gas,
    bench: { label: w.name, block: w.block, common: w.common, preState: w.preState, blockHashes: new Map() },
    job: evmEngineJob(w.block, w.common, w.preState, new Map()),
    select,
  }
}

async function mainnetBlock(root: string, n: string): Promise<Block> {
  const f = await fixtureBlock(join(root, 'mainnet', n))
  const job = evmEngineJob(f.block, f.common, f.preState, f.blockHashes)
  return { source: 'mainnet', workload: 'mainnet', accounts: 0, name: n, gasUsed: Number(f.block.header.gasUsed), gasTarget: 0, bench: f, job, select: `--kinds none --mainnet ${n}` }
}

function machineInfo(loadStart: number[]): MachineInfo {
  const c = cpus()
  return {
    cpus: availableParallelism(),
    cpuModel: c[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadStart,
    loadEnd: loadavg().map((x) => round(x)),
  }
}

async function createEngines(threads: number[], schedulers: SchedulerName[], predictors: ReportData['options']['predictors']): Promise<EngineSpec[]> {
  const engines: EngineSpec[] = [
    { label: 'sequential', engine: 'sequential', scheduler: '', predictor: '', threads: 1, ex: await createRunner('sequential', 1) },
  ]
  try {
    for (const t of threads) {
      for (const s of schedulers) {
        if (!SCHEDULERS_AVAILABLE.includes(s)) continue
        const ex = await createRunner('blockstm', t, { scheduler: s })
        engines.push({ label: `blockstm-${s}`, engine: 'blockstm', scheduler: s, predictor: '', threads: t, ex })
      }
      for (const p of predictors) {
        const ex = await createRunner(`static-batch:${p}`, t)
        engines.push({ label: `static-batch/${p}`, engine: 'static-batch', scheduler: '', predictor: p, threads: t, ex })
      }
    }
  } catch (e) {
    for (const x of engines) await x.ex.close()
    throw e
  }
  return engines
}

/** Options of `blockstm report` that regenerate a row (engines and threads of this run). */
function engineSelect(threads: number[], schedulers: string[], predictors: string[]): string {
  return `--threads ${threads.join(',')} --schedulers ${schedulers.join(',')} --predictors ${predictors.join(',')}`
}

export async function runReport(opts: ReportOptions = {}): Promise<ReportData> {
  const started = performance.now()
  const loadStart = loadavg().map((x) => round(x))
  const log = opts.log ?? (() => {})
  const profile = opts.profile ?? 'default'
  const grid = profileGrid(profile)
  const blocksSpec = opts.blocks ?? grid.blocks
  const threads = opts.threads ?? grid.threads
  const predictors = opts.predictors ?? grid.predictors
  const schedulers = opts.schedulers ?? grid.schedulers
  const harness = opts.harness ?? grid.harness
  const root = fixturesRoot(opts.fixturesRoot)
  const mainnet = mainnetNames(root, opts.mainnet ?? grid.mainnet, Array.isArray(grid.mainnet) ? grid.mainnet : [])
  const latencySpec = opts.latency ?? grid.latency
  const missing: string[] = []
  for (const s of schedulers) if (!SCHEDULERS_AVAILABLE.includes(s)) missing.push(`Block-STM scheduler ${s}: not available in this build (issue 16); its rows are missing`)

  // Files to merge are read first: an unreadable one fails before any work.
  const merged = (opts.merge ?? []).flatMap((f) => readMerged(f))

  const engines = await createEngines(threads, schedulers, predictors)
  const select = engineSelect(threads, schedulers, predictors)
  const rows: ReportRow[] = []
  let timeline: ReportData['timeline']
  const traceName = opts.timelineBlock ?? grid.timelineBlock
  const globalWarmup = 'every engine ran a 200-transaction mixed block twice before the first row'
  try {
    // Global warm-up: JIT and worker start-up, once for all rows.
    const warm = await generatedBlock({ kind: 'mixed', accounts: 10, gas: 0, txs: 200 }, () => {})
    for (let i = 0; i < 2; i++) for (const e of engines) await e.ex.run(warm.bench)

    const blocks: Array<() => Promise<Block>> = [
      ...blocksSpec.map((s) => () => generatedBlock(s, log)),
      ...mainnet.map((n) => async () => mainnetBlock(root, n)),
    ]
    for (const load of blocks) {
      let b: Block
      try {
        b = await load()
      } catch (e) {
        const m = `a block could not be loaded: ${(e as Error).message.split('\n')[0]}`
        log(m)
        missing.push(m)
        continue
      }
      rows.push(...(await runBlock(b, engines, harness, select, log)))
      if (timeline === undefined && `${b.workload}-a${b.accounts}` === traceName) {
        const t = Math.max(...threads)
        const e = engines.find((x) => x.engine === 'blockstm' && x.threads === t)
        if (e !== undefined) {
          // A traced executor of the same configuration, through the binding like the timed runs.
          const traced = createEvmExecutor({ engine: 'blockstm', threads: t, scheduler: e.scheduler as SchedulerName, trace: true })
          try {
            const { bench: bb } = b
            const r = await traced.executeBlock({ block: bb.block, preState: bb.preState, blockHashes: bb.blockHashes, senderHints: bb.senderHints })
            timeline = { block: b.name, engine: e.label, threads: t, events: r.trace ?? [] }
          } finally {
            await traced.close()
          }
        }
      }
    }
  } finally {
    for (const e of engines) await e.ex.close()
  }

  const latency = latencySpec.length > 0 ? await runLatencyModel(latencySpec, schedulers.filter((x) => SCHEDULERS_AVAILABLE.includes(x)), harness, log) : []
  if (mainnet.length === 0 && opts.mainnet !== 0) missing.push(`no mainnet fixtures under ${join(root, 'mainnet')}`)

  const data: ReportData = {
    generatedAt: new Date().toISOString(),
    command: '',
    profile,
    machine: machineInfo(loadStart),
    harness: { ...harness, globalWarmup },
    options: { blocks: blocksSpec, threads, predictors, schedulers, mainnet, latency: latencySpec, merge: opts.merge ?? [] },
    summary: [],
    rows,
    latency,
    merged,
    missing,
    ...(timeline ? { timeline } : {}),
    wallSeconds: 0,
  }
  data.summary = summarize(data)
  data.wallSeconds = round((performance.now() - started) / 1000, 1)
  return data
}

async function runBlock(b: Block, engines: EngineSpec[], harness: { warmup: number; rounds: number }, select: string, log: (s: string) => void): Promise<ReportRow[]> {
  const t0 = performance.now()
  const cpu0 = process.cpuUsage()
  const rec = await recordAccessSets<EvmTxOutput>(TXVM_MODULE, b.job)
  const access: TxAccess[] = rec.access.map((a, i) => ({ ...a, work: Number(rec.outputs[i]?.gasUsed ?? 0n) }))
  const all = planBatches(access, 'all')
  const raw = planBatches(access, 'raw')
  const total = all.totalWork ?? 0
  const ratio = (cp: number | undefined) => (cp && cp > 0 ? total / cp : 1)
  const parallelism = ratio(all.criticalPathWork)
  const seqRunner = engines[0]!.ex
  await seqRunner.run(b.bench)
  const reference: EvmBlockResult = seqRunner.last!()!

  const key = (e: EngineSpec) => `${e.label}@${e.threads}`
  const last = new Map<string, RunOutcome>()
  const checks = new Map<string, { runs: number; wrong: number; firstDiff?: string }>(engines.map((e) => [key(e), { runs: 0, wrong: 0 }]))
  const timings = await timeEngines(
    engines.map((e) => ({
      name: key(e),
      run: async () => {
        const r = await e.ex.run(b.bench)
        const c = checks.get(key(e))!
        c.runs++
        const diff = await e.ex.check!(b.bench, reference)
        if (diff !== undefined) {
          c.wrong++
          c.firstDiff ??= diff
        }
        last.set(key(e), r)
        return r.ms
      },
    })),
    { minWarmup: harness.warmup, maxWarmup: harness.warmup, rounds: harness.rounds },
  )
  const seqMs = timings.get(key(engines[0]!))!.medianMs
  const rows: ReportRow[] = []
  for (const e of engines) {
    const r = last.get(key(e))!
    const st = r.stats as PlannerExecutionStats
    const pl = st.planner
    const t = timings.get(key(e))!
    const c = checks.get(key(e))!
    rows.push({
      source: b.source,
      workload: b.workload,
      accounts: b.accounts,
      block: b.name,
      txs: b.job.txCount,
      gasUsed: b.gasUsed,
      gasTarget: b.gasTarget,
      engine: e.engine,
      scheduler: e.scheduler,
      predictor: e.predictor,
      label: e.label,
      threads: e.threads,
      medianMs: round(t.medianMs),
      sequentialMs: round(seqMs),
      speedup: round(seqMs / t.medianMs, 3),
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
      correct: c.wrong === 0 && c.runs > 0,
      checkedRuns: c.runs,
      fallback: st.fallback ?? null,
      cpCount: all.criticalPath,
      cpGas: all.criticalPathWork ?? 0,
      totalGas: total,
      parallelism: round(parallelism, 2),
      class: classOf(parallelism, all.criticalPath),
      bound: round(Math.min(e.threads, parallelism), 3),
      boundRaw: round(Math.min(e.threads, ratio(raw.criticalPathWork)), 3),
      warmupRounds: t.warmupRounds,
      timedRounds: t.samples.length,
      command: `npx blockstm report ${b.select} ${select} --latency none --out /tmp/row`,
    })
  }
  const tMax = Math.max(...engines.map((e) => e.threads))
  const s = rows.filter((r) => r.threads === tMax && r.engine !== 'sequential')
  const cpu = process.cpuUsage(cpu0)
  log(
    `[${((performance.now() - t0) / 1000).toFixed(1)} s, cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s] ${b.name} (${b.job.txCount} txs, ${(b.gasUsed / 1e6).toFixed(1)}M gas, ${rows[0]!.class}, parallelism ${rows[0]!.parallelism}, seq ${seqMs.toFixed(0)} ms): ` +
      s.map((r) => `${r.label} ${r.speedup.toFixed(2)}×${r.correct ? '' : ` WRONG (${checks.get(`${r.label}@${r.threads}`)?.firstDiff ?? 'no run'})`}`).join(', '),
  )
  return rows
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
