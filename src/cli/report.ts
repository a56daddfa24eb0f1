/**
 * `blockstm report --out DIR [--full|--quick]`: the research comparison of Block-STM (both
 * schedulers) and the static-batch planner (each predictor) on blocks of mainnet size, the
 * mainnet fixtures and the latency model (src/report). Prints the summary and a table; writes
 * results.json/.csv, SVG charts, a Block-STM timeline and index.html to DIR (default ./report).
 *
 * Exit status: 0; 1 when an engine differed from sequential in some run; 2 on bad options or
 * an unreadable --merge file (one line on stderr).
 */
import type { Command } from 'commander'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { summarize } from '../report/summary.js'
import { runReport } from '../report/run.js'
import { summaryTable, toTable, writeReport } from '../report/output.js'
import { MergeInputError, readMerged } from '../report/merge.js'
import { fullLevels, latencyPoints, MAINNET_GAS, profileGrid } from '../report/grid.js'
import type { BlockSpec, ReportData, ReportOptions, ReportProfile, SchedulerName } from '../report/types.js'
import { WORKLOAD_KINDS, type WorkloadKind } from '../workloads/types.js'
import { EVM_PREDICTORS, type EvmPredictorName } from '../evm/predictors.js'
import { positiveInt, UsageError } from './util.js'

const SCHEDULERS = ['v1', 'v2'] as const

function list<T extends string>(name: string, allowed: readonly string[], v: string): T[] {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean)
  if (xs.length === 0) throw new UsageError(`${name}: empty list`)
  for (const x of xs) if (!allowed.includes(x)) throw new UsageError(`${name}: unknown value ${JSON.stringify(x)} (one of ${allowed.join(', ')})`)
  return [...new Set(xs)] as T[]
}

