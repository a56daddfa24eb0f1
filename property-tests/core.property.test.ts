/**
 * Property tests of the VM-agnostic Block-STM core against the sequential reference.
 *
 * What it proves: for random mock blocks (1–150 transactions of 1–8 operations mixing reads,
 * writes and deltas on static and value-dependent keys, reverts, VM failures, and
 * macro/micro-task delays that vary the interleavings; key universes from 2 keys, where
 * everything conflicts, to thousands; pre-states with some keys present), Block-STM with 1 to
 * 4 threads (and several lanes per thread) returns exactly the outputs and the state diff of
 * a plain sequential run, or fails with `TransactionVMError` at the same lowest failing
 * transaction as the sequential run (which throws the VM's own error), and two parallel runs
 * of the same block are identical. Every parallel run must really run Block-STM (no
 * sequential fallback, `minParallelTxs: 0`; the serial mode, which keeps the committed
 * prefix of a conflict-heavy block and runs the rest sequentially on the calling thread, is
 * exercised too, with its default budget). Variants: a slow state
 * source (pre-block values fetched with latency), multi-byte numeric values, and negative
 * delta amounts (invalid: both engines must fail the block in the same transaction).
 *
 * A second family of blocks runs a scripted VM (test/support/scriptVm.ts) that applies every
 * operation at once, so it also covers reads of a transaction's own writes and deltas,
 * write-backs of values read, raw keys of any length (the empty key, prefixes), pre-state
 * values with leading zero bytes or empty, zero deltas, and `dependOn`.
 *
 * Knobs (environment):
 *   BLOCKSTM_PROPERTY_RUNS   generated blocks per executor configuration (default 80: the
 *                            whole file then takes ~30–60 s on 2 cores, executor start-up
 *                            included). 7 + 2 configurations, plus the variants (RUNS / 4).
 *   BLOCKSTM_PROPERTY_SEED   fixed fast-check seed (fast-check prints the seed and the
 *                            counterexample path of a failure: rerun with that seed).
 *   BLOCKSTM_LONG_RUN=1      long-run mode: additionally runs ≥ BLOCKSTM_LONG_RUN_BLOCKS
 *                            (default 100000) generated blocks across the configurations
 *                            without stopping at the first divergence, then prints the
 *                            number of blocks and every divergence found (seed, batch and
 *                            index to regenerate it; the block is dumped to a JSON file) and
 *                            fails if there was any.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor, type BlockJob } from '../src/executor/engine.js'
import {
  MOCK_VM,
  TRACKED_MOCK_VM,
  blockCaseArb,
  divergence,
  jobOf,
  runParallel,
  runSequential,
  sameOutcome,
  type BlockCase,
  type Outcome,
} from '../test/support/mockBlocks.js'
import { SCRIPT_VM, scriptCaseArb, scriptJob, type ScriptCase } from '../test/support/scriptBlocks.js'
import { LatencyBaseState, MapBaseState } from '../src/executor/baseState.js'
import type { SchedulerKind } from '../src/scheduler/types.js'

const RUNS = Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 80)
const SEED = process.env.BLOCKSTM_PROPERTY_SEED !== undefined ? Number(process.env.BLOCKSTM_PROPERTY_SEED) : undefined
const LONG_RUN = process.env.BLOCKSTM_LONG_RUN === '1'
const LONG_RUN_BLOCKS = Number(process.env.BLOCKSTM_LONG_RUN_BLOCKS ?? 100_000)

interface Config {
  name: string
  threads: number
  lanes: number
  /** undefined: the default serial fallback (the calling thread finishes pathological blocks). */
  serialFallbackRatio?: number
  /** The Block-STM scheduler (every configuration runs on both). */
  scheduler?: SchedulerKind
}

/** Every configuration on each scheduler (v1's name unchanged, v2's suffixed). */
function onBothSchedulers(configs: Config[]): Config[] {
  return configs.flatMap((c) => [{ ...c, scheduler: 'v1' as const }, { ...c, name: `${c.name}, scheduler v2`, scheduler: 'v2' as const }])
}
// Infinity keeps every thread on the block however many aborts it takes (the plain
// algorithm under maximal contention); the default switches conflict-heavy blocks to serial
// mode, which must give the same results.
const CONFIGS: Config[] = onBothSchedulers([
  { name: 'threads 1', threads: 1, lanes: 1 },
  { name: 'threads 1 × 3 lanes', threads: 1, lanes: 3 },
  { name: 'threads 1 × 3 lanes, no serial fallback', threads: 1, lanes: 3, serialFallbackRatio: Infinity },
  { name: 'threads 2', threads: 2, lanes: 1 },
  { name: 'threads 2 × 2 lanes, no serial fallback', threads: 2, lanes: 2, serialFallbackRatio: Infinity },
  { name: 'threads 3, no serial fallback', threads: 3, lanes: 1, serialFallbackRatio: Infinity },
  { name: 'threads 4', threads: 4, lanes: 1 },
])

