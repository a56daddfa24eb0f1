/**
 * Property tests of the static-batch planner (src/planner) against the sequential reference.
 *
 * What it proves: for random mock blocks (the generator of the core property tests: reads,
 * writes and deltas on static and value-dependent keys, reverts, VM failures, delays; key
 * universes from 2 keys to thousands), the static-batch engine with 1, 2 and 3 threads returns
 * exactly the outputs and state diff of a sequential run, or fails with `TransactionVMError`
 * at the same transaction, whatever its predictor says:
 *   - `oracle`: exact accesses recorded by a sequential run (never mispredicts: checked);
 *   - `mock-static`: only the static keys (wrong when value-dependent keys matter);
 *   - `none`: no accesses, every transaction in one batch (maximally wrong);
 *   - `random`: arbitrary tokens (wrong in both directions, random batch shapes, including
 *     lower transactions in later batches than higher ones).
 * It also checks that wrong predictors really produced mispredictions (non-vacuous).
 *
 * Knobs: BLOCKSTM_PROPERTY_RUNS (default 40 blocks per configuration here),
 * BLOCKSTM_PROPERTY_SEED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createSequentialExecutor, type BlockJob } from '../src/executor/engine.js'
import { createStaticBatchExecutor, type StaticBatchExecutor } from '../src/planner/engine.js'
import { mockStaticPredictor, nonePredictor, oraclePredictor, randomPredictor } from '../src/planner/predictors.js'
import type { Predict } from '../src/planner/types.js'
import { MOCK_VM, blockCaseArb, divergence, jobOf, runParallel, runSequential } from '../test/support/mockBlocks.js'

const RUNS = Math.max(1, Math.round(Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 120) / 3))
const SEED = process.env.BLOCKSTM_PROPERTY_SEED !== undefined ? Number(process.env.BLOCKSTM_PROPERTY_SEED) : undefined

let current: Predict = nonePredictor
const predictors: Record<string, (seed: number) => Predict> = {
  oracle: () => oraclePredictor(MOCK_VM),
  'mock-static': () => mockStaticPredictor,
  none: () => nonePredictor,
  random: (seed) => randomPredictor(seed, 1 + (seed % 12)),
}
const sequential = createSequentialExecutor({ vmModule: MOCK_VM })
const executors = new Map<number, StaticBatchExecutor>()
const seen: Record<string, { blocks: number; mispredicted: number; multiBatch: number }> = {}

beforeAll(async () => {
  for (const threads of [1, 2, 3]) {
    executors.set(threads, await createStaticBatchExecutor({ threads, vmModule: MOCK_VM, predict: (job: BlockJob) => current(job), predictor: 'test' }))
  }
})
afterAll(async () => {
  for (const ex of executors.values()) await ex.close()
})

function params<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) }
}

describe('static-batch equals sequential execution on random mock blocks', () => {
  for (const name of Object.keys(predictors)) {
    for (const threads of [1, 2, 3]) {
      if (threads === 3 && name !== 'random' && name !== 'none') continue
      it(`predictor ${name}, threads ${threads}`, async () => {
        const ex = executors.get(threads)!
        const s = (seen[name] ??= { blocks: 0, mispredicted: 0, multiBatch: 0 })
        await fc.assert(
          fc.asyncProperty(blockCaseArb(), fc.integer({ min: 1, max: 2 ** 30 }), async (bc, seed) => {
            const job = jobOf(bc)
            current = predictors[name]!(seed)
            const seq = await runSequential(sequential, job)
            const par = await runParallel(ex, job)
            const d = divergence(seq, par, job.txCount)
            if (d !== undefined) throw new Error(d)
            s.blocks++
            if (par.ok) {
              const pl = (par.stats as { planner: { mispredictions: number; batches: number } }).planner
              if (pl.mispredictions > 0) s.mispredicted++
              if (pl.batches > 1) s.multiBatch++
              if (name === 'oracle' && pl.mispredictions > 0) throw new Error(`oracle mispredicted ${pl.mispredictions} transactions`)
            }
          }),
          params(RUNS),
        )
      })
    }
  }

  it('wrong predictors were wrong (the properties are not vacuous)', () => {
    console.log(`planner property blocks: ${JSON.stringify(seen)}`)
    if (RUNS >= 20) {
      expect(seen['none']!.mispredicted).toBeGreaterThan(0)
      expect(seen['random']!.mispredicted).toBeGreaterThan(0)
      expect(seen['random']!.multiBatch).toBeGreaterThan(0)
      expect(seen['oracle']!.multiBatch).toBeGreaterThan(0)
    }
  })
})
