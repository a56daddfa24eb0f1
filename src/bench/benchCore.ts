/**
 * `bench-core`: the VM-agnostic engine on mock transactions, in one of two modes.
 *
 * - CPU-bound (`keys`): each transaction reads one key, burns `workUs` µs of hashing (about
 *   the cost of executing an ETH transfer here) and writes the key back with a value derived
 *   from what it read. With many keys the block is conflict-free; with one key every
 *   transaction depends on the previous one. Compared with the ideal split.
 * - Latency model (`accounts`): the p2p workload of src/bench/p2p.ts, each execution mostly
 *   awaited latency (`latencyUs`), so that threads × lanes executions are in flight on few
 *   cores. Compared with `bound` = min(executions in flight, total work / critical-path
 *   work) from the block's exact dependency graph.
 */
import { fileURLToPath } from 'node:url'
import { createSequentialExecutor, createBlockSTMExecutor, type BlockResult } from '../executor/engine.js'
import { IdealExecutor } from '../executor/ideal.js'
import { MapBaseState } from '../executor/baseState.js'
import { calibrateHashRounds, mockBaseEntries, packMockBlock, type MockBlock } from '../mock/mockVm.js'
import { timeEngines, type HarnessOptions } from './harness.js'
import { dependencyBound, p2pBlock } from './p2p.js'
import type { SchedulerKind } from '../scheduler/types.js'
import { sameResult } from './compare.js'

export const mockVmModule = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../mock/mockVm.ts' : '../mock/mockVm.js', import.meta.url))

export interface BenchCoreOptions {
  txs: number
  keys: number
  threads: number
  workUs: number
  seed: number
  harness?: HarnessOptions
  /** Block-STM scheduler (engine default when absent). */
  scheduler?: SchedulerKind
  /** Executions in flight per thread (default 1). */
  lanes?: number
}

export interface LatencyBenchOptions {
  txs: number
  /** Accounts of the p2p workload (contention: 2 = a chain). */
  accounts: number
  /** Awaited latency per transaction, µs. */
  latencyUs: number
  /** CPU work per transaction, µs. */
  workUs: number
  threads: number
  lanes: number
  seed: number
  scheduler?: SchedulerKind
  harness?: HarnessOptions
}

export interface LatencyBenchResult {
  mode: 'latency'
  txs: number
  accounts: number
  latencyUs: number
  workUs: number
  threads: number
  lanes: number
  scheduler: SchedulerKind
  /** threads × lanes. */
  inFlight: number
  /** Longest chain of read-after-write dependencies (transactions). */
  criticalPath: number
  /** min(inFlight, txs / criticalPath): no schedule can do better. */
  bound: number
  sequentialMs: number
  parallelMs: number
  speedup: number
  /** speedup / bound. */
  ofBound: number
  executionsPerTx: number
  executions: number
  validations: number
  aborts: number
  dependencyWaits: number
  fallback: string | null
  identical: boolean
  warmupRounds: number
  /** Blocks Block-STM ran alone before the rounds (JIT warm-up; see benchLatency). */
  parallelWarmupBlocks: number
}

export interface BenchCoreResult {
  txs: number
  keys: number
  threads: number
  workUs: number
  sequentialMs: number
  parallelMs: number
  idealMs: number
  speedup: number
  idealSpeedup: number
  speedupVsIdeal: number
  executions: number
  validations: number
  aborts: number
  dependencyWaits: number
  identical: boolean
  warmupRounds: number
}

export function conflictBlock(txs: number, keys: number, workUs: number, seed: number, hashRoundsPerUs: number): MockBlock {
  let s = seed >>> 0 || 1
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const list = []
  for (let i = 0; i < txs; i++) {
    const k = next() % keys
    list.push({ ops: [{ op: 'read' as const, k }, { op: 'work' as const, us: workUs }, { op: 'write' as const, k, salt: i }] })
  }
  return { keyCount: keys, txs: list, hashRoundsPerUs }
}

