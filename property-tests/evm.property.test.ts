/**
 * Determinism of the EVM binding at scale, through the determinism kit (src/testing, the
 * implementation users get as `blockstm-evm/testing`): fast-check generated EVM blocks run
 * through the binding's transaction VM (src/evm/txvm.ts) sequentially and on Block-STM at
 * threads 1, 2, 4 (forced parallel, `minParallelTxs: 0`, both schedulers, seeded pauses around
 * every read in every thread) give byte-identical per-transaction outputs (validity,
 * status, gas, receipt tail with logs and bloom, return value, created address) and final
 * writes (the state diff); a failure shrinks to a minimal block.
 *
 * Blocks: hand-made (src/testing/evmVm.ts over src/reliability/evmBlocks.ts) — 1–24 signed
 * transactions from 8 keys and the fee recipient: transfers (to keys, to the fee recipient),
 * calls to a shared counter, a coinbase-balance reader, a self-balance store, a value
 * forwarder to the fee recipient, reverts, out-of-gas loops, SELFDESTRUCT, contract
 * creation; legacy and EIP-1559; random pre-state balances (some keys nearly empty, so
 * validity depends on earlier transfers) and occasional wrong nonces (invalid
 * transactions). Plus seeded workload-generator blocks (raw, raw-hot, erc20, nft with random
 * accounts/seed/zipf, 2–12 txs).
 *
 * Knobs: BLOCKSTM_PROPERTY_RUNS (hand-made blocks per run, default 12),
 * BLOCKSTM_PROPERTY_SEED; BLOCKSTM_LONG_RUN=1 runs ≥ BLOCKSTM_LONG_RUN_EVM_BLOCKS (default
 * 2000) generated blocks across threads 1–4 and every mainnet fixture
 * ($BLOCKSTM_FIXTURES/mainnet, default ../shared/fixtures) 3 times at threads 1, 2 and 4,
 * through `createEvmExecutor` (whole blocks: receipts root, bloom, post-state, or the same
 * InvalidBlockError), counting runs and divergences (printed; must be zero).
 */
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createEvmExecutor, loadBlockFixture, type EvmExecutor, type PreState } from '../src/evm/index.js'
import { generateWorkload, type WorkloadKind } from '../src/workloads/index.js'
import { checkDeterminism } from '../src/testing/index.js'
import { EVM_VM_MODULE, evmBlockOf, evmCases, evmJob, type EvmCase } from '../src/testing/evmVm.js'
import { evmEngineJob } from '../src/evm/staticBatch.js'
import { evmDivergence, type Outcome } from '../src/reliability/compare.js'

const RUNS = Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 12)
const SEED = process.env.BLOCKSTM_PROPERTY_SEED !== undefined ? Number(process.env.BLOCKSTM_PROPERTY_SEED) : undefined
const LONG = process.env.BLOCKSTM_LONG_RUN === '1'
const LONG_BLOCKS = Number(process.env.BLOCKSTM_LONG_RUN_EVM_BLOCKS ?? 2000)

const seq = createEvmExecutor({ engine: 'sequential' })
const stm = new Map<number, EvmExecutor>([1, 2, 3, 4].map((t) => [t, createEvmExecutor({ engine: 'blockstm', threads: t, minParallelTxs: 0, scheduler: 'v1' })]))
/** Scheduler v2 on the same blocks (threads 1, 2 and 4). */
const stmV2 = new Map<number, EvmExecutor>([1, 2, 4].map((t) => [t, createEvmExecutor({ engine: 'blockstm', threads: t, minParallelTxs: 0, scheduler: 'v2' })]))
afterAll(async () => {
  await seq.close()
  for (const e of stm.values()) await e.close()
  for (const e of stmV2.values()) await e.close()
})

async function handBlock(c: EvmCase) {
  const { block, preState } = evmBlockOf(c)
  return { block, preState }
}

const WORKLOAD_KINDS: WorkloadKind[] = ['raw', 'raw-hot', 'erc20', 'nft']
const workloadArb = fc.record({
  kind: fc.constantFrom(...WORKLOAD_KINDS),
  txs: fc.integer({ min: 2, max: 12 }),
  accounts: fc.integer({ min: 1, max: 6 }),
  seed: fc.integer({ min: 0, max: 1_000_000 }),
  zipf: fc.constantFrom(0, 0.8, 1.2),
})

async function outcome(ex: EvmExecutor, block: { block: import('@ethereumjs/block').Block; preState: PreState }): Promise<Outcome> {
  return ex.executeBlock(block).then(
    (r) => r,
    (e: unknown) => e as Error,
  )
}

