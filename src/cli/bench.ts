/**
 * `blockstm bench`: engines compared on EVM blocks. This command parses options and prints;
 * the benches run in src/bench (evmBench.ts one block, modes.ts the thread sweep, mainnet and
 * scaling modes, evmMemory.ts the memory mode).
 *
 *   --workload <kind>   a generated block (src/workloads; --txs, --accounts, --seed, --zipf)
 *   --block <dir>       a fixture directory (the format of `blockstm block`)
 *   --mainnet [dir]     every block of a fixtures directory; mean speedup over blocks ≥ --min-txs
 *   --scaling           erc20 blocks of --sizes txs with conflict-free accounts: time/tx growth
 *   --memory            with --workload/--block: peak RSS per engine, each in a child process
 *
 * Exit status: 0 success, 1 results differ, 2 bad input (one-line message).
 */
import { mainnetFixturesDir } from '../evm/fixtureDirs.js'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import type CliProgress from 'cli-progress'
import { requireOptional } from '../util/optional.js'
import { EvmBench, round, type BlockBench, type EngineFigures } from '../bench/evmBench.js'
import { benchMainnet, benchScaling, benchThreadSweep, type MainnetResult } from '../bench/modes.js'
import { fixtureBlock, fixtureDirs, workloadBlock, type BenchBlock } from '../bench/evmBlock.js'
import { ENGINE_NAMES, isBenchEngineName, type BenchEngineName, type RunnerOptions } from '../bench/evmEngines.js'
import { measureMemory } from '../bench/evmMemory.js'
import { machineDescription } from '../bench/machine.js'
import type { HarnessOptions } from '../bench/harness.js'
import { WORKLOAD_KINDS, type WorkloadKind, type WorkloadParams } from '../workloads/index.js'
import { SCHEDULER_HELP, UsageError, nonNegativeNumber, parseScheduler, positiveInt, positiveIntList } from './util.js'
import type { SchedulerKind } from '../scheduler/types.js'

interface BenchOpts {
  workload?: string
  block?: string
  mainnet?: string | boolean
  scaling?: boolean
  memory?: boolean
  txs: number
  accounts: number
  /** One thread count, or several (a sweep: one table row per count, with --workload/--block). */
  threads: number[]
  engines?: string
  seed: number
  zipf?: number
  json?: boolean
  rounds: number
  minWarmup: number
  maxWarmup: number
  sizes: string
  minTxs: number
  memoryRuns: number
  progress?: boolean
  readLatencyUs?: number
  lanes?: number
  predictor?: string
  scheduler?: SchedulerKind
}

function defaultMainnetDir(): string {
  return mainnetFixturesDir()
}

function parseEngines(s: string | undefined, dflt: BenchEngineName[], predictor?: string): BenchEngineName[] {
  if (s === undefined) return dflt
  // `--predictor P` names the predictor of a plain `static-batch` in the list.
  if (predictor !== undefined) s = s.replace(/(^|,)\s*static-batch\s*(?=,|$)/g, `$1static-batch:${predictor}`)
  const list = s.split(',').map((x) => x.trim()).filter((x) => x !== '')
  if (list.length === 0) throw new UsageError('--engines: empty list')
  for (const e of list) {
    if (!isBenchEngineName(e)) {
      throw new UsageError(`--engines: unknown engine ${JSON.stringify(e)} (known: ${ENGINE_NAMES.join(', ')}, static-batch:<predictor>)`)
    }
  }
  return [...new Set(list)] as BenchEngineName[]
}

function parseSizes(s: string): number[] {
  const xs = s.split(',').map((x) => Number(x.trim()))
  if (xs.length === 0 || xs.some((x) => !Number.isSafeInteger(x) || x < 1)) throw new UsageError('--sizes must be a comma-separated list of positive integers')
  return xs
}

/** A progress bar on stderr while stdout is a terminal (never with --json). */
function progress(o: BenchOpts, label: string): { onRound: HarnessOptions['onRound']; tick(n?: number, total?: number): void; stop(): void } {
  const on = o.progress !== false && process.stdout.isTTY === true && !o.json
  if (!on) return { onRound: undefined, tick() {}, stop() {} }
  const cliProgress = requireOptional<typeof CliProgress>('cli-progress', 'cli-progress', 'the bench progress bar (or pass --no-progress)')
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {phase}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  )
  bar.start(o.maxWarmup + o.rounds, 0, { phase: '' })
  let warm = 0
  return {
    onRound(phase, r) {
      if (phase === 'warmup') {
        warm = r
        bar.update(r, { phase: 'warm-up' })
      } else {
        bar.setTotal(warm + o.rounds)
        bar.update(warm + r, { phase: 'timed' })
      }
    },
    tick(n, total) {
      if (total !== undefined) bar.setTotal(total)
      bar.update(n ?? 0, { phase: '' })
    },
    stop() {
      bar.stop()
    },
  }
}