const SCRIPT_CONFIGS: Config[] = onBothSchedulers([
  { name: 'threads 1 × 3 lanes, no serial fallback', threads: 1, lanes: 3, serialFallbackRatio: Infinity },
  { name: 'threads 2 × 2 lanes', threads: 2, lanes: 2 },
])

function options(c: Config) {
  return {
    threads: c.threads,
    lanes: c.lanes,
    minParallelTxs: 0,
    scheduler: c.scheduler,
    ...(c.serialFallbackRatio !== undefined ? { serialFallbackRatio: c.serialFallbackRatio } : {}),
  }
}

// The reference: the same mock VM on the calling thread, recording which transaction runs.
const sequential = createSequentialExecutor({ vmModule: TRACKED_MOCK_VM })
const scriptSequential = createSequentialExecutor({ vmModule: SCRIPT_VM })
const executors = new Map<string, BlockExecutor>()
const scriptExecutors = new Map<string, BlockExecutor>()

beforeAll(async () => {
  // Workers take ~0.5 s to start: one executor per configuration, reused by every block.
  for (const c of CONFIGS) executors.set(c.name, await createBlockSTMExecutor({ ...options(c), vmModule: MOCK_VM }))
  for (const c of SCRIPT_CONFIGS) scriptExecutors.set(c.name, await createBlockSTMExecutor({ ...options(c), vmModule: SCRIPT_VM }))
})

afterAll(async () => {
  for (const ex of executors.values()) await ex.close()
  for (const ex of scriptExecutors.values()) await ex.close()
})

/** What the generated blocks exercised (so that the properties are not vacuous). */
const seen = { blocks: 0, seqFailures: 0, withAborts: 0, withDependencyWaits: 0, serial: 0, maxTxs: 0, scriptBlocks: 0, scriptFailures: 0 }

/** Runs `job` sequentially and twice on `ex`; returns the divergence, or undefined. */
async function compare(seqEx: BlockExecutor, ex: BlockExecutor, job: BlockJob): Promise<{ d?: string; seq: Outcome; par: Outcome }> {
  const seq = await runSequential(seqEx, job)
  const p1 = await runParallel(ex, job)
  const d1 = divergence(seq, p1, job.txCount)
  if (d1 !== undefined) return { d: d1, seq, par: p1 }
  const p2 = await runParallel(ex, job)
  const d2 = divergence(seq, p2, job.txCount)
  if (d2 !== undefined) return { d: `second run: ${d2}`, seq, par: p1 }
  if (!sameOutcome(p1, p2)) return { d: 'two parallel runs differ', seq, par: p1 }
  return { seq, par: p1 }
}

/** Checks one mock block on one executor; returns the divergence, or undefined. */
async function check(c: BlockCase, ex: BlockExecutor): Promise<string | undefined> {
  const job = jobOf(c)
  const { d, seq, par } = await compare(sequential, ex, job)
  seen.blocks++
  seen.maxTxs = Math.max(seen.maxTxs, job.txCount)
  if (!seq.ok) seen.seqFailures++
  if (par.ok && (par.stats!.aborts as number) > 0) seen.withAborts++
  if (par.ok && (par.stats!.dependencyWaits as number) > 0) seen.withDependencyWaits++
  if (par.ok && String(par.stats!.fallback ?? '').startsWith('serial:')) seen.serial++
  return d
}

/** Checks one scripted block on one executor; returns the divergence, or undefined. */
async function checkScript(c: ScriptCase, ex: BlockExecutor): Promise<string | undefined> {
  const { d, seq } = await compare(scriptSequential, ex, scriptJob(c))
  seen.scriptBlocks++
  if (!seq.ok) seen.scriptFailures++
  return d
}

function params<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns, ...(SEED !== undefined ? { seed: SEED } : {}) }
}

const variantRuns = Math.max(1, Math.round(RUNS / 4))

