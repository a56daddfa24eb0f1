/**
 * `bench-core`: the VM-agnostic engine on CPU-bound mock transactions. Each transaction reads
 * one key, burns `workUs` µs of hashing (about the cost of executing an ETH transfer here)
 * and writes the key back with a value derived from what it read. With many keys the block
 * is conflict-free; with one key every transaction depends on the previous one.
 */
import { fileURLToPath } from 'node:url'
import { createSequentialExecutor, createBlockSTMExecutor, type BlockResult } from '../executor/engine.js'
import { IdealExecutor } from '../executor/ideal.js'
import { MapBaseState } from '../executor/baseState.js'
import { calibrateHashRounds, mockBaseEntries, type MockBlock } from '../mock/mockVm.js'
import { timeEngines, type HarnessOptions } from './harness.js'
import { sameResult } from './compare.js'

export const mockVmModule = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../mock/mockVm.ts' : '../mock/mockVm.js', import.meta.url))

export interface BenchCoreOptions {
  txs: number
  keys: number
  threads: number
  workUs: number
  seed: number
  harness?: HarnessOptions
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
  const job = { txCount: opts.txs, payload: block, base: new MapBaseState(mockBaseEntries(Math.min(opts.keys, 1_000_000))) }
  const seq = createSequentialExecutor({ vmModule: mockVmModule })
  const par = await createBlockSTMExecutor({ threads: opts.threads, vmModule: mockVmModule })
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

function round(x: number): number {
  return Math.round(x * 1000) / 1000
}
