/**
 * Types of the research report (`blockstm report`): its options, one row per block × engine ×
 * thread count, the latency-model rows, rows merged from other machines, and the whole
 * results.json document.
 *
 * Invariants: every measured row carries `correct` (every run of that engine on that block
 * produced exactly the sequential engine's outputs and state diff) and the command that
 * regenerates it; speedups are ratios of medians measured in the same process, round-robin.
 */
import type { TraceEvent } from '../executor/executor.js'
import type { EvmPredictorName } from '../evm/predictors.js'
import type { WorkloadKind } from '../workloads/types.js'

/** How dependent a block's transactions are, from the exact (oracle) conflict graph. */
export type WorkloadClass = 'independent' | 'partial' | 'dependent'

export const CLASS_NAMES: Record<WorkloadClass, string> = {
  independent: 'independent',
  partial: 'partially dependent',
  dependent: 'fully dependent',
}

/** The Block-STM scheduler variants the report compares. */
export type SchedulerName = 'v1' | 'v2'

export type ReportProfile = 'quick' | 'default' | 'full'

/** One generated block of the grid. */
export interface BlockSpec {
  kind: WorkloadKind
  accounts: number
  /** Gas the block is sized for (its transaction count is gas / the kind's gas per transaction). */
  gas: number
  /** Set to fix the transaction count instead (`--txs`). */
  txs?: number
}

/** One point of the latency model (issue 16's p2p bench-core mode). */
export interface LatencySpec {
  accounts: number
  latencyUs: number
  lanes: number
  threads: number
  txs: number
}

export interface ReportOptions {
  profile?: ReportProfile
  /** Generated blocks (default: the profile's grid). */
  blocks?: BlockSpec[]
  threads?: number[]
  predictors?: EvmPredictorName[]
  schedulers?: SchedulerName[]
  /** Fixtures root ($BLOCKSTM_FIXTURES or ../shared/fixtures); mainnet/ under it is used when present. */
  fixturesRoot?: string
  /** Mainnet fixtures: block numbers, a count (the profile's choice), or 'all'. */
  mainnet?: number | 'all' | string[]
  /** Latency-model points (default: the profile's; [] for none). */
  latency?: LatencySpec[]
  /** Files of other machines' runs to merge (report results.json or `blockstm bench --json`). */
  merge?: string[]
  /** Block to trace for the timeline, e.g. `mixed-a10` (default: the profile's). */
  timelineBlock?: string
  /** Warm-up and timed rounds per block. */
  harness?: { warmup: number; rounds: number }
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
  /** Gas used by the block (sequential run). */
  gasUsed: number
  /** Gas the block was sized for (0: a fixture). */
  gasTarget: number
  engine: string
  /** Block-STM scheduler ('' for other engines). */
  scheduler: string
  predictor: string
  /** e.g. sequential, blockstm-v1, static-batch/oracle */
  label: string
  threads: number
  medianMs: number
  sequentialMs: number
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
  /** Every run of this engine on this block equalled the sequential engine's outputs and state diff. */
  correct: boolean
  /** Runs compared with sequential (warm-up and timed). */
  checkedRuns: number
  /** Set when the engine fell back to another strategy for this block (e.g. Block-STM's serial mode). */
  fallback: string | null
  /** Oracle conflict graph of the block ('all' rule): critical path by count and by gas, total gas. */
  cpCount: number
  cpGas: number
  totalGas: number
  /** total gas / critical-path gas ('all' rule): the parallelism the block offers at any thread count. */
  parallelism: number
  class: WorkloadClass
  /** min(threads, total/cp) under the 'all' and the 'raw' rule. */
  bound: number
  boundRaw: number
  warmupRounds: number
  timedRounds: number
  /** A command that regenerates this row. */
  command: string
}

/** One latency-model point: sequential vs Block-STM (mock p2p transactions with awaited reads). */
export interface LatencyRow {
  accounts: number
  latencyUs: number
  /** Executions in flight per thread (1 for the planner). */
  lanes: number
  threads: number
  txs: number
  /** blockstm-v1, blockstm-v2, static-batch/exact */
  label: string
  /** Executions the engine keeps in flight (threads × lanes; threads for the planner). */
  inFlight: number
  /** Longest chain of the block's exact read-after-write dependencies (transactions). */
  criticalPath: number
  /** txs / criticalPath */
  parallelism: number
  /** min(inFlight, parallelism) */
  bound: number
  speedup: number
  executionsPerTx: number
  sequentialMs: number
  ms: number
  correct: boolean
  checkedRuns: number
  class: WorkloadClass
  command: string
}

/** A figure from another machine's run (merged with `--merge`). */
export interface MergedRow {
  machine: string
  file: string
  block: string
  txs: number | null
  engine: string
  threads: number
  speedup: number
  ms: number | null
  executionsPerTx: number | null
  /** As the file says (null: the file does not say). */
  correct: boolean | null
}

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  platform: string
  /** /proc/loadavg (1, 5, 15 min) at the start and at the end of the run. */
  loadStart: number[]
  loadEnd: number[]
}

export interface SummaryCell {
  engine: string
  threads: number
  /** Median speedup over the class's blocks, with min and max. */
  median: number
  min: number
  max: number
  blocks: number
}

export interface SummaryRow {
  key: string
  title: string
  claim: string
  blocks: number
  medianTxs: number
  medianGas: number
  /** Median over blocks of total/critical-path work. */
  parallelism: number
  /** Median bound at `threads`. */
  bound: number
  threads: number
  cells: SummaryCell[]
  /** The engine with the highest median, and its median. */
  best: string
  note: string
  /** Figures merged from another machine for the same blocks, at its largest thread count ('' when none). */
  manyCore: string
}

export interface ReportData {
  generatedAt: string
  command: string
  profile: ReportProfile
  machine: MachineInfo
  harness: { warmup: number; rounds: number; globalWarmup: string }
  options: {
    blocks: BlockSpec[]
    threads: number[]
    predictors: EvmPredictorName[]
    schedulers: SchedulerName[]
    mainnet: string[]
    latency: LatencySpec[]
    merge: string[]
  }
  summary: SummaryRow[]
  rows: ReportRow[]
  latency: LatencyRow[]
  merged: MergedRow[]
  /** What the run could not show, stated plainly. */
  missing: string[]
  timeline?: { block: string; engine: string; threads: number; events: TraceEvent[] }
  wallSeconds: number
}