function ints(name: string, v: string): number[] {
  const one = positiveInt(name)
  try {
    return v.split(',').map((s) => one(s.trim()))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** `30000000`, `30M` or `30m`. */
function gasList(v: string): number[] {
  return v.split(',').map((s) => {
    const m = /^(\d+(?:\.\d+)?)([mM]?)$/.exec(s.trim())
    const n = m ? Number(m[1]) * (m[2] ? 1e6 : 1) : NaN
    if (!Number.isSafeInteger(n) || n < 21_000) throw new UsageError(`--gas must be a list of block gas amounts ≥ 21000 (e.g. 30M,60M), got ${JSON.stringify(s)}`)
    return n
  })
}

interface ReportCliOptions {
  out: string
  quick?: boolean
  full?: boolean
  kinds?: string
  accounts?: string
  gas?: string
  txs?: string
  threads?: string
  predictors?: string
  schedulers?: string
  mainnet?: string
  latency?: string
  latencyTxs?: string
  merge?: string[]
  fixtures?: string
  from?: string
  rounds?: string
  warmup?: string
  json?: boolean
}

/** Validates the options (UsageError on anything wrong) into runReport's options. */
export function reportOptions(o: ReportCliOptions): ReportOptions {
  if (o.quick && o.full) throw new UsageError('--quick and --full exclude each other')
  const profile: ReportProfile = o.full ? 'full' : o.quick ? 'quick' : 'default'
  const grid = profileGrid(profile)
  const opts: ReportOptions = { profile }
  const txs = o.txs !== undefined ? ints('--txs', o.txs)[0]! : undefined
  if (o.txs !== undefined && o.gas !== undefined) throw new UsageError('give --txs or --gas, not both')
  if (o.kinds !== undefined || o.accounts !== undefined || o.gas !== undefined || txs !== undefined) {
    const kinds = o.kinds === undefined ? [...new Set(grid.blocks.map((b) => b.kind))] : o.kinds.trim() === 'none' ? [] : list<WorkloadKind>('--kinds', WORKLOAD_KINDS, o.kinds)
    const accounts = o.accounts !== undefined ? ints('--accounts', o.accounts) : undefined
    const gas = o.gas !== undefined ? gasList(o.gas) : undefined
    const blocks: BlockSpec[] = []
    for (const kind of kinds) {
      const levels = accounts ?? (o.kinds === undefined ? [...new Set(grid.blocks.filter((b) => b.kind === kind).map((b) => b.accounts))] : fullLevels(kind))
      for (const a of levels) {
        for (const g of gas ?? [MAINNET_GAS]) blocks.push(txs !== undefined ? { kind, accounts: a, gas: 0, txs } : { kind, accounts: a, gas: g })
      }
    }
    opts.blocks = blocks
  }
  const threads = o.threads !== undefined ? ints('--threads', o.threads) : undefined
  if (threads !== undefined) opts.threads = [...new Set(threads)]
  if (o.predictors !== undefined) opts.predictors = list<EvmPredictorName>('--predictors', EVM_PREDICTORS, o.predictors)
  if (o.schedulers !== undefined) opts.schedulers = list<SchedulerName>('--schedulers', SCHEDULERS, o.schedulers)
  if (o.mainnet !== undefined) {
    const m = o.mainnet.trim()
    if (m === 'all') opts.mainnet = 'all'
    else if (/^\d+$/.test(m) && Number(m) < 1000) opts.mainnet = Number(m)
    else if (/^\d+(,\d+)*$/.test(m)) opts.mainnet = m.split(',')
    else throw new UsageError('--mainnet must be a count (0 for none), all, or a list of block numbers')
  }
  if (o.latency !== undefined || o.latencyTxs !== undefined) {
    const l = (o.latency ?? grid.latency.map((p) => p.accounts).join(',')).trim()
    const t = Math.max(...(opts.threads ?? grid.threads))
    const txsL = o.latencyTxs !== undefined ? ints('--latency-txs', o.latencyTxs)[0]! : (grid.latency[0]?.txs ?? 1000)
    opts.latency = l === 'none' || l === '' ? [] : latencyPoints(ints('--latency', l), t, txsL)
  }
  if (o.merge !== undefined) opts.merge = o.merge
  if (o.rounds !== undefined || o.warmup !== undefined) {
    opts.harness = { warmup: o.warmup !== undefined ? ints('--warmup', o.warmup)[0]! : grid.harness.warmup, rounds: o.rounds !== undefined ? ints('--rounds', o.rounds)[0]! : grid.harness.rounds }
  }
  if (o.fixtures !== undefined) opts.fixturesRoot = o.fixtures
  return opts
}

/** An earlier run's results.json (and timeline.json beside it, when present). */
function loadResults(file: string): ReportData {
  let data: ReportData
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as ReportData
  } catch (e) {
    throw new UsageError(`--from ${file}: cannot read a results.json (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  if (!Array.isArray(data.rows) || !Array.isArray(data.latency) || typeof data.machine !== 'object') throw new UsageError(`--from ${file}: not a report's results.json`)
  const tl = join(dirname(file), 'timeline.json')
  if (existsSync(tl)) data.timeline = JSON.parse(readFileSync(tl, 'utf8')) as ReportData['timeline']
  return data
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Compare Block-STM (schedulers v1, v2) with the static-batch planner (each predictor) on blocks of mainnet size, mainnet fixtures and the latency model; write index.html, JSON, CSV and charts')
    .option('--out <dir>', 'output directory', 'report')
    .option('--quick', 'small blocks (a smoke test)')
    .option('--full', 'the whole grid: every workload × contention level × 30M and 60M gas, every predictor, every mainnet fixture')
    .option('--kinds <list>', `generated workloads (${WORKLOAD_KINDS.join(',')}), or none`)
    .option('--accounts <list>', 'contention levels, e.g. 1,10,10000')
    .option('--gas <list>', 'block gas of the generated blocks, e.g. 30M,60M (the transaction count follows)')
    .option('--txs <n>', 'a fixed transaction count per generated block instead of --gas')
    .option('--threads <list>', 'thread counts (default 1,2)')
    .option('--schedulers <list>', 'Block-STM schedulers (v1,v2)')
    .option('--predictors <list>', `static-batch predictors (${EVM_PREDICTORS.join(',')})`)
    .option('--mainnet <n|all|list>', 'mainnet fixtures: a count, all, or block numbers (0: none)')
    .option('--latency <list|none>', 'latency-model contention levels K (accounts), or none')
    .option('--latency-txs <n>', 'transactions per latency-model block')
    .option('--merge <file>', "a many-core run to add: a report's results.json or `blockstm bench --threads 1,2,… --json` output (repeatable)", (v: string, acc: string[] = []) => [...acc, v])
    .option('--from <results.json>', "write the report of an earlier run's results.json (timeline.json beside it) instead of running, e.g. to add --merge files")
    .option('--warmup <n>', 'warm-up rounds per block')
    .option('--rounds <n>', 'timed rounds per block (median reported)')
    .option('--fixtures <dir>', 'fixtures root holding mainnet/ (default $BLOCKSTM_FIXTURES, else the repository\'s fixtures/)')
    .option('--json', 'print the results as JSON instead of the tables')
    .action(async (o: ReportCliOptions) => {
      const opts = reportOptions(o)
      // Unreadable merge files fail before the run (exit 2).
      try {
        for (const f of opts.merge ?? []) readMerged(f)
      } catch (e) {
        if (e instanceof MergeInputError) throw new UsageError(e.message)
        throw e
      }
      let data: ReportData
      if (o.from !== undefined) {
        data = loadResults(o.from)
        data.merged = [...data.merged, ...(opts.merge ?? []).flatMap((f) => readMerged(f))]
        data.options.merge = [...data.options.merge, ...(opts.merge ?? [])]
        data.summary = summarize(data)
      } else {
        data = await runReport({ ...opts, log: (l) => process.stderr.write(l + '\n') })
        data.command = `blockstm ${process.argv.slice(2).join(' ')}`
      }
      const out = resolve(String(o.out))
      const w = await writeReport(data, out)
      if (o.json) process.stdout.write(JSON.stringify({ summary: data.summary, rows: data.rows, latency: data.latency }) + '\n')
      else process.stdout.write(toTable(data.rows) + '\n\n' + summaryTable(data.summary) + '\n')
      for (const m of data.missing) process.stderr.write(`missing: ${m}\n`)
      process.stderr.write(`report: ${w.files.length} files in ${out} (open ${out}/index.html); ${data.wallSeconds} s\n`)
      if (data.rows.some((r) => !r.correct) || data.latency.some((r) => !r.correct)) process.exitCode = 1
    })
}