export async function benchCore(opts: BenchCoreOptions): Promise<BenchCoreResult> {
  const block = conflictBlock(opts.txs, opts.keys, opts.workUs, opts.seed, calibrateHashRounds())
  // Packed: the block crosses to the workers as one typed array (see packMockBlock).
  const job = { txCount: opts.txs, payload: packMockBlock(block), base: new MapBaseState(mockBaseEntries(Math.min(opts.keys, 1_000_000))) }
  const seq = createSequentialExecutor({ vmModule: mockVmModule })
  const par = await createBlockSTMExecutor({
    threads: opts.threads,
    vmModule: mockVmModule,
    ...(opts.lanes !== undefined ? { lanes: opts.lanes } : {}),
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
  })
  const ideal = await IdealExecutor.create({ threads: opts.threads, vmModule: mockVmModule })
  try {
    let seqResult: BlockResult<unknown> | undefined
    let parResult: BlockResult<unknown> | undefined
    let identical = true
    const timings = await timeEngines(
      [
        {
          name: 'sequential',
          run: async () => {
            seqResult = await seq.execute(job)
            return seqResult.stats.wallMs
          },
        },
        {
          name: 'blockstm',
          run: async () => {
            parResult = await par.execute(job)
            if (seqResult !== undefined && !sameResult(seqResult, parResult)) identical = false
            return parResult.stats.wallMs
          },
        },
        { name: 'ideal', run: async () => (await ideal.execute(job)).wallMs },
      ],
      opts.harness,
    )
    const sequentialMs = timings.get('sequential')!.medianMs
    const parallelMs = timings.get('blockstm')!.medianMs
    const idealMs = timings.get('ideal')!.medianMs
    const st = parResult!.stats
    return {
      txs: opts.txs,
      keys: opts.keys,
      threads: opts.threads,
      workUs: opts.workUs,
      sequentialMs: round(sequentialMs),
      parallelMs: round(parallelMs),
      idealMs: round(idealMs),
      speedup: round(sequentialMs / parallelMs),
      idealSpeedup: round(sequentialMs / idealMs),
      speedupVsIdeal: round(idealMs / parallelMs),
      executions: st.executions,
      validations: st.validations,
      aborts: st.aborts,
      dependencyWaits: st.dependencyWaits,
      identical,
      warmupRounds: timings.get('blockstm')!.warmupRounds,
    }
  } finally {
    await Promise.all([par.close(), ideal.close(), seq.close()])
  }
}

/** Blocks Block-STM runs alone before the latency bench's rounds (see benchLatency). */
export const LATENCY_PARALLEL_WARMUP = 20

/** The latency-model p2p bench (see the module comment): sequential and Block-STM, round-robin. */
export async function benchLatency(opts: LatencyBenchOptions): Promise<LatencyBenchResult> {
  const block = p2pBlock({ txs: opts.txs, accounts: opts.accounts, latencyUs: opts.latencyUs, workUs: opts.workUs, seed: opts.seed, hashRoundsPerUs: opts.workUs > 0 ? calibrateHashRounds() : 1 })
  const inFlight = opts.threads * opts.lanes
  const { criticalPath, bound } = dependencyBound(block, inFlight)
  // Every account starts with a balance (the mock base state holds the even keys only).
  const job = { txCount: opts.txs, payload: packMockBlock(block), base: new MapBaseState(mockBaseEntries(opts.accounts, () => true)) }
  const seq = createSequentialExecutor({ vmModule: mockVmModule })
  const par = await createBlockSTMExecutor({
    threads: opts.threads,
    lanes: opts.lanes,
    vmModule: mockVmModule,
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
  })
  try {
    let seqResult: BlockResult<unknown> | undefined
    let parResult: BlockResult<unknown> | undefined
    let identical = true
    // JIT warm-up of Block-STM alone before the rounds: a harness round runs the sequential
    // engine for seconds (2,000 transactions of ~1 ms) and Block-STM for ~0.1 s, so after the
    // harness's few warm-up rounds each of Block-STM's threads has run only a few thousand
    // executions, and its times still fell by a quarter from one round to the next (from
    // 0.34 to 0.75 of the bound over the first six blocks at K = 10,000). At most
    // LATENCY_PARALLEL_WARMUP blocks and about 3 s (a contended block that runs serially
    // takes as long as the sequential engine).
    let warmupBlocks = 0
    for (let spent = 0; warmupBlocks < LATENCY_PARALLEL_WARMUP && spent < 3000; warmupBlocks++) spent += (await par.execute(job)).stats.wallMs
    const timings = await timeEngines(
      [
        {
          name: 'sequential',
          run: async () => {
            seqResult = await seq.execute(job)
            return seqResult.stats.wallMs
          },
        },
        {
          name: 'blockstm',
          run: async () => {
            parResult = await par.execute(job)
            if (seqResult !== undefined && !sameResult(seqResult, parResult)) identical = false
            return parResult.stats.wallMs
          },
        },
      ],
      { minWarmup: 1, maxWarmup: 4, rounds: 3, ...opts.harness },
    )
    const sequentialMs = timings.get('sequential')!.medianMs
    const parallelMs = timings.get('blockstm')!.medianMs
    const st = parResult!.stats
    const speedup = sequentialMs / parallelMs
    return {
      mode: 'latency',
      txs: opts.txs,
      accounts: opts.accounts,
      latencyUs: opts.latencyUs,
      workUs: opts.workUs,
      threads: opts.threads,
      lanes: opts.lanes,
      scheduler: par.scheduler,
      inFlight,
      criticalPath,
      bound: round(bound),
      sequentialMs: round(sequentialMs),
      parallelMs: round(parallelMs),
      speedup: round(speedup),
      ofBound: round(speedup / bound),
      executionsPerTx: round(st.executions / opts.txs),
      executions: st.executions,
      validations: st.validations,
      aborts: st.aborts,
      dependencyWaits: st.dependencyWaits,
      fallback: st.fallback ?? null,
      identical,
      warmupRounds: timings.get('blockstm')!.warmupRounds,
      parallelWarmupBlocks: warmupBlocks,
    }
  } finally {
    await Promise.all([par.close(), seq.close()])
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
