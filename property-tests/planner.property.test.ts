/**
 * Property tests of the static-batch planner (src/planner) against the sequential reference,
 * run through the determinism kit (src/testing `checkDeterminism` with `engine:
 * 'static-batch'`: seeded pauses around every read in every thread, outcomes compared byte
 * for byte, shrunk counterexamples).
 *
 * What it proves: for random mock blocks (the kit's generator: reads, writes and deltas on
 * static and value-dependent keys, reverts, VM failures, dependency hints, delays; key
 * universes from 2 keys to thousands), the static-batch engine with 1, 2 and 3 threads
 * returns exactly the outputs and state diff of a sequential run, or fails with
 * `TransactionVMError` at the same transaction, whatever its predictor says:
 *   - `oracle`: exact accesses recorded by a sequential run (never mispredicts: checked; its
 *     blocks have no dependency hints, which a recording does not see);
 *   - `mock-static`: only the static keys (wrong when value-dependent keys matter);
 *   - `none`: no accesses, every transaction in one batch (maximally wrong);
 *   - `random`: arbitrary tokens (wrong in both directions, random batch shapes, including
 *     lower transactions in later batches than higher ones), seeded per run.
 * It also checks that wrong predictors really produced mispredictions (non-vacuous).
 *
 * Knobs: BLOCKSTM_PROPERTY_RUNS (default 40 blocks per configuration here),
 * BLOCKSTM_PROPERTY_SEED.
 */
import { describe, expect, it } from 'vitest'
import { mockStaticPredictor, nonePredictor, oraclePredictor, randomPredictor } from '../src/planner/predictors.js'
import { checkDeterminism, mockBlocks, MOCK_VM_MODULE, type KitPredict } from '../src/testing/index.js'

const RUNS = Math.max(1, Math.round(Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 120) / 3))
const SEED = process.env.BLOCKSTM_PROPERTY_SEED !== undefined ? Number(process.env.BLOCKSTM_PROPERTY_SEED) : undefined

const oracle = oraclePredictor(MOCK_VM_MODULE)
const predictors: Record<string, KitPredict> = {
  oracle: (job) => oracle(job),
  'mock-static': (job) => mockStaticPredictor(job),
  none: (job) => nonePredictor(job),
  random: (job, { seed }) => randomPredictor(seed, 1 + (seed % 12))(job),
}
const seen: Record<string, { blocks: number; mispredicted: number; multiBatch: number }> = {}

describe('static-batch equals sequential execution on random mock blocks (through the determinism kit)', () => {
  for (const name of Object.keys(predictors)) {
    for (const threads of [1, 2, 3]) {
      if (threads === 3 && name !== 'random' && name !== 'none') continue
      it(`predictor ${name}, threads ${threads}`, async () => {
        const s = (seen[name] ??= { blocks: 0, mispredicted: 0, multiBatch: 0 })
        await checkDeterminism({
          engine: 'static-batch',
          predict: predictors[name]!,
          threads: [threads],
          blocks: mockBlocks({ maxTxs: 150, hints: name !== 'oracle' }),
          runs: RUNS,
          ...(SEED !== undefined ? { seed: SEED } : {}),
          onRun: (r) => {
            s.blocks++
            const pl = r.stats?.planner
            if (pl === undefined) return
            if (pl.mispredictions > 0) s.mispredicted++
            if (pl.batches > 1) s.multiBatch++
            if (name === 'oracle' && pl.mispredictions > 0) throw new Error(`oracle mispredicted ${pl.mispredictions} transactions`)
          },
        })
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
