/**
 * How much of a block's blockstm time (2 threads) the calling thread spends alone: from the
 * call to the moment the block message goes to the workers ("before"), and from the moment
 * the last worker answered to the end of the call ("after"), for every mainnet fixture of at
 * least 50 transactions; 7 rounds each (sequential, then blockstm), medians of the last 5.
 * Diagnostic: it wraps `WorkerPool.prototype.request` to see when the block is sent.
 *
 *   npx tsx scripts/calling-thread-share.ts
 *
 * Env: BLOCKSTM_FIXTURES (default ../shared/fixtures).
 */
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createEvmExecutor, loadBlockFixture } from '../src/evm/index.js'
import { WorkerPool } from '../src/executor/workerPool.js'

const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures'), 'mainnet')
let t0 = 0
let sentAt = 0
let answeredAt = 0
const request = WorkerPool.prototype.request
WorkerPool.prototype.request = function (this: WorkerPool<{ type: string }>, seq: number, msg: unknown) {
  sentAt = performance.now() - t0
  const replies = request.call(this, seq, msg)
  void Promise.all(replies).then(() => (answeredAt = performance.now() - t0))
  return replies
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
const ex = createEvmExecutor({ engine: 'blockstm', threads: 2 })
const seq = createEvmExecutor({ engine: 'sequential' })
const blocks = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
let before = 0
let after = 0
let speedup = 0
let counted = 0
for (const b of blocks) {
  const f = await loadBlockFixture(join(root, b))
  if (f.block.transactions.length < 50) continue
  const args = { block: f.block, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints }
  const pre: number[] = []
  const post: number[] = []
  const total: number[] = []
  const sq: number[] = []
  for (let i = 0; i < 7; i++) {
    const s = performance.now()
    await seq.executeBlock(args)
    const sequentialMs = performance.now() - s
    sentAt = answeredAt = Number.NaN
    t0 = performance.now()
    await ex.executeBlock(args)
    const ms = performance.now() - t0
    // A block that did not go to the workers (a fallback on the calling thread) counts as all "before".
    if (i >= 2) pre.push(Number.isNaN(sentAt) ? ms : sentAt), post.push(Number.isNaN(answeredAt) ? 0 : ms - answeredAt), total.push(ms), sq.push(sequentialMs)
  }
  const m = { pre: median(pre), post: median(post), total: median(total), seq: median(sq) }
  before += m.pre / m.total
  after += m.post / m.total
  speedup += m.seq / m.total
  counted++
  console.log(`${b} txs ${f.block.transactions.length} sequential ${m.seq.toFixed(1)} blockstm ${m.total.toFixed(1)} before ${m.pre.toFixed(1)} after ${m.post.toFixed(1)} ms (${((100 * (m.pre + m.post)) / m.total).toFixed(0)} %)`)
}
console.log(`mean share: before ${(before / counted).toFixed(3)}, after ${(after / counted).toFixed(3)}; mean speedup ${(speedup / counted).toFixed(3)}`)
await Promise.all([ex.close(), seq.close()])
