/**
 * Writing a report: results.json, results.csv, the SVG charts, the timeline, index.html, and
 * a plain-text table for the terminal.
 *
 * index.html opens with the summary (one row per workload class: the static-batch design's
 * claim, the bound, each engine's measured speedup), then what is missing, then every chart
 * with its caption (blocks and gas, warm-up, machine, the command that regenerates it), then
 * every row with its command.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chartSpecs, renderChart } from './charts.js'
import { renderTimelineSVG } from './timeline.js'
import { CLASS_RULE } from './grid.js'
import type { ReportData, ReportRow, SummaryRow } from './types.js'

const COLUMNS: Array<keyof ReportRow> = [
  'source', 'workload', 'accounts', 'block', 'txs', 'gasUsed', 'class', 'parallelism', 'label', 'threads', 'medianMs', 'sequentialMs', 'speedup',
  'executionsPerTx', 'aborts', 'batches', 'maxBatch', 'mispredictions', 'reexecMs', 'planMs', 'cpCount', 'cpGas', 'totalGas', 'bound', 'boundRaw',
  'correct', 'checkedRuns', 'fallback', 'warmupRounds', 'timedRounds', 'command',
]

export function toCSV(rows: ReportRow[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n'
}

const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–')

/** The summary as plain text: one line per class. */
export function summaryTable(summary: SummaryRow[]): string {
  const engines = [...new Set(summary.flatMap((s) => s.cells.map((c) => c.engine)))]
  const head = ['class', 'claim', 'blocks', 'txs', 'bound', ...engines]
  const lines = summary.map((s) => [
    s.key,
    s.claim.length > 16 ? s.claim.slice(0, 15) + '…' : s.claim,
    String(s.blocks),
    String(Math.round(s.medianTxs)),
    fx(s.bound),
    ...engines.map((e) => {
      const c = s.cells.find((x) => x.engine === e)
      return c === undefined ? '' : fx(c.median)
    }),
  ])
  return table(head, lines, 2)
}