describe('Block-STM equals sequential execution on random mock blocks', () => {
  for (const c of CONFIGS) {
    it(c.name, async () => {
      const ex = executors.get(c.name)!
      await fc.assert(
        fc.asyncProperty(blockCaseArb(), async (bc) => {
          const d = await check(bc, ex)
          if (d !== undefined) throw new Error(d)
        }),
        params(RUNS),
      )
    })
  }

  for (const v2 of ['', ', scheduler v2']) {
    it(`slow state source: pre-block values fetched with latency (threads 2 × 2 lanes, no serial fallback${v2})`, async () => {
      const ex = executors.get(`threads 2 × 2 lanes, no serial fallback${v2}`)!
      await fc.assert(
        fc.asyncProperty(blockCaseArb({ maxTxs: 60 }), async (bc) => {
          const job = jobOf(bc)
          const seq = await runSequential(sequential, job)
          // The same values behind a 300 µs fetch latency (fetched once per location per block).
          const slow = { ...job, base: new LatencyBaseState(job.base as MapBaseState, 300) }
          const d = divergence(seq, await runParallel(ex, slow), job.txCount)
          if (d !== undefined) throw new Error(d)
        }),
        params(variantRuns),
      )
    })

    it(`multi-byte numeric values (threads 2 × 2 lanes, no serial fallback${v2})`, async () => {
      const ex = executors.get(`threads 2 × 2 lanes, no serial fallback${v2}`)!
      await fc.assert(
        fc.asyncProperty(blockCaseArb({ wide: true }), async (bc) => {
          const d = await check(bc, ex)
          if (d !== undefined) throw new Error(d)
        }),
        params(variantRuns),
      )
    })

    it(`negative delta amounts fail both engines in the same transaction (threads 3, no serial fallback${v2})`, async () => {
      const ex = executors.get(`threads 3, no serial fallback${v2}`)!
      let failed = 0
      await fc.assert(
        fc.asyncProperty(blockCaseArb({ negativeDeltas: true, throws: false }), async (bc) => {
          const before = seen.seqFailures
          const d = await check(bc, ex)
          if (d !== undefined) throw new Error(d)
          if (seen.seqFailures > before) failed++
        }),
        params(variantRuns),
      )
      if (RUNS >= 20) expect(failed).toBeGreaterThan(0)
    })
  }

  for (const c of SCRIPT_CONFIGS) {
    it(`scripted blocks (own writes, write-backs, raw keys, dependOn), ${c.name}`, async () => {
      const ex = scriptExecutors.get(c.name)!
      await fc.assert(
        fc.asyncProperty(scriptCaseArb(), async (sc) => {
          const d = await checkScript(sc, ex)
          if (d !== undefined) throw new Error(d)
        }),
        params(RUNS),
      )
    })
  }

  it('the generated blocks exercised failures, aborts, dependency waits and serial mode', () => {
    console.log(`property blocks: ${JSON.stringify(seen)}`)
    expect(seen.blocks).toBeGreaterThanOrEqual(CONFIGS.length * RUNS)
    if (RUNS >= 20) {
      expect(seen.seqFailures).toBeGreaterThan(0)
      expect(seen.withAborts).toBeGreaterThan(0)
      expect(seen.withDependencyWaits).toBeGreaterThan(0)
      expect(seen.serial).toBeGreaterThan(0)
      expect(seen.maxTxs).toBeGreaterThan(100)
      expect(seen.scriptFailures).toBeGreaterThan(0)
      expect(seen.scriptFailures).toBeLessThan(seen.scriptBlocks)
    }
  })
})

describe.runIf(LONG_RUN)('long run', () => {
  it(
    `≥ ${LONG_RUN_BLOCKS} generated blocks across thread counts`,
    async () => {
      const seed = SEED ?? Date.now() % 2 ** 31
      const BATCH = 250
      const divergences: string[] = []
      let blocks = 0
      let failingBlocks = 0
      const started = performance.now()
      for (let batch = 0; blocks < LONG_RUN_BLOCKS; batch++) {
        const cfg = CONFIGS[batch % CONFIGS.length]!
        const ex = executors.get(cfg.name)!
        const variant = batch % 10 === 9 ? 'negative deltas' : batch % 10 === 4 ? 'multi-byte values' : undefined
        const arb = blockCaseArb(variant === 'negative deltas' ? { negativeDeltas: true, throws: false } : variant ? { wide: true } : {})
        const cases = fc.sample(arb, { seed: seed + batch, numRuns: BATCH })
        for (let i = 0; i < cases.length; i++) {
          const bc = cases[i]!
          let d: string | undefined
          try {
            d = await check(bc, ex)
          } catch (e) {
            d = `threw ${(e as Error).name}: ${(e as Error).message}`
          }
          blocks++
          if (bc.block.txs.some((t) => t.ops.some((o) => o.op === 'throw'))) failingBlocks++
          if (d !== undefined) {
            const file = join(tmpdir(), `blockstm-divergence-${seed}-${batch}-${i}.json`)
            writeFileSync(file, JSON.stringify(bc))
            const line = `[${cfg.name}] seed ${seed} batch ${batch} index ${i}${variant ? ` (${variant})` : ''}: ${d} (block: ${file})`
            divergences.push(line)
            console.error(line)
          }
        }
        if (batch % 20 === 19) {
          console.log(`long run: ${blocks} blocks, ${divergences.length} divergences, ${((performance.now() - started) / 1000).toFixed(0)} s`)
        }
      }
      console.log(
        `long run finished: ${blocks} blocks (seed ${seed}, ${failingBlocks} with throw ops), ${divergences.length} divergences` +
          (divergences.length > 0 ? `:\n${divergences.join('\n')}` : ''),
      )
      expect(divergences).toEqual([])
    },
    7 * 24 * 3600 * 1000,
  )
})
