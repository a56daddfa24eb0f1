/**
 * The summary at the top of the report: one row per workload class (independent, partially
 * dependent, fully dependent generated blocks; the mainnet fixtures; the latency model by
 * class), with the static-batch design's claim, the bound, and each engine's measured
 * speedup (median over the class's blocks, with min and max) at the largest local thread
 * count. Pure: computed from the rows, so a test can recompute it.
 */
import { CLASS_NAMES, type LatencyRow, type MergedRow, type ReportData, type ReportRow, type SummaryCell, type SummaryRow, type WorkloadClass } from './types.js'
import { SEED_CLAIMS } from './grid.js'

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const r3 = (x: number) => Math.round(x * 1000) / 1000

function cells(rows: Array<{ label: string; threads: number; speedup: number; block: string }>, labels: string[], threads: number): SummaryCell[] {
  const out: SummaryCell[] = []
  for (const label of labels) {
    const xs = rows.filter((r) => r.label === label && r.threads === threads).map((r) => r.speedup)
    if (xs.length === 0) continue
    out.push({ engine: label, threads, median: r3(median(xs)), min: r3(Math.min(...xs)), max: r3(Math.max(...xs)), blocks: xs.length })
  }
  return out
}

function best(cs: SummaryCell[]): string {
  if (cs.length === 0) return ''
  const top = [...cs].sort((a, b) => b.median - a.median)[0]!
  return `${top.engine} ${top.median.toFixed(2)}×`
}

function blockRow(key: string, title: string, claim: string, rows: ReportRow[], threads: number, note: string): SummaryRow | undefined {
  const byBlock = new Map<string, ReportRow>()
  for (const r of rows) if (!byBlock.has(r.block)) byBlock.set(r.block, r)
  if (byBlock.size === 0) return undefined
  const blocks = [...byBlock.values()]
  const labels = [...new Set(rows.filter((r) => r.engine !== 'sequential').map((r) => r.label))]
  const cs = cells(rows.filter((r) => r.engine !== 'sequential'), labels, threads)
  return {
    key,
    title,
    claim,
    blocks: blocks.length,
    medianTxs: median(blocks.map((b) => b.txs)),
    medianGas: median(blocks.map((b) => b.gasUsed)),
    parallelism: r3(median(blocks.map((b) => b.parallelism))),
    bound: r3(median(blocks.map((b) => Math.min(threads, b.parallelism)))),
    threads,
    cells: cs,
    best: best(cs),
    note,
    manyCore: '',
  }
}

/** The merged rows of these blocks at the file's largest thread count: `16 threads (machine): engine median×, …`. */
function manyCore(blocks: Set<string>, merged: MergedRow[]): string {
  const xs = merged.filter((r) => blocks.has(r.block) && Number.isFinite(r.speedup))
  if (xs.length === 0) return ''
  const t = Math.max(...xs.map((r) => r.threads))
  const at = xs.filter((r) => r.threads === t)
  const engines = [...new Set(at.map((r) => r.engine))]
  const parts = engines.map((e) => `${e} ${median(at.filter((r) => r.engine === e).map((r) => r.speedup)).toFixed(2)}×`)
  return `${t} threads (${at[0]!.machine}, ${new Set(at.map((r) => r.block)).size} of ${blocks.size} blocks): ${parts.join(', ')}`
}

function latencyRow(cls: WorkloadClass, rows: LatencyRow[]): SummaryRow | undefined {
  const xs = rows.filter((r) => r.class === cls)
  if (xs.length === 0) return undefined
  const threads = xs[0]!.threads
  const labelled = xs.map((r) => ({ label: r.label, threads: r.threads, speedup: r.speedup, block: `K${r.accounts}` }))
  const cs = cells(labelled, [...new Set(labelled.map((r) => r.label))], threads)
  const points = [...new Set(xs.map((r) => r.accounts))]
  const stm = xs.filter((r) => r.label.startsWith('blockstm'))
  const lanes = stm[0]?.lanes ?? 1
  return {
    key: `latency-${cls}`,
    title: `latency model, ${CLASS_NAMES[cls]} (K = ${points.join(', ')} accounts)`,
    claim: SEED_CLAIMS.latency!,
    blocks: points.length,
    medianTxs: median(xs.map((r) => r.txs)),
    medianGas: 0,
    parallelism: r3(median(xs.map((r) => r.parallelism))),
    bound: r3(median((stm.length > 0 ? stm : xs).map((r) => r.bound))),
    threads,
    cells: cs,
    best: best(cs),
    manyCore: '',
    note: `mock p2p transactions, ${xs[0]!.latencyUs} µs awaited per transaction, Block-STM ${threads} threads × ${lanes} lanes; bound = min(executions in flight, work / critical path); the planner runs one transaction per thread at a time (its own bound: min(${threads}, work / critical path))`,
  }
}

export function summarize(data: Pick<ReportData, 'rows' | 'latency'> & { merged?: MergedRow[] }): SummaryRow[] {
  const threads = Math.max(1, ...data.rows.map((r) => r.threads))
  const wl = data.rows.filter((r) => r.source === 'workload')
  const out: Array<SummaryRow | undefined> = []
  for (const cls of ['independent', 'partial', 'dependent'] as const) {
    const rs = wl.filter((r) => r.class === cls)
    const kinds = [...new Set(rs.map((r) => `${r.workload} a${r.accounts}`))]
    out.push(blockRow(cls, `${CLASS_NAMES[cls]} (${kinds.join(', ')})`, SEED_CLAIMS[cls]!, rs, threads, `bound = min(${threads} threads, total gas / critical-path gas)`))
  }
  out.push(blockRow('mainnet', 'mainnet fixtures', SEED_CLAIMS.mainnet!, data.rows.filter((r) => r.source === 'mainnet'), threads, 'real blocks with their pre-state'))
  for (const cls of ['independent', 'partial', 'dependent'] as const) out.push(latencyRow(cls, data.latency))
  const rows = out.filter((r): r is SummaryRow => r !== undefined)
  const merged = data.merged ?? []
  if (merged.length > 0) {
    for (const s of rows) {
      if (s.key.startsWith('latency')) continue
      const blocks = new Set(data.rows.filter((r) => (s.key === 'mainnet' ? r.source === 'mainnet' : r.source === 'workload' && r.class === s.key)).map((r) => r.block))
      s.manyCore = manyCore(blocks, merged)
    }
  }
  return rows
}
