/**
 * The run modes of `blockstm bench` beyond one block (src/cli/bench.ts parses the options and
 * prints; the modes run and aggregate):
 *
 * - {@link benchThreadSweep}: one block at several thread counts; every count is a full bench
 *   of its own (its workers started for it and closed after), sequential included, so that
 *   each row's speedups are ratios of runs interleaved in the same rounds;
 * - {@link benchMainnet}: every block of a fixtures directory, with the mean speedup over the
 *   blocks of at least `minTxs` transactions (a block that fails to load or run is listed
 *   with its error, not counted);
 * - {@link benchScaling}: erc20 blocks of growing size with conflict-free accounts (distinct
 *   senders, recipients among 2n holders): the growth of time per transaction;
 * - the memory mode is `measureMemory` (evmMemory.ts): each engine in a child process.
 *
 * Invariants: every mode closes the benches it opened, also when a run throws; a mode's
 * `identical` is false as soon as one engine's results differ from the reference's.
 */
import { EvmBench, meanSpeedup, round, type BlockBench } from './evmBench.js'
import { fixtureBlock, workloadBlock, type BenchBlock } from './evmBlock.js'
import type { BenchEngineName, RunnerOptions } from './evmEngines.js'
import type { HarnessOptions } from './harness.js'
import type { WorkloadParams } from '../workloads/index.js'

/** What every mode needs: engines, harness and runner options. */
export interface BenchModeOptions {
  engines: BenchEngineName[]
  harness: HarnessOptions
  runner: RunnerOptions
}

/** Progress of the timed rounds of one bench run (harness.ts `onRound`). */
export type OnRound = HarnessOptions['onRound']

export interface ThreadSweepResult {
  label: string
  txCount: number
  threads: number[]
  /** Thread count → the figures of every engine at that count. */
  byThreads: Record<string, BlockBench['engines']>
  identical: boolean
}

/** One block at each of `threads` (see the module comment). `onRound(threads)` gives each count's progress callback. */
export async function benchThreadSweep(
  b: BenchBlock,
  threads: number[],
  o: BenchModeOptions,
  progress: (threads: number) => { onRound: OnRound; stop(): void } = () => ({ onRound: undefined, stop() {} }),
): Promise<ThreadSweepResult> {
  const byThreads: Record<string, BlockBench['engines']> = {}
  let identical = true
  for (const t of threads) {
    const bench = await EvmBench.create({ engines: o.engines, threads: t, harness: o.harness, runner: o.runner })
    const bar = progress(t)
    try {
      const r = await bench.run(b, bar.onRound)
      byThreads[t] = r.engines
      if (!r.identical) identical = false
    } finally {
      bar.stop()
      await bench.close()
    }
  }
  return { label: b.label, txCount: b.block.transactions.length, threads, byThreads, identical }
}

/** One row of {@link MainnetResult.blocks}: a block's figures, or the error it failed with. */
export type MainnetBlockRow = Record<string, unknown>

export interface MainnetResult {
  threads: number
  minTxs: number
  /** Blocks of at least `minTxs` transactions that ran (the mean is over these). */
  blocksCounted: number
  blocks: MainnetBlockRow[]
  /** Mean of sequential ms / blockstm ms over the counted blocks (null: none). */
  meanSpeedup50: number | null
  identical: boolean
}

/** Every fixture directory of `dirs` in turn; `onBlock(done)` after each. */
export async function benchMainnet(
  dirs: string[],
  threads: number,
  minTxs: number,
  o: BenchModeOptions,
  onBlock: (done: number) => void = () => {},
): Promise<MainnetResult> {
  const bench = await EvmBench.create({ engines: o.engines, threads, harness: o.harness, runner: o.runner })
  const results: BlockBench[] = []
  const blocks: MainnetBlockRow[] = []
  let identical = true
  try {
    for (const [i, dir] of dirs.entries()) {
      try {
        const b = await fixtureBlock(dir)
        const r = await bench.run(b)
        results.push(r)
        if (!r.identical) identical = false
        blocks.push({ number: r.number, txCount: r.txCount, gasUsed: r.gasUsed, identical: r.identical, ...r.engines })
      } catch (e) {
        blocks.push({ number: Number(/(\d+)$/.exec(dir)?.[1] ?? NaN), dir, error: (e as Error).message.split('\n')[0] })
      }
      onBlock(i + 1)
    }
  } finally {
    await bench.close()
  }
  const meanSpeedup50 = meanSpeedup(results, minTxs)
  const blocksCounted = results.filter((r) => r.txCount >= minTxs).length
  return { threads, minTxs, blocksCounted, blocks, meanSpeedup50, identical }
}

/** Per engine, per transaction, for one size of {@link benchScaling}. */
export interface ScalingFigures {
  msPerTx: number
  engineMsPerTx: number
  validationsPerTx: number
  executionsPerTx: number
  abortsPerTx: number
  speedup: number | undefined
}

export interface ScalingResult {
  threads: number
  /** Per size: `{ txs, accounts, identical, <engine>: ScalingFigures }`. */
  sizes: Array<Record<string, unknown>>
  /** Per engine: time per transaction at the largest size / at the smallest - 1. */
  timePerTxGrowth: Record<string, number>
  identical: boolean
}

/**
 * erc20 blocks of `sizes` transactions with conflict-free accounts; `params(n)` gives the
 * workload of size n; `progress(n)` each size's progress callback.
 */
export async function benchScaling(
  sizes: number[],
  threads: number,
  params: (txs: number, accounts: number) => WorkloadParams,
  o: BenchModeOptions,
  progress: (txs: number) => { onRound: OnRound; stop(): void } = () => ({ onRound: undefined, stop() {} }),
): Promise<ScalingResult> {
  const bench = await EvmBench.create({ engines: o.engines, threads, harness: o.harness, runner: o.runner })
  const rows: Array<Record<string, unknown>> = []
  let identical = true
  try {
    for (const n of sizes) {
      // Conflict-free accounts: distinct senders, recipients among 2n holders.
      const b = await workloadBlock(params(n, 2 * n))
      const bar = progress(n)
      let r: BlockBench
      try {
        r = await bench.run(b, bar.onRound)
      } finally {
        bar.stop()
      }
      if (!r.identical) identical = false
      const row: Record<string, unknown> = { txs: n, accounts: 2 * n, identical: r.identical }
      for (const [e, f] of Object.entries(r.engines)) {
        row[e] = {
          msPerTx: round(f.ms / n, 4),
          engineMsPerTx: round(f.engineMs / n, 4),
          validationsPerTx: f.validationsPerTx,
          executionsPerTx: f.executionsPerTx,
          abortsPerTx: f.abortsPerTx,
          speedup: f.speedup,
        } satisfies ScalingFigures
      }
      rows.push(row)
    }
  } finally {
    await bench.close()
  }
  const timePerTxGrowth: Record<string, number> = {}
  for (const e of o.engines) {
    const first = (rows[0]![e] as ScalingFigures).msPerTx
    const last = (rows.at(-1)![e] as ScalingFigures).msPerTx
    timePerTxGrowth[e] = round(last / first - 1)
  }
  return { threads, sizes: rows, timePerTxGrowth, identical }
}
