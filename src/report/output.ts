/**
 * Writing a report: results.json, results.csv, the SVG charts, the timeline, index.html, and
 * a plain-text table for the terminal.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chartSpecs, renderChart } from './charts.js'
import { renderTimelineSVG } from './timeline.js'
import type { ReportData, ReportRow } from './run.js'

const COLUMNS: Array<keyof ReportRow> = [
  'source', 'workload', 'accounts', 'block', 'txs', 'label', 'threads', 'medianMs', 'speedup', 'executionsPerTx', 'aborts',
  'batches', 'maxBatch', 'mispredictions', 'reexecMs', 'planMs', 'cpCount', 'cpGas', 'totalGas', 'bound', 'boundRaw', 'correct', 'fallback',
]

export function toCSV(rows: ReportRow[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n'
}

/** A fixed-width table: one line per block and engine (all threads). */
export function toTable(rows: ReportRow[]): string {
  const head = ['block', 'engine', 'thr', 'ms', 'speedup', 'bound', 'exec/tx', 'batches', 'cp', 'mispred', 'reexec ms', 'ok']
  const lines = rows.map((r) => [
    r.block, r.label, String(r.threads), r.medianMs.toFixed(1), r.speedup.toFixed(2), r.bound.toFixed(2), r.executionsPerTx.toFixed(2),
    r.batches === null ? '' : String(r.batches), String(r.cpCount), r.mispredictions === null ? '' : String(r.mispredictions),
    r.reexecMs === null ? '' : r.reexecMs.toFixed(1), r.correct ? 'yes' : 'NO',
  ])
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (l: string[]) => l.map((c, i) => (i < 2 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')
  return [fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...lines.map(fmt)].join('\n')
}

export interface WrittenReport {
  dir: string
  files: string[]
}

export async function writeReport(data: ReportData, dir: string): Promise<WrittenReport> {
  mkdirSync(dir, { recursive: true })
  const files: string[] = []
  const put = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    files.push(name)
  }
  const { timeline, ...rest } = data
  put('results.json', JSON.stringify(rest, null, 1))
  put('results.csv', toCSV(data.rows))
  const threads = Math.max(...data.options.threads)
  const charts: string[] = []
  for (const [name, spec] of Object.entries(chartSpecs(data.rows, threads))) {
    put(name, await renderChart(spec))
    charts.push(name)
  }
  if (timeline !== undefined) {
    put('timeline.svg', renderTimelineSVG(timeline.events, { title: `Block-STM timeline: ${timeline.block}, ${timeline.threads} threads` }))
    put('timeline.json', JSON.stringify(timeline))
    charts.push('timeline.svg')
  }
  put('index.html', html(data, charts))
  return { dir, files }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function html(data: ReportData, charts: string[]): string {
  const wrong = data.rows.filter((r) => !r.correct)
  const rows = data.rows
    .map((r) => `<tr><td>${esc(r.block)}</td><td>${esc(r.label)}</td><td>${r.threads}</td><td>${r.medianMs}</td><td>${r.speedup}</td><td>${r.bound}</td><td>${r.executionsPerTx}</td><td>${r.batches ?? ''}</td><td>${r.cpCount}</td><td>${r.mispredictions ?? ''}</td><td>${r.reexecMs ?? ''}</td><td>${r.correct ? 'yes' : '<b>NO</b>'}</td></tr>`)
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>blockstm-evm: static-batch planner vs Block-STM</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1500px}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+2){text-align:left}img{max-width:100%;border:1px solid #eee;margin:8px 0}</style>
</head><body>
<h1>Static-batch planner vs Block-STM</h1>
<p>Generated ${esc(data.generatedAt)} by <code>${esc(data.command || 'blockstm report')}</code> in ${data.wallSeconds} s on ${data.machine.cpus} CPUs (Node ${esc(data.machine.node)}).
Workloads: ${esc(data.options.kinds.join(', '))}, ${data.options.txs} transactions, contention levels ${data.options.accounts.join(', ')}; threads ${data.options.threads.join(', ')}.
Engine-level timings (the same job for every engine), median of round-robin rounds; speedup = sequential / engine.
<b>bound</b> = min(threads, total gas / critical-path gas) of the exact (oracle) conflict graph under the static-batch rule.
${wrong.length === 0 ? 'Every engine produced exactly the sequential result on every block.' : `<b>${wrong.length} runs differ from sequential.</b>`}</p>
${charts.map((c) => `<h2>${esc(c.replace(/\.svg$/, ''))}</h2><img src="${esc(c)}" alt="${esc(c)}">`).join('\n')}
<h2>All results</h2><p><a href="results.csv">results.csv</a> · <a href="results.json">results.json</a></p>
<table><tr><th>block</th><th>engine</th><th>threads</th><th>ms</th><th>speedup</th><th>bound</th><th>exec/tx</th><th>batches</th><th>critical path</th><th>mispredictions</th><th>re-exec ms</th><th>correct</th></tr>
${rows}
</table></body></html>
`
}
