/**
 * A client's day (issue 15, item 6): consecutive generated blocks through one drop-in runner
 * on the persistent store, every state root checked against runBlock on a copy; prints resident
 * memory at block 100 and at the end, and the growth between them.
 *   node --expose-gc --import tsx scripts/dropin-day.ts [--blocks 1000] [--txs 40]
 */
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { runClientDay } from '../src/bench/dropinDay.js'

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '1000' }, txs: { type: 'string', default: '40' } } })
const blocks = Number(values.blocks)
const r = await runClientDay({
  blocks,
  txsPerBlock: Number(values.txs),
  onBlock: (i) => {
    if ((i + 1) % 100 === 0) {
      ;(globalThis as { gc?: () => void }).gc?.()
      console.error(`block ${i + 1}: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MiB`)
    }
  },
})
const at = (i: number) => r.rss[Math.min(i, r.rss.length - 1)]!
const from = at(99)
const to = at(r.rss.length - 1)
console.log(JSON.stringify({ blocks: r.blocks, mismatches: r.mismatches.length, workerFailures: r.workerFailures, rssAt100MiB: from / 2 ** 20, rssAtEndMiB: to / 2 ** 20, growth: (to - from) / from, parallelMs: r.parallelMs, runBlockMs: r.runBlockMs, loadavg: loadavg() }))