function engineRow(f: EngineFigures): Record<string, unknown> {
  return {
    ms: f.ms,
    'tx/s': Math.round(f.txPerSec),
    'Mgas/s': round(f.gasPerSec / 1e6, 1),
    speedup: f.speedup ?? '',
    'exec/tx': f.executionsPerTx,
    'valid/tx': f.validationsPerTx,
    'aborts/tx': f.abortsPerTx,
    identical: f.identical === null ? '' : f.identical,
  }
}

function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v
}

function runnerOptions(o: BenchOpts): RunnerOptions {
  const r: RunnerOptions = {}
  if (o.readLatencyUs !== undefined) r.readLatencyUs = o.readLatencyUs
  if (o.lanes !== undefined) r.lanes = o.lanes
  if (o.scheduler !== undefined) r.scheduler = o.scheduler
  return r
}

function harnessOf(o: BenchOpts): HarnessOptions {
  if (o.minWarmup > o.maxWarmup) throw new UsageError('--min-warmup must not exceed --max-warmup')
  return { minWarmup: o.minWarmup, maxWarmup: o.maxWarmup, rounds: o.rounds }
}

function workloadParams(o: BenchOpts, kind: string, txs = o.txs, accounts = o.accounts): WorkloadParams {
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind)) throw new UsageError(`--workload: unknown kind ${JSON.stringify(kind)} (known: ${WORKLOAD_KINDS.join(', ')})`)
  const p: WorkloadParams = { kind: kind as WorkloadKind, txs, accounts, seed: o.seed }
  if (o.zipf !== undefined && o.zipf > 0) p.zipf = o.zipf
  return p
}

async function loadSingle(o: BenchOpts): Promise<BenchBlock> {
  if (o.block !== undefined) {
    try {
      return await fixtureBlock(o.block)
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e))
    }
  }
  return workloadBlock(workloadParams(o, o.workload!))
}

async function single(o: BenchOpts): Promise<void> {
  const engines = parseEngines(o.engines, ['sequential', 'blockstm', 'ideal'], o.predictor)
  const harness = harnessOf(o)
  const b = await loadSingle(o)
  if (o.threads.length > 1) return threadSweep(o, engines, harness, b)
  const threads = o.threads[0]!
  const bench = await EvmBench.create({ engines, threads, harness, runner: runnerOptions(o) })
  const bar = progress(o, b.label)
  let r: BlockBench
  try {
    r = await bench.run(b, bar.onRound)
  } finally {
    bar.stop()
    await bench.close()
  }
  if (o.json) process.stdout.write(JSON.stringify(r.engines, jsonReplacer) + '\n')
  else {
    console.log(`${r.label}: block ${r.number}, ${r.txCount} transactions, ${r.gasUsed} gas, ${threads} threads`)
    console.table(Object.fromEntries(Object.entries(r.engines).map(([k, f]) => [k, engineRow(f)])))
    const bad = Object.entries(r.engines).filter(([, f]) => f.identical === false)
    if (r.reference === undefined) console.log('results not compared (neither sequential nor blockstm ran)')
    else if (bad.length === 0) console.log(`results identical to ${r.reference}`)
    else for (const [k, f] of bad) console.log(`${k}: results differ from ${r.reference}: ${f.mismatch}`)
  }
  if (!r.identical) process.exitCode = 1
}