function table(head: string[], lines: string[][], left: number): string {
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)))
  const fmt = (l: string[]) => l.map((c, i) => (i < left ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')
  return [fmt(head), fmt(w.map((n) => '-'.repeat(n))), ...lines.map(fmt)].join('\n')
}

/** A fixed-width table: one line per block and engine (all threads). */
export function toTable(rows: ReportRow[]): string {
  const head = ['block', 'engine', 'thr', 'txs', 'ms', 'speedup', 'bound', 'exec/tx', 'batches', 'cp', 'mispred', 'reexec ms', 'ok']
  const lines = rows.map((r) => [
    r.block, r.label, String(r.threads), String(r.txs), r.medianMs.toFixed(1), r.speedup.toFixed(2), r.bound.toFixed(2), r.executionsPerTx.toFixed(2),
    r.batches === null ? '' : String(r.batches), String(r.cpCount), r.mispredictions === null ? '' : String(r.mispredictions),
    r.reexecMs === null ? '' : r.reexecMs.toFixed(1), r.correct ? 'yes' : 'NO',
  ])
  return table(head, lines, 2)
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
  const threads = Math.max(1, ...data.options.threads)
  const charts: string[] = []
  if (data.rows.length > 0 || data.latency.length > 0 || data.merged.length > 0) {
    for (const [name, spec] of Object.entries(chartSpecs(data.rows, threads, data.latency, data.merged))) {
      put(name, await renderChart(spec))
      charts.push(name)
    }
  }
  if (timeline !== undefined) {
    put('timeline.svg', renderTimelineSVG(timeline.events, { title: `Block-STM timeline: ${timeline.block}, ${timeline.engine}, ${timeline.threads} threads` }))
    put('timeline.json', JSON.stringify(timeline))
    charts.push('timeline.svg')
  }
  put('index.html', html(data, charts))
  return { dir, files }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** The machine and load in one line. */
export function machineLine(d: ReportData): string {
  const m = d.machine
  return `${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average ${m.loadStart.join(' ')} at the start, ${m.loadEnd.join(' ')} at the end`
}

function warmupLine(d: ReportData): string {
  return `${d.harness.warmup} warm-up round(s) then ${d.harness.rounds} timed round(s) per block, engines round-robin, median; ${d.harness.globalWarmup}`
}

function sizeLine(rows: ReportRow[]): string {
  const blocks = new Map<string, ReportRow>()
  for (const r of rows) blocks.set(r.block, r)
  if (blocks.size === 0) return ''
  const txs = [...blocks.values()].map((b) => b.txs)
  const gas = [...blocks.values()].map((b) => b.gasUsed / 1e6)
  return `${blocks.size} blocks of ${Math.min(...txs)}–${Math.max(...txs)} transactions, ${fx(Math.min(...gas), 1)}–${fx(Math.max(...gas), 1)}M gas`
}

function regenerate(d: ReportData, rows: ReportRow[], extra = ''): string {
  const kinds = [...new Set(rows.filter((r) => r.source === 'workload').map((r) => r.workload))]
  const accounts = [...new Set(rows.filter((r) => r.source === 'workload').map((r) => r.accounts))]
  const gas = [...new Set(rows.filter((r) => r.source === 'workload').map((r) => r.gasTarget))]
  const mainnet = [...new Set(rows.filter((r) => r.source === 'mainnet').map((r) => r.block))]
  const o = d.options
  const sel = [
    kinds.length > 0 ? `--kinds ${kinds.join(',')} --accounts ${accounts.join(',')} ${gas.every((g) => g > 0) ? `--gas ${gas.join(',')}` : `--txs ${rows[0]!.txs}`}` : '--kinds none',
    `--mainnet ${mainnet.length > 0 ? mainnet.join(',') : '0'}`,
    `--threads ${o.threads.join(',')} --schedulers ${o.schedulers.join(',')} --predictors ${o.predictors.join(',')}`,
  ]
  return `npx blockstm report ${sel.join(' ')} ${extra || '--latency none'} --out /tmp/r`
}

function caption(d: ReportData, chart: string): string {
  const wl = d.rows.filter((r) => r.source === 'workload')
  const mn = d.rows.filter((r) => r.source === 'mainnet')
  let rows = wl
  let what = ''
  let cmd = ''
  if (chart === 'mainnet-speedup.svg') rows = mn
  if (chart === 'latency-model.svg') {
    const l = d.latency[0]!
    what = `${new Set(d.latency.map((r) => r.accounts)).size} blocks of ${l.txs} mock p2p transactions, ${l.latencyUs} µs awaited per transaction, ${l.threads} threads`
    cmd = d.latency.map((r) => r.command).filter((c, i, a) => a.indexOf(c) === i).slice(0, 2).join(' ; ') + (d.latency.length > 2 ? ' ; …' : '')
  } else if (chart === 'merged-threads.svg') {
    what = `merged from ${[...new Set(d.merged.map((r) => `${r.file} (${r.machine})`))].join(', ')}`
    cmd = `npx blockstm report … ${d.options.merge.map((f) => `--merge ${f}`).join(' ')}`
  } else if (chart === 'timeline.svg' && d.timeline !== undefined) {
    rows = d.rows.filter((r) => r.block === d.timeline!.block)
  }
  if (what === '') what = sizeLine(rows)
  if (cmd === '' && rows.length > 0) cmd = regenerate(d, rows)
  return `<p class="cap">${esc(what)}. Warm-up: ${esc(warmupLine(d))}. Machine: ${esc(machineLine(d))}.${cmd ? ` Regenerate: <code>${esc(cmd)}</code>` : ''}</p>`
}

function summaryHTML(d: ReportData): string {
  const engines = [...new Set(d.summary.flatMap((s) => s.cells.map((c) => c.engine)))]
  const many = d.summary.some((s) => s.manyCore !== '')
  const head = `<tr><th>workload class</th><th>static-batch claim</th><th>blocks (median txs, gas)</th><th>work / critical path</th><th>bound</th>${engines.map((e) => `<th>${esc(e)}</th>`).join('')}<th>best</th>${many ? '<th>many-core (merged)</th>' : ''}</tr>`
  const body = d.summary
    .map((s) => {
      const cells = engines.map((e) => {
        const c = s.cells.find((x) => x.engine === e)
        if (c === undefined) return '<td class="na">–</td>'
        const top = s.best.startsWith(`${e} `)
        const range = c.blocks > 1 ? `<br><small>${fx(c.min)}–${fx(c.max)}</small>` : ''
        return `<td${top ? ' class="best"' : ''}>${fx(c.median)}×${range}</td>`
      })
      const size = s.medianGas > 0 ? `${s.blocks} (${Math.round(s.medianTxs)} txs, ${fx(s.medianGas / 1e6, 1)}M gas)` : `${s.blocks} (${Math.round(s.medianTxs)} txs)`
      return `<tr><td class="l" title="${esc(s.note)}">${esc(s.title)}</td><td>${esc(s.claim)}</td><td>${size}</td><td>${Number.isFinite(s.parallelism) ? fx(s.parallelism, 1) : '–'}</td><td>${fx(s.bound)}×</td>${cells.join('')}<td class="l">${esc(s.best)}</td>${many ? `<td class="l"><small>${esc(s.manyCore)}</small></td>` : ''}</tr>`
    })
    .join('\n')
  const threads = Math.max(1, ...d.options.threads)
  return `<table class="summary">${head}\n${body}</table>
<p class="cap">Speedup = sequential time / engine time on the same block in the same process (median over the class's blocks; small: min–max), at ${threads} threads; <b>bound</b> = min(threads, total gas / critical-path gas) of the block's exact conflict graph (for the latency model: min(executions in flight, work / critical path)). The static-batch claims are the seed design's published expectations for its planner (independent 10–100×, partially dependent 2–10×, fully dependent 1×). ${esc(CLASS_RULE)}. Machine: ${esc(machineLine(d))}. Warm-up: ${esc(warmupLine(d))}.</p>`
}

function html(data: ReportData, charts: string[]): string {
  const wrong = data.rows.filter((r) => !r.correct).length + data.latency.filter((r) => !r.correct).length
  const checked = data.rows.reduce((a, r) => a + r.checkedRuns, 0) + data.latency.reduce((a, r) => a + r.checkedRuns, 0)
  const blocks = new Set(data.rows.filter((r) => r.source === 'workload').map((r) => r.block))
  const txs = [...blocks].map((b) => data.rows.find((r) => r.block === b)!.txs).sort((a, b) => a - b)
  const medTxs = txs.length > 0 ? txs[txs.length >> 1] : 0
  const rows = data.rows
    .map(
      (r) =>
        `<tr><td class="l">${esc(r.block)}</td><td>${r.txs}</td><td>${fx(r.gasUsed / 1e6, 1)}M</td><td class="l">${esc(r.class)}</td><td class="l">${esc(r.label)}</td><td>${r.threads}</td><td>${r.medianMs}</td><td>${r.speedup}</td><td>${r.bound}</td><td>${r.executionsPerTx}</td><td>${r.batches ?? ''}</td><td>${r.cpCount}</td><td>${r.mispredictions ?? ''}</td><td>${r.reexecMs ?? ''}</td><td>${r.correct ? `yes (${r.checkedRuns})` : '<b>NO</b>'}</td><td class="l">${esc(r.fallback ?? '')}</td><td class="l"><code>${esc(r.command)}</code></td></tr>`,
    )
    .join('\n')
  const lat = data.latency
    .map((r) => `<tr><td>${r.accounts}</td><td>${r.latencyUs}</td><td>${r.txs}</td><td>${r.criticalPath}</td><td class="l">${esc(r.label)}</td><td>${r.threads}×${r.lanes}</td><td>${r.sequentialMs}</td><td>${r.ms}</td><td>${r.speedup}</td><td>${r.bound}</td><td>${r.executionsPerTx}</td><td>${r.correct ? `yes (${r.checkedRuns})` : '<b>NO</b>'}</td><td class="l"><code>${esc(r.command)}</code></td></tr>`)
    .join('\n')
  const merged = data.merged
    .map((r) => `<tr><td class="l">${esc(r.machine)}</td><td class="l">${esc(r.block)}</td><td>${r.txs ?? ''}</td><td class="l">${esc(r.engine)}</td><td>${r.threads}</td><td>${fx(r.speedup)}</td><td>${r.executionsPerTx ?? ''}</td><td>${r.correct === null ? '' : r.correct ? 'yes' : '<b>NO</b>'}</td></tr>`)
    .join('\n')
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>blockstm-evm: Block-STM vs the static-batch planner</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1500px;color:#222}table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top}td.l{text-align:left}th{background:#f3f3f3;text-align:center}
table.summary{font-size:14px}table.summary td{padding:4px 8px}td.best{background:#dff0d8;font-weight:bold}td.na{color:#aaa;text-align:center}.cap{font-size:12px;color:#555;max-width:1400px}code{font-size:11px}img{max-width:100%;border:1px solid #eee;margin:8px 0}.missing{background:#fff3cd;padding:6px 10px;border:1px solid #e0c97f}</style>
</head><body>
<h1>Block-STM vs the static-batch planner on blocks of mainnet size</h1>
<p><b>Summary</b>: speedup over sequential execution at ${Math.max(1, ...data.options.threads)} threads per workload class, against the static-batch design's claim and the bound of each class (green: the best engine of the row).</p>
${summaryHTML(data)}
${data.missing.length > 0 ? `<div class="missing"><b>Missing from this run:</b><ul>${data.missing.map((m) => `<li>${esc(m)}</li>`).join('')}</ul></div>` : ''}
<p>Generated ${esc(data.generatedAt)} by <code>${esc(data.command || 'blockstm report')}</code> (profile ${esc(data.profile)}) in ${data.wallSeconds} s.
Every engine runs through the EVM binding as users and <code>blockstm bench</code> run it (<code>createEvmExecutor(…).executeBlock</code>: shared sender table, sender hints, chain fallback, lanes; the timed span is the whole call): sequential, Block-STM with scheduler ${esc(data.options.schedulers.join(' and '))}, the static-batch planner with predictor ${esc(data.options.predictors.join(', '))} (<code>oracle</code>: the exact access sets of a recording run, made once per block in the warm-up and then given, as a block access list would come with the block); threads ${data.options.threads.join(', ')}.
Generated blocks: median ${medTxs} transactions. ${wrong === 0 ? `Every engine produced exactly the sequential result in every run (${checked} runs compared).` : `<b>${wrong} rows differ from sequential.</b>`}</p>
${charts.map((c) => `<h2>${esc(c.replace(/\.svg$/, ''))}</h2><img src="${esc(c)}" alt="${esc(c)}">${caption(data, c)}`).join('\n')}
${lat ? `<h2>Latency model</h2><table><tr><th>K accounts</th><th>µs awaited</th><th>txs</th><th>critical path</th><th>engine</th><th>threads×lanes</th><th>sequential ms</th><th>engine ms</th><th>speedup</th><th>bound</th><th>exec/tx</th><th>correct (runs)</th><th>regenerate</th></tr>\n${lat}</table>` : ''}
${merged ? `<h2>Merged runs of other machines</h2><table><tr><th>machine</th><th>block</th><th>txs</th><th>engine</th><th>threads</th><th>speedup</th><th>exec/tx</th><th>identical</th></tr>\n${merged}</table>` : ''}
<h2>All results</h2><p><a href="results.csv">results.csv</a> · <a href="results.json">results.json</a></p>
<table><tr><th>block</th><th>txs</th><th>gas</th><th>class</th><th>engine</th><th>threads</th><th>ms</th><th>speedup</th><th>bound</th><th>exec/tx</th><th>batches</th><th>critical path</th><th>mispredictions</th><th>re-exec ms</th><th>correct (runs)</th><th>fallback</th><th>regenerate</th></tr>
${rows}
</table></body></html>
`
}
