/**
 * `blockstm bench` on EVM blocks: every chosen engine runs the same block in one process,
 * round-robin, warmed up (workers included) until its times settle (src/bench/harness.ts),
 * then timed; all engines but `ideal` must produce identical results (receipts, per-tx
 * results, gasUsed, logs bloom, receipts root, post-state; for `ethereumjs`: gasUsed, bloom,
 * receipts and the post-state of every account and slot the binding reports).
 *
 * Figures per engine: `ms` (median of the timed rounds), `txPerSec`, `gasPerSec`, `speedup`
 * (sequential ms / engine ms, when sequential ran), `engineMs` (inside the engine only) and
 * `engineSpeedup`, executions / validations / aborts per transaction.
 *
 * `ideal` has no block-level part: its `ms` is its engine time plus the median time
 * `sequential` (or else `blockstm`) spent outside its engine in the same run (system calls,
 * receipts and their trie, post-state), so that `speedup` compares like with like.
 */
import type { ExecutionStats } from '../executor/engine.js'
import { median, timeEngines, type HarnessOptions } from './harness.js'
import type { BenchBlock } from './evmBlock.js'
import { createRunner, type BenchEngineName, type EngineRunner, type RunOutcome, type RunnerOptions } from './evmEngines.js'

export interface EngineFigures {
  ms: number
  engineMs: number
  txPerSec: number
  gasPerSec: number
  /** Over `sequential` (absent when sequential did not run). */
  speedup?: number
  engineSpeedup?: number
  executionsPerTx: number
  validationsPerTx: number
  abortsPerTx: number
  dependencyWaitsPerTx: number
  /** Same results as the reference engine (null: not compared, i.e. `ideal` or the reference itself). */
  identical: boolean | null
  mismatch?: string
  fallback?: string
  warmupRounds: number
  samplesMs: number[]
}

export interface BlockBench {
  label: string
  number: number
  txCount: number
  gasUsed: bigint
  /** The engine the others were compared with. */
  reference?: BenchEngineName
  identical: boolean
  engines: Partial<Record<BenchEngineName, EngineFigures>>
}

export interface EvmBenchOptions {
  engines: BenchEngineName[]
  threads: number
  harness?: HarnessOptions
  runner?: RunnerOptions
}

export class EvmBench {
  private constructor(
    readonly runners: EngineRunner[],
    readonly harness: HarnessOptions,
  ) {}

  static async create(opts: EvmBenchOptions): Promise<EvmBench> {
    const runners: EngineRunner[] = []
    try {
      for (const e of opts.engines) runners.push(await createRunner(e, opts.threads, opts.runner))
    } catch (err) {
      await Promise.all(runners.map((r) => r.close()))
      throw err
    }
    return new EvmBench(runners, opts.harness ?? {})
  }

  async close(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.close()))
  }

  async run(b: BenchBlock, onRound?: HarnessOptions['onRound']): Promise<BlockBench> {
    const outcomes = new Map<BenchEngineName, RunOutcome[]>(this.runners.map((r) => [r.name, []]))
    const timings = await timeEngines(
      this.runners.map((r) => ({
        name: r.name,
        run: async () => {
          const o = await r.run(b)
          outcomes.get(r.name)!.push(o)
          return o.ms
        },
      })),
      { ...this.harness, ...(onRound !== undefined ? { onRound } : {}) },
    )
    const rounds = this.harness.rounds ?? 5
    const timed = (name: BenchEngineName) => outcomes.get(name)!.slice(-rounds)

    // Results check against the first binding engine (sequential when it ran).
    const ref = this.runners.find((r) => r.name === 'sequential') ?? this.runners.find((r) => r.name === 'blockstm')
    const refResult = ref?.last?.()
    const mismatches = new Map<BenchEngineName, string | undefined>()
    if (refResult !== undefined) {
      for (const r of this.runners) {
        if (r === ref || r.name === 'ideal' || r.check === undefined) continue
        mismatches.set(r.name, await r.check(b, refResult))
      }
    }

    const txCount = b.block.transactions.length
    const gasUsed = refResult?.gasUsed ?? timed(this.runners[0]!.name).at(-1)?.gasUsed ?? b.block.header.gasUsed
    const outsideSource = ref !== undefined ? timed(ref.name) : []
    const outsideMs = outsideSource.length > 0 ? median(outsideSource.map((o) => o.ms - o.engineMs)) : 0
    const seq = outcomes.has('sequential') ? timed('sequential') : undefined
    const seqMs = seq !== undefined ? median(seq.map((o) => o.ms)) : undefined
    const seqEngineMs = seq !== undefined ? median(seq.map((o) => o.engineMs)) : undefined

    const engines: BlockBench['engines'] = {}
    for (const r of this.runners) {
      const t = timed(r.name)
      const engineMs = median(t.map((o) => o.engineMs))
      const ms = r.name === 'ideal' ? engineMs + outsideMs : median(t.map((o) => o.ms))
      const stats: ExecutionStats | undefined = t.at(-1)?.stats
      const per = (n: number | undefined, dflt: number) => round((n ?? dflt) / Math.max(txCount, 1), 4)
      const f: EngineFigures = {
        ms: round(ms),
        engineMs: round(engineMs),
        txPerSec: round(txCount / (ms / 1000), 1),
        gasPerSec: Math.round(Number(gasUsed) / (ms / 1000)),
        executionsPerTx: per(stats?.executions, txCount),
        validationsPerTx: per(stats?.validations, 0),
        abortsPerTx: per(stats?.aborts, 0),
        dependencyWaitsPerTx: per(stats?.dependencyWaits, 0),
        identical: mismatches.has(r.name) ? mismatches.get(r.name) === undefined : null,
        warmupRounds: timings.get(r.name)!.warmupRounds,
        samplesMs: t.map((o) => round(r.name === 'ideal' ? o.engineMs + outsideMs : o.ms)),
      }
      if (seqMs !== undefined) f.speedup = round(seqMs / ms)
      if (seqEngineMs !== undefined) f.engineSpeedup = round(seqEngineMs / engineMs)
      const mm = mismatches.get(r.name)
      if (mm !== undefined) f.mismatch = mm
      if (stats?.fallback !== undefined) f.fallback = stats.fallback
      engines[r.name] = f
    }
    const out: BlockBench = {
      label: b.label,
      number: Number(b.block.header.number),
      txCount,
      gasUsed,
      identical: [...mismatches.values()].every((m) => m === undefined),
      engines,
    }
    if (ref !== undefined) out.reference = ref.name
    return out
  }
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** Mean of sequential ms / blockstm ms over the blocks with at least `minTxs` transactions. */
export function meanSpeedup(blocks: BlockBench[], minTxs = 50): number | null {
  const xs = blocks
    .filter((b) => b.txCount >= minTxs && b.engines.sequential !== undefined && b.engines.blockstm !== undefined)
    .map((b) => b.engines.sequential!.ms / b.engines.blockstm!.ms)
  return xs.length === 0 ? null : round(xs.reduce((a, b) => a + b, 0) / xs.length)
}