/** `--threads 1,2,4,…` on one block (src/bench/modes.ts `benchThreadSweep`). */
async function threadSweep(o: BenchOpts, engines: BenchEngineName[], harness: HarnessOptions, b: BenchBlock): Promise<void> {
  const r = await benchThreadSweep(b, o.threads, { engines, harness, runner: runnerOptions(o) }, (t) => progress(o, `${b.label} ${t} threads`))
  const { byThreads, identical } = r
  if (o.json) process.stdout.write(JSON.stringify({ label: r.label, txCount: r.txCount, threads: r.threads, machine: machineDescription(), byThreads }, jsonReplacer) + '\n')
  else {
    console.log(`${b.label}: ${r.txCount} transactions`)
    const table: Record<string, Record<string, unknown>> = {}
    for (const t of o.threads) {
      const row: Record<string, unknown> = {}
      for (const [e, f] of Object.entries(byThreads[t]!)) {
        row[`${e} ms`] = f.ms
        if (e !== 'sequential' && f.speedup !== undefined) row[`${e} ×`] = f.speedup
      }
      const bs = byThreads[t]!.blockstm
      const id = byThreads[t]!.ideal
      if (bs?.speedup !== undefined && id?.speedup !== undefined) row['× ideal'] = round(bs.speedup / id.speedup)
      if (bs !== undefined) row['exec/tx'] = bs.executionsPerTx
      table[`${t} threads`] = row
    }
    console.table(table)
    console.log(identical ? 'results identical at every thread count' : 'results differ (see --json)')
  }
  if (!identical) process.exitCode = 1
}