/** Runs `c` on sequential and blockstm at `threads`; returns the divergences found. */
async function compareAt(c: { block: import('@ethereumjs/block').Block; preState: PreState }, threads: number[]): Promise<string[]> {
  const want = await outcome(seq, c)
  const out: string[] = []
  for (const t of threads) {
    const d = evmDivergence(want, await outcome(stm.get(t)!, c))
    if (d !== undefined) out.push(`threads ${t}: ${d}`)
    const v2 = stmV2.get(t)
    const d2 = v2 === undefined ? undefined : evmDivergence(want, await outcome(v2, c))
    if (d2 !== undefined) out.push(`threads ${t}, scheduler v2: ${d2}`)
  }
  return out
}

describe('EVM determinism through the kit: sequential = blockstm at threads 1, 2, 4 (workloads 2, 4), schedulers v1 and v2', () => {
  const common = { vmModule: EVM_VM_MODULE, scheduler: ['v1', 'v2'] as Array<'v1' | 'v2'>, ...(SEED !== undefined ? { seed: SEED } : {}) }

  it('hand-made blocks', async () => {
    const r = await checkDeterminism({ ...common, blocks: evmCases(fc), payloadFor: evmJob, threads: [1, 2, 4], runs: RUNS })
    expect(r.blocks).toBe(RUNS)
  }, 600_000)

  it('workload-generator blocks', async () => {
    await checkDeterminism({
      ...common,
      blocks: workloadArb,
      payloadFor: async (p) => {
        const w = await generateWorkload(p, { cacheDir: false })
        return evmEngineJob(w.block, w.common, w.preState)
      },
      threads: [2, 4],
      runs: Math.max(2, Math.round(RUNS / 5)),
    })
  }, 600_000)
})

describe.skipIf(!LONG)('EVM long run (BLOCKSTM_LONG_RUN=1)', () => {
  it(`≥ ${LONG_BLOCKS} generated blocks across threads 1–4`, async () => {
    let blocks = 0
    let runs = 0
    const divergences: string[] = []
    const seed = SEED ?? Date.now() % 1_000_000_000
    const samples = fc.sample(fc.oneof({ weight: 9, arbitrary: evmCases(fc).map((h) => ({ h })) }, { weight: 1, arbitrary: workloadArb.map((w) => ({ w })) }), { numRuns: LONG_BLOCKS, seed })
    const t0 = performance.now()
    for (const [i, s] of samples.entries()) {
      const c = 'h' in s ? await handBlock(s.h) : await generateWorkload(s.w, { cacheDir: false }).then((w) => ({ block: w.block, preState: w.preState }))
      const threads = [1, 2, 3, 4]
      const d = await compareAt(c, threads)
      blocks++
      runs += threads.length
      for (const x of d) divergences.push(`sample ${i} (seed ${seed}): ${x}`)
      if (blocks % 200 === 0) console.log(`evm long run: ${blocks} blocks, ${runs} blockstm runs, ${divergences.length} divergences, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    }
    console.log(`EVM LONG RUN generated: seed ${seed}, ${blocks} blocks, ${runs} blockstm runs (threads 1-4) vs sequential, ${divergences.length} divergences, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    for (const d of divergences) console.log(d)
    expect(divergences).toEqual([])
  }, 6 * 3600_000)

  const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures'))
  const mainnet = join(root, 'mainnet')
  it.skipIf(!existsSync(mainnet))('every mainnet fixture 3 times at threads 1, 2 and 4', async () => {
    const dirs = readdirSync(mainnet).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
    let runs = 0
    const divergences: string[] = []
    const t0 = performance.now()
    for (const n of dirs) {
      const f = await loadBlockFixture(join(mainnet, n))
      const c = { block: f.block, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints }
      const want = await outcome(seq, c)
      for (let rep = 0; rep < 3; rep++) {
        for (const t of [1, 2, 4]) {
          const d = evmDivergence(want, await outcome(stm.get(t)!, c))
          runs++
          if (d !== undefined) divergences.push(`block ${n} threads ${t} rep ${rep}: ${d}`)
          const d2 = evmDivergence(want, await outcome(stmV2.get(t)!, c))
          runs++
          if (d2 !== undefined) divergences.push(`block ${n} threads ${t} scheduler v2 rep ${rep}: ${d2}`)
        }
      }
    }
    console.log(`EVM LONG RUN mainnet: ${dirs.length} fixtures, ${runs} blockstm runs (3 × threads 1, 2, 4) vs sequential, ${divergences.length} divergences, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    for (const d of divergences) console.log(d)
    expect(divergences).toEqual([])
  }, 6 * 3600_000)
})
