/**
 * A/B of the chain fallback on mainnet fixtures, in one process: for each block, rounds of
 * sequential, blockstm (2 threads) with the fallback, and blockstm without it
 * (chainFallbackRatio Infinity), alternating; prints the medians and speedups.
 *
 *   npx tsx scripts/chain-fallback-ab.ts 2641321 5891667 11814555 12300570 12520364 13287210
 *
 * Env: BLOCKSTM_FIXTURES (default ../shared/fixtures), N timed rounds (9), W warm-up rounds (3).
 */
import { join, resolve } from 'node:path'
import { createEvmExecutor, loadBlockFixture, type EvmExecutor, type ExecuteBlockArgs } from '../src/evm/index.js'

const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures'), 'mainnet')
const N = Number(process.env.N ?? 9)
const W = Number(process.env.W ?? 3)
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
async function timed(ex: EvmExecutor, args: ExecuteBlockArgs): Promise<number> {
  const t = performance.now()
  await ex.executeBlock(args)
  return performance.now() - t
}

const on = createEvmExecutor({ engine: 'blockstm', threads: 2 })
const off = createEvmExecutor({ engine: 'blockstm', threads: 2, chainFallbackRatio: Infinity })
const seq = createEvmExecutor({ engine: 'sequential' })
let sumOn = 0
let sumOff = 0
const blocks = process.argv.slice(2)
for (const b of blocks) {
  const f = await loadBlockFixture(join(root, b))
  const args = { block: f.block, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints }
  const ts: number[] = []
  const tOn: number[] = []
  const tOff: number[] = []
  for (let i = 0; i < N + W; i++) {
    const s = await timed(seq, args)
    const a = await timed(on, args)
    const c = await timed(off, args)
    if (i >= W) ts.push(s), tOn.push(a), tOff.push(c)
  }
  const [s, a, c] = [median(ts), median(tOn), median(tOff)]
  sumOn += s / a
  sumOff += s / c
  console.log(`${b} txs ${f.block.transactions.length} sequential ${s.toFixed(0)} ms | fallback ${a.toFixed(0)} ms ${(s / a).toFixed(3)}x | Block-STM ${c.toFixed(0)} ms ${(s / c).toFixed(3)}x`)
}
console.log(`mean: fallback ${(sumOn / blocks.length).toFixed(3)}x, Block-STM ${(sumOff / blocks.length).toFixed(3)}x`)
await Promise.all([on.close(), off.close(), seq.close()])
