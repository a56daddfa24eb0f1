/**
 * SVG timeline of one block's Block-STM execution (the `trace` of
 * `BlockSTMExecutor.execute({ ...job, trace: true })`): one row per worker lane, one bar per
 * task (execution: full height; validation: lower half), coloured by outcome; a suspended
 * execution ends in a marker and a dashed arrow to the end of the blocker's execution that
 * released it. Self-contained SVG (no scripts), with a legend and a time axis in ms.
 */
import { writeFileSync } from 'node:fs'
import type { TraceEvent } from '../executor/executor.js'

export interface TimelineOptions {
  title?: string
  /** Width of the plotting area in px (default 1100). */
  width?: number
}

export const OUTCOME_COLORS: Record<TraceEvent['outcome'], string> = {
  recorded: '#4c78a8',
  suspended: '#f58518',
  valid: '#54a24b',
  aborted: '#e45756',
  stale: '#b279a2',
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function renderTimelineSVG(events: readonly TraceEvent[], opts: TimelineOptions = {}): string {
  const width = opts.width ?? 1100
  const left = 90
  const top = 40
  const rowH = 34
  const lanes = [...new Set(events.map((e) => `${e.thread}.${e.lane}`))].sort((a, b) => {
    const [ta, la] = a.split('.').map(Number)
    const [tb, lb] = b.split('.').map(Number)
    return ta! - tb! || la! - lb!
  })
  const rowOf = new Map(lanes.map((l, i) => [l, i]))
  const t0 = events.length ? Math.min(...events.map((e) => e.start)) : 0
  const t1 = events.length ? Math.max(...events.map((e) => e.end)) : 1
  const span = Math.max(t1 - t0, 1e-3)
  const x = (t: number) => left + ((t - t0) / span) * width
  const height = top + lanes.length * rowH + 70
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 20}" height="${height}" viewBox="0 0 ${left + width + 20} ${height}" font-family="sans-serif" font-size="10">`)
  out.push(`<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#333"/></marker></defs>`)
  out.push(`<rect width="100%" height="100%" fill="white"/>`)
  const execs = events.filter((e) => e.kind === 'execute').length
  const title = opts.title ?? 'Block-STM timeline'
  out.push(`<text x="${left}" y="16" font-size="13" font-weight="bold">${esc(title)}</text>`)
  out.push(`<text x="${left}" y="30" fill="#555">${events.length} tasks (${execs} executions), ${span.toFixed(1)} ms; execution = full bar, validation = lower half; dashed arrow: suspended on a blocker until its execution ended</text>`)
  lanes.forEach((l, i) => {
    const y = top + i * rowH
    out.push(`<rect x="${left}" y="${y}" width="${width}" height="${rowH - 4}" fill="${i % 2 ? '#f7f7f7' : '#efefef'}"/>`)
    const [t, ln] = l.split('.')
    out.push(`<text x="${left - 6}" y="${y + rowH / 2}" text-anchor="end">${t === '-1' ? 'caller (serial)' : `thread ${t} lane ${ln}`}</text>`)
  })
  for (const e of events) {
    const row = rowOf.get(`${e.thread}.${e.lane}`)!
    const y = top + row * rowH
    const xs = x(e.start)
    const w = Math.max(0.6, x(e.end) - xs)
    const h = rowH - 4
    const [by, bh] = e.kind === 'execute' ? [y + 1, h - 2] : [y + h / 2 + 1, h / 2 - 2]
    const what = e.lastTx !== undefined ? `sequential tail tx ${e.tx}..${e.lastTx}` : `${e.kind} tx ${e.tx} inc ${e.incarnation}: ${e.outcome}`
    const tip = `${what}${e.blocker !== undefined ? ` on tx ${e.blocker}` : ''} (${(e.end - e.start).toFixed(3)} ms)`
    out.push(`<rect x="${xs.toFixed(2)}" y="${by}" width="${w.toFixed(2)}" height="${bh}" fill="${OUTCOME_COLORS[e.outcome]}" stroke="white" stroke-width="0.3"><title>${esc(tip)}</title></rect>`)
    if (e.kind === 'execute' && w > 14) out.push(`<text x="${(xs + w / 2).toFixed(2)}" y="${by + bh / 2 + 3}" text-anchor="middle" fill="white" font-size="8">${e.tx}</text>`)
  }
  // Waits on a blocker: from the suspension to the end of the blocker's execution that released it.
  for (const e of events) {
    if (e.outcome !== 'suspended' || e.blocker === undefined) continue
    const rel = events.filter((f) => f.kind === 'execute' && f.tx === e.blocker && f.outcome === 'recorded' && f.end >= e.end).sort((a, b) => a.end - b.end)[0]
    const y1 = top + rowOf.get(`${e.thread}.${e.lane}`)! * rowH + 4
    const xs = x(e.end)
    out.push(`<path d="M${xs.toFixed(2)},${y1 - 4}l-3,-5h6z" fill="#d62728"/>`)
    if (rel !== undefined) {
      const y2 = top + rowOf.get(`${rel.thread}.${rel.lane}`)! * rowH + 4
      const x2 = x(rel.end)
      out.push(`<path d="M${xs.toFixed(2)},${y1}C${((xs + x2) / 2).toFixed(2)},${y1 - 14} ${((xs + x2) / 2).toFixed(2)},${y2 - 14} ${x2.toFixed(2)},${y2}" fill="none" stroke="#333" stroke-width="0.7" stroke-dasharray="2,2" marker-end="url(#arr)"/>`)
    }
  }
  // Axis.
  const ay = top + lanes.length * rowH + 4
  out.push(`<line x1="${left}" y1="${ay}" x2="${left + width}" y2="${ay}" stroke="#333"/>`)
  const step = niceStep(span / 10)
  for (let t = 0; t <= span + 1e-9; t += step) {
    const xt = x(t0 + t)
    out.push(`<line x1="${xt.toFixed(2)}" y1="${ay}" x2="${xt.toFixed(2)}" y2="${ay + 4}" stroke="#333"/><text x="${xt.toFixed(2)}" y="${ay + 15}" text-anchor="middle">${+t.toFixed(3)} ms</text>`)
  }
  let lx = left
  const ly = ay + 34
  for (const [k, c] of Object.entries(OUTCOME_COLORS)) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="10" fill="${c}"/><text x="${lx + 16}" y="${ly}">${k}</text>`)
    lx += 90
  }
  out.push('</svg>')
  return out.join('\n')
}

function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw))
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p
  return 10 * p
}

/** Writes the timeline SVG of `events` to `file` (for `blockstm block <dir> --timeline FILE.svg`). */
export function writeTimelineSVG(file: string, events: readonly TraceEvent[], opts: TimelineOptions = {}): void {
  writeFileSync(file, renderTimelineSVG(events, opts))
}
