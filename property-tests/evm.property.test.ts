/**
 * Determinism of the EVM binding at scale: fast-check generated EVM blocks run on the
 * sequential engine and on blockstm at threads 1–4 (forced parallel, `minParallelTxs: 0`)
 * give identical outcomes: receipts, per-tx results, gasUsed, bloom, receipts root and
 * post-state, or the same InvalidBlockError at the same transaction.
 *
 * Blocks: hand-made (src/reliability/evmBlocks.ts) — 1–24 signed transactions from 8 keys and
 * the fee recipient: transfers (to keys, to the fee recipient), calls to a shared counter, a
 * coinbase-balance reader, a self-balance store, a value forwarder to the fee recipient,
 * reverts, out-of-gas loops, SELFDESTRUCT, contract creation; legacy and EIP-1559; random
 * pre-state balances (some keys nearly empty, so validity depends on earlier transfers) and
 * occasional wrong nonces (invalid blocks). Plus seeded workload-generator blocks (raw,
 * raw-hot, erc20, nft with random accounts/seed/zipf, 2–12 txs).
 *
 * Knobs: BLOCKSTM_PROPERTY_RUNS (hand-made blocks per run, default 12),
 * BLOCKSTM_PROPERTY_SEED; BLOCKSTM_LONG_RUN=1 runs ≥ BLOCKSTM_LONG_RUN_EVM_BLOCKS (default
 * 2000) generated blocks across threads 1–4 and every mainnet fixture
 * ($BLOCKSTM_FIXTURES/mainnet, default ../shared/fixtures) 3 times at threads 1, 2 and 4,
 * counting runs and divergences (printed; must be zero).
 */
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createEvmExecutor, loadBlockFixture, type EvmExecutor, type PreState } from '../src/evm/index.js'
import { generateWorkload, type WorkloadKind } from '../src/workloads/index.js'
import { castBlock, castPreState, CONTRACTS, KEY_COUNT, COINBASE_INDEX, type ContractName, type TxSpec } from '../src/reliability/evmBlocks.js'
import { evmDivergence, type Outcome } from '../src/reliability/compare.js'

const RUNS = Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 12)
const SEED = process.env.BLOCKSTM_PROPERTY_SEED !== undefined ? Number(process.env.BLOCKSTM_PROPERTY_SEED) : undefined
const LONG = process.env.BLOCKSTM_LONG_RUN === '1'
const LONG_BLOCKS = Number(process.env.BLOCKSTM_LONG_RUN_EVM_BLOCKS ?? 2000)

const seq = createEvmExecutor({ engine: 'sequential' })
const stm = new Map<number, EvmExecutor>([1, 2, 3, 4].map((t) => [t, createEvmExecutor({ engine: 'blockstm', threads: t, minParallelTxs: 0 })]))
afterAll(async () => {
  await seq.close()
  for (const e of stm.values()) await e.close()
})

const CONTRACT_NAMES = Object.keys(CONTRACTS) as ContractName[]
const specArb: fc.Arbitrary<TxSpec> = fc.record({
  from: fc.integer({ min: 0, max: KEY_COUNT }), // KEY_COUNT is the fee recipient
  to: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: KEY_COUNT }) },
    { weight: 5, arbitrary: fc.constantFrom(...CONTRACT_NAMES) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  value: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 10n ** 18n })),
  type: fc.constantFrom<0 | 2>(0, 2, 2),
  gasLimit: fc.constantFrom(60_000n, 120_000n, 300_000n),
  badNonce: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) }),
}).map(({ badNonce, ...s }) => ({ ...s, ...(badNonce !== 0 ? { nonceDelta: badNonce } : {}) }) as TxSpec & { nonceDelta?: number })

interface HandCase {
  specs: Array<TxSpec & { nonceDelta?: number }>
  balances: bigint[]
  coinbaseBalance: bigint | null
}
const handArb: fc.Arbitrary<HandCase> = fc.record({
  specs: fc.array(specArb, { minLength: 1, maxLength: 24 }),
  balances: fc.array(fc.constantFrom(10n ** 20n, 10n ** 20n, 5n * 10n ** 7n, 0n), { minLength: KEY_COUNT, maxLength: KEY_COUNT }),
  coinbaseBalance: fc.constantFrom<bigint | null>(10n ** 18n, 0n, null),
})

async function handBlock(c: HandCase) {
  // Nonces: each sender's next nonce, off by nonceDelta where given (an invalid block).
  const next = new Map<number | Uint8Array, number>()
  const specs = c.specs.map((s) => {
    const n = next.get(s.from) ?? 0
    next.set(s.from, n + 1)
    return { ...s, nonce: Math.max(0, n + (s.nonceDelta ?? 0)) }
  })
  const { block } = await castBlock(specs)
  const preState = castPreState({ balances: c.balances, coinbaseBalance: c.coinbaseBalance })
  if (c.coinbaseBalance === null && specs.some((s) => s.from === COINBASE_INDEX)) {
    // the fee recipient cannot send without an account: fine, the block is then invalid on both sides
  }
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
  }
  return out
}

describe('EVM determinism: sequential = blockstm at threads 1–4', () => {
  it('hand-made blocks', async () => {
    await fc.assert(
      fc.asyncProperty(handArb, async (c) => {
        const d = await compareAt(await handBlock(c), [1, 2, 3, 4])
        expect(d).toEqual([])
      }),
      { numRuns: RUNS, ...(SEED !== undefined ? { seed: SEED } : {}) },
    )
  }, 600_000)

  it('workload-generator blocks', async () => {
    await fc.assert(
      fc.asyncProperty(workloadArb, async (p) => {
        const w = await generateWorkload(p, { cacheDir: false })
        const d = await compareAt({ block: w.block, preState: w.preState }, [2, 4])
        expect(d).toEqual([])
      }),
      { numRuns: Math.max(2, Math.round(RUNS / 5)), ...(SEED !== undefined ? { seed: SEED } : {}) },
    )
  }, 600_000)
})

describe.skipIf(!LONG)('EVM long run (BLOCKSTM_LONG_RUN=1)', () => {
  it(`≥ ${LONG_BLOCKS} generated blocks across threads 1–4`, async () => {
    let blocks = 0
    let runs = 0
    const divergences: string[] = []
    const seed = SEED ?? Date.now() % 1_000_000_000
    const samples = fc.sample(fc.oneof({ weight: 9, arbitrary: handArb.map((h) => ({ h })) }, { weight: 1, arbitrary: workloadArb.map((w) => ({ w })) }), { numRuns: LONG_BLOCKS, seed })
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
        }
      }
    }
    console.log(`EVM LONG RUN mainnet: ${dirs.length} fixtures, ${runs} blockstm runs (3 × threads 1, 2, 4) vs sequential, ${divergences.length} divergences, ${((performance.now() - t0) / 1000).toFixed(0)} s`)
    for (const d of divergences) console.log(d)
    expect(divergences).toEqual([])
  }, 6 * 3600_000)
})
