/**
 * The static-batch planner equals sequential execution on every mainnet fixture: the engine
 * job of each block (the EVM binding's transaction VM, src/evm/txvm.ts, as src/evm/index.ts
 * runs it) through the sequential engine and through the planner with the `address`
 * predictor on 2 threads (mispredicts on several blocks: exercises re-execution) must give
 * identical per-transaction outputs and state diffs.
 *
 * Every fixture runs by default (46 blocks; 282 mispredicted transactions re-executed, all
 * equal); BLOCKSTM_PLANNER_MAX_TXS=N keeps only the blocks of at most N transactions.
 * Fixtures: $BLOCKSTM_FIXTURES/mainnet, else the repository's brotli-compressed copy (fixtures/mainnet).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { loadBlockFixture, readFixtureJSON } from '../src/evm/index.js'
import { mainnetFixturesDir } from '../src/evm/fixtureDirs.js'
import { createSequentialExecutor } from '../src/executor/engine.js'
import { createEvmStaticBatchEngine, evmEngineJob, TXVM_MODULE } from '../src/evm/staticBatch.js'
import type { StaticBatchExecutor } from '../src/planner/engine.js'

const mainnet = mainnetFixturesDir()
const have = existsSync(mainnet)
if (!have) console.warn(`planner-mainnet: no fixtures at ${mainnet} (set BLOCKSTM_FIXTURES); skipping`)
const blocks = have ? readdirSync(mainnet).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b)) : []
const cap = process.env.BLOCKSTM_PLANNER_MAX_TXS ?? 'all'
const maxTxs = cap === 'all' ? Infinity : Number(cap)
const txCount = (n: string): number => {
  const b = readFixtureJSON(join(mainnet, n, 'block.json')) as { result?: { transactions?: unknown[] }; transactions?: unknown[] }
  return ((b.result ?? b).transactions ?? []).length
}
const chosen = blocks.filter((n) => txCount(n) <= maxTxs)
if (have && chosen.length < blocks.length) console.warn(`planner-mainnet: ${blocks.length - chosen.length} fixtures above ${maxTxs} transactions skipped (BLOCKSTM_PLANNER_MAX_TXS=${cap})`)

const canon = (x: unknown) =>
  JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))

describe.skipIf(!have)('static-batch (address predictor, 2 threads) equals sequential on mainnet fixtures', () => {
  const seq = createSequentialExecutor({ vmModule: TXVM_MODULE })
  let planner: StaticBatchExecutor
  let mispredicted = 0
  beforeAll(async () => {
    planner = await createEvmStaticBatchEngine({ threads: 2, predictor: 'address' })
  })
  afterAll(async () => {
    console.log(`planner-mainnet: ${mispredicted} mispredicted transactions re-executed across the fixtures`)
    await planner?.close()
  })
  it.each(chosen)('block %s', async (n) => {
    const f = await loadBlockFixture(join(mainnet, n))
    const job = evmEngineJob(f.block, f.common, f.preState, f.blockHashes)
    const s = await seq.execute(job)
    const p = await planner.execute(job)
    expect(p.stats.fallback).toBeUndefined()
    mispredicted += p.stats.planner.mispredictions
    expect(canon(p.outputs)).toBe(canon(s.outputs))
    expect(canon(p.writes)).toBe(canon(s.writes))
  }, 120_000)
})
