/**
 * A client's day (issue 15, item 6): consecutive generated blocks through one drop-in runner
 * on the persistent store, every state root checked against runBlock on a copy in a child
 * process (`--shared` keeps the copy in this process, as before); prints resident memory at
 * block 100 and at the end (after `gc()`), in total and split into anonymous pages (what the
 * runner allocates) and file-backed pages (the store's mapped database file, the code), with
 * the growth of each between them.
 * The store prunes replaced trie nodes unless `--no-prune` (src/dropin/store.ts).
 *   node --expose-gc --import tsx scripts/dropin-day.ts [--blocks 1000] [--txs 40] [--shared] [--no-prune]
 */
import { parseArgs } from 'node:util'
import { loadavg } from 'node:os'
import { runClientDay, sampleMemory, type MemorySample } from '../src/bench/dropinDay.js'

const { values } = parseArgs({ options: { blocks: { type: 'string', default: '1000' }, txs: { type: 'string', default: '40' }, shared: { type: 'boolean', default: false }, 'no-prune': { type: 'boolean', default: false } } })
const blocks = Number(values.blocks)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) console.error('note: run with node --expose-gc for memory figures after a collection')
const mib = (b: number | null) => (b === null ? null : Math.round((b / 2 ** 20) * 10) / 10)
const samples = new Map<number, MemorySample>()
const r = await runClientDay({
  blocks,
  txsPerBlock: Number(values.txs),
  isolateReference: !values.shared,
  prune: !values['no-prune'],
  onBlock: (i) => {
    if ((i + 1) % 100 === 0 || i + 1 === blocks) {
      gc?.()
      const m = sampleMemory()
      samples.set(i + 1, m)
      console.error(`block ${i + 1}: rss ${mib(m.rss)} MiB (anonymous ${mib(m.anon)}, file-backed ${mib(m.file)})`)
    }
  },
})
const from = samples.get(Math.min(100, blocks))!
const to = samples.get(blocks)!
const growth = (a: number | null, b: number | null) => (a === null || b === null ? null : Math.round(((b - a) / a) * 1000) / 1000)
console.log(
  JSON.stringify({
    blocks: r.blocks,
    txsPerBlock: Number(values.txs),
    referenceIsolated: r.isolated,
    pruned: r.pruned,
    mismatches: r.mismatches.length,
    workerFailures: r.workerFailures,
    at100MiB: { rss: mib(from.rss), anon: mib(from.anon), file: mib(from.file) },
    atEndMiB: { rss: mib(to.rss), anon: mib(to.anon), file: mib(to.file) },
    growth: { rss: growth(from.rss, to.rss), anon: growth(from.anon, to.anon), file: growth(from.file, to.file) },
    parallelMs: Math.round(r.parallelMs),
    runBlockMs: Math.round(r.runBlockMs),
    loadavg: loadavg(),
  }),
)