async function mainnet(o: BenchOpts): Promise<void> {
  const engines = parseEngines(o.engines, ['sequential', 'blockstm', 'ideal'], o.predictor)
  const harness = harnessOf(o)
  const root = typeof o.mainnet === 'string' ? o.mainnet : defaultMainnetDir()
  let dirs: string[]
  try {
    dirs = fixtureDirs(root)
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (dirs.length === 0) throw new UsageError(`${root}: no block fixtures (directories with block.json)`)
  const threads = o.threads[0]!
  const bar = progress(o, 'mainnet')
  bar.tick(0, dirs.length)
  let r: MainnetResult
  try {
    r = await benchMainnet(dirs, threads, o.minTxs, { engines, harness, runner: runnerOptions(o) }, (done) => bar.tick(done))
  } finally {
    bar.stop()
  }
  const { blocks, meanSpeedup50, blocksCounted: counted } = r
  if (o.json) process.stdout.write(JSON.stringify({ threads, machine: machineDescription(), minTxs: o.minTxs, blocksCounted: counted, blocks, meanSpeedup50 }, jsonReplacer) + '\n')
  else {
    const table: Record<string, Record<string, unknown>> = {}
    for (const b of blocks) {
      const row: Record<string, unknown> = { txs: b.txCount ?? '' }
      if (b.error !== undefined) row.error = b.error
      for (const e of engines) {
        const f = b[e] as EngineFigures | undefined
        if (f === undefined) continue
        row[`${e} ms`] = f.ms
        if (e !== 'sequential' && f.speedup !== undefined) row[`${e} ×`] = f.speedup
      }
      if (b.identical === false) row.identical = false
      table[String(b.number)] = row
    }
    console.table(table)
    console.log(`mean speedup (sequential ms / blockstm ms) over the ${counted} blocks with ≥ ${o.minTxs} transactions: ${meanSpeedup50 ?? 'n/a'} (${threads} threads)`)
  }
  if (!r.identical) process.exitCode = 1
}

async function scaling(o: BenchOpts): Promise<void> {
  const engines = parseEngines(o.engines, ['sequential', 'blockstm'], o.predictor)
  const harness = harnessOf(o)
  const sizes = parseSizes(o.sizes)
  const threads = o.threads[0]!
  const r = await benchScaling(sizes, threads, (txs, accounts) => workloadParams(o, 'erc20', txs, accounts), { engines, harness, runner: runnerOptions(o) }, (n) =>
    progress(o, `erc20 ${n} txs`),
  )
  const { sizes: rows, timePerTxGrowth: growth } = r
  if (o.json) process.stdout.write(JSON.stringify({ threads, sizes: rows, timePerTxGrowth: growth }) + '\n')
  else {
    const table: Record<string, Record<string, unknown>> = {}
    for (const row of rows) {
      const t: Record<string, unknown> = {}
      for (const e of engines) {
        const f = row[e] as { msPerTx: number; validationsPerTx: number }
        t[`${e} ms/tx`] = f.msPerTx
        if (e === 'blockstm') t['valid/tx'] = f.validationsPerTx
      }
      table[String(row.txs)] = t
    }
    console.table(table)
    console.log(`time/tx growth ${sizes[0]} → ${sizes.at(-1)} txs: ${Object.entries(growth).map(([e, g]) => `${e} ${(g * 100).toFixed(1)}%`).join(', ')}`)
  }
  if (!r.identical) process.exitCode = 1
}

async function memory(o: BenchOpts): Promise<void> {
  const engines = parseEngines(o.engines, ['sequential', 'blockstm'], o.predictor)
  let source: { workload: WorkloadParams } | { block: string }
  if (o.block !== undefined) {
    await loadSingle(o) // validates the directory (exit 2 on bad input)
    source = { block: resolve(o.block) }
  } else {
    source = { workload: workloadParams(o, o.workload!) }
    await workloadBlock(source.workload) // fills the disk cache once for the children
  }
  const bar = progress(o, 'memory')
  bar.tick(0, engines.length)
  let i = 0
  const r = await measureMemory({ source, engines, threads: o.threads[0]!, runs: o.memoryRuns, onEngine: () => bar.tick(i++) }).finally(() => bar.stop())
  if (o.json) process.stdout.write(JSON.stringify(r) + '\n')
  else console.table(r)
}

export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('time engines (sequential, blockstm, ideal, ethereumjs) on the same EVM block and check that their results are identical')
    .option('--workload <kind>', `generated block: ${WORKLOAD_KINDS.join(', ')}`)
    .option('--block <dir>', 'a block fixture directory (block.json, prestate.json)')
    .option('--mainnet [dir]', 'every block of a fixtures directory (default $BLOCKSTM_FIXTURES/mainnet, else the repository\'s fixtures/mainnet)')
    .option('--scaling', 'time/tx of erc20 blocks of --sizes transactions, conflict-free accounts')
    .option('--memory', 'peak RSS per engine, each engine in its own child process (with --workload or --block)')
    .option('--txs <n>', 'transactions of a generated block', positiveInt('--txs'), 2000)
    .option('--accounts <n>', 'contention knob of a generated block (see `blockstm workload --help`)', positiveInt('--accounts'), 10000)
    .option('--threads <list>', 'worker threads of blockstm and ideal; a list (1,2,4,8) times each count in turn (--workload/--block)', positiveIntList('--threads'), [2])
    .option('--engines <list>', `comma-separated, of ${ENGINE_NAMES.join(', ')}, static-batch:<predictor> (default sequential,blockstm,ideal)`)
    .option('--predictor <name>', 'predictor of the static-batch engine (address, address-optimistic, access-list, oracle)')
    .option('--read-latency-us <us>', 'simulate a slow state source: each first read of a pre-block location waits this long', nonNegativeNumber('--read-latency-us'))
    .option('--lanes <n>', 'blockstm executions in flight per thread (default 1; 32 with --read-latency-us)', positiveInt('--lanes'))
    .option('--scheduler <v>', SCHEDULER_HELP, parseScheduler)
    .option('--seed <n>', 'workload seed', positiveInt('--seed'), 1)
    .option('--zipf <s>', 'Zipf exponent of the hot-item choice', nonNegativeNumber('--zipf'))
    .option('--json', 'print one JSON object')
    .option('--rounds <n>', 'timed rounds after warm-up (median reported)', positiveInt('--rounds'), 5)
    .option('--min-warmup <n>', 'least warm-up rounds', positiveInt('--min-warmup'), 3)
    .option('--max-warmup <n>', 'most warm-up rounds (stops earlier once times settle)', positiveInt('--max-warmup'), 12)
    .option('--sizes <list>', 'block sizes of --scaling', '1000,5000,20000')
    .option('--min-txs <n>', 'blocks counted in the mainnet mean speedup', positiveInt('--min-txs'), 50)
    .option('--memory-runs <n>', 'executions per child with --memory', positiveInt('--memory-runs'), 2)
    .option('--no-progress', 'no progress bar')
    .action(async (o: BenchOpts) => {
      const modes = [o.workload !== undefined, o.block !== undefined, o.mainnet !== undefined, o.scaling === true].filter(Boolean).length
      if (modes !== 1) throw new UsageError('bench: give exactly one of --workload <kind>, --block <dir>, --mainnet [dir], --scaling')
      if (o.workload !== undefined) workloadParams(o, o.workload)
      if (o.threads.length > 1 && (o.memory || o.mainnet !== undefined || o.scaling)) throw new UsageError('a list of --threads is for --workload or --block only')
      if (o.memory) {
        if (o.workload === undefined && o.block === undefined) throw new UsageError('--memory needs --workload or --block')
        return memory(o)
      }
      if (o.mainnet !== undefined) return mainnet(o)
      if (o.scaling) return scaling(o)
      return single(o)
    })
}
