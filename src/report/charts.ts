/**
 * Headless SVG charts of the report: vega-lite specs compiled to vega, rendered by a vega
 * `View` with `renderer: 'none'` (`toSVG()`), no browser or canvas needed.
 */
import type * as Vega from 'vega'
import type * as VegaLite from 'vega-lite'
import type { TopLevelSpec } from 'vega-lite'
import { importOptional } from '../util/optional.js'
import type { LatencyRow, MergedRow, ReportRow } from './types.js'

let libs: Promise<[typeof Vega, typeof VegaLite]> | undefined

/** vega and vega-lite, optional peers loaded on first use. */
function loadVega(): Promise<[typeof Vega, typeof VegaLite]> {
  libs ??= Promise.all([
    importOptional<typeof Vega>('vega', "the report's charts", ['vega-lite']),
    importOptional<typeof VegaLite>('vega-lite', "the report's charts", ['vega']),
  ])
  return libs
}

export async function renderChart(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await loadVega()
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  const svg = await view.toSVG()
  view.finalize()
  return svg
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', config: { font: 'sans-serif' } } as const

/** The charts of a report: file name → spec. */
export function chartSpecs(rows: ReportRow[], threads: number, latency: LatencyRow[] = [], merged: MergedRow[] = []): Record<string, TopLevelSpec> {
  // The contention charts show the blocks of the smallest gas target (30M in the default run);
  // larger blocks of the same workload are in block-size.svg.
  const gas0 = Math.min(...rows.filter((r) => r.source === 'workload').map((r) => r.gasTarget))
  const wl = rows.filter((r) => r.source === 'workload' && r.gasTarget === gas0)
  const par = wl.filter((r) => r.engine !== 'sequential')
  const atT = par.filter((r) => r.threads === threads)
  const planner = atT.filter((r) => r.engine === 'static-batch')
  const mainnet = rows.filter((r) => r.source === 'mainnet' && r.engine !== 'sequential' && r.threads === threads)
  const bounds = dedupe(atT, (r) => r.block).map((r) => ({ workload: r.workload, accounts: r.accounts, label: `bound (all)`, speedup: r.bound }))
  const boundsRaw = dedupe(atT, (r) => r.block).map((r) => ({ workload: r.workload, accounts: r.accounts, label: `bound (raw)`, speedup: r.boundRaw }))
  const specs: Record<string, TopLevelSpec> = {
    'speedup-vs-contention.svg': {
      ...base,
      title: `Speedup over sequential vs contention (${threads} threads; dashed: min(threads, work/critical path) from the oracle)`,
      data: { values: [...atT.map((r) => ({ workload: r.workload, accounts: r.accounts, label: r.label, speedup: r.speedup })), ...bounds, ...boundsRaw] },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 170,
        height: 200,
        layer: [
          {
            mark: { type: 'line', point: true },
            transform: [{ filter: "indexof(datum.label, 'bound') < 0" }],
            encoding: {
              x: { field: 'accounts', type: 'quantitative', scale: { type: 'log' }, title: 'accounts / pools / contracts' },
              y: { field: 'speedup', type: 'quantitative', title: 'speedup ×' },
              color: { field: 'label', type: 'nominal', title: 'engine' },
            },
          },
          {
            mark: { type: 'line', strokeDash: [4, 3], color: '#888' },
            transform: [{ filter: "indexof(datum.label, 'bound') >= 0" }],
            encoding: {
              x: { field: 'accounts', type: 'quantitative', scale: { type: 'log' } },
              y: { field: 'speedup', type: 'quantitative' },
              detail: { field: 'label', type: 'nominal' },
              opacity: { condition: { test: "datum.label == 'bound (raw)'", value: 0.5 }, value: 1 },
            },
          },
        ],
      },
      resolve: { scale: { y: 'shared' } },
    } as TopLevelSpec,
    'speedup-threads1.svg': {
      ...base,
      title: 'Speedup over sequential vs contention, 1 thread (overhead of each engine)',
      data: { values: par.filter((r) => r.threads === 1).map((r) => ({ workload: r.workload, accounts: r.accounts, label: r.label, speedup: r.speedup })) },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 170,
        height: 180,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'accounts', type: 'quantitative', scale: { type: 'log' }, title: 'contention level' },
          y: { field: 'speedup', type: 'quantitative', title: 'speedup ×' },
          color: { field: 'label', type: 'nominal', title: 'engine' },
        },
      },
    } as TopLevelSpec,
    'executions-per-tx.svg': {
      ...base,
      title: `Executions per transaction (${threads} threads): aborts (Block-STM) and mispredictions (static-batch)`,
      data: { values: atT.map((r) => ({ workload: r.workload, accounts: String(r.accounts), label: r.label, executionsPerTx: r.executionsPerTx })) },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 170,
        height: 180,
        mark: 'bar',
        encoding: {
          x: { field: 'accounts', type: 'ordinal', sort: null, title: 'contention level' },
          xOffset: { field: 'label' },
          y: { field: 'executionsPerTx', type: 'quantitative', title: 'executions / tx', scale: { zero: false, domainMin: 1 } },
          color: { field: 'label', type: 'nominal', title: 'engine' },
        },
      },
    } as TopLevelSpec,
    'batches-vs-critical-path.svg': {
      ...base,
      title: 'Batches per predictor vs the true critical path (oracle, by count); y = x dashed',
      data: { values: dedupe(planner, (r) => `${r.block}|${r.predictor}`).map((r) => ({ block: r.block, workload: r.workload, predictor: r.predictor, batches: r.batches, cp: r.cpCount })) },
      layer: [
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: {
            x: { field: 'cp', type: 'quantitative', scale: { type: 'symlog' }, title: 'critical path (transactions)' },
            y: { field: 'batches', type: 'quantitative', scale: { type: 'symlog' }, title: 'batches' },
            color: { field: 'predictor', type: 'nominal' },
            shape: { field: 'workload', type: 'nominal' },
            tooltip: [{ field: 'block' }, { field: 'predictor' }, { field: 'batches' }, { field: 'cp' }],
          },
        },
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#888' },
          data: { values: [{ a: 1, b: Math.max(1, ...planner.map((r) => r.batches ?? 1)) }] },
          encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'a', type: 'quantitative' }, x2: { field: 'b' }, y2: { field: 'b' } },
        },
      ],
      width: 420,
      height: 320,
    } as TopLevelSpec,
    'mispredictions.svg': {
      ...base,
      title: `Mispredicted transactions (re-executed serially) per predictor (${threads} threads)`,
      data: { values: planner.map((r) => ({ workload: r.workload, accounts: String(r.accounts), predictor: r.predictor, mispredictions: r.mispredictions, reexecMs: r.reexecMs })) },
      facet: { column: { field: 'workload', type: 'nominal', title: null } },
      spec: {
        width: 170,
        height: 160,
        mark: 'bar',
        encoding: {
          x: { field: 'accounts', type: 'ordinal', sort: null, title: 'contention level' },
          xOffset: { field: 'predictor' },
          y: { field: 'mispredictions', type: 'quantitative' },
          color: { field: 'predictor', type: 'nominal' },
          tooltip: [{ field: 'mispredictions' }, { field: 'reexecMs', title: 'serial re-execution ms' }],
        },
      },
    } as TopLevelSpec,
  }
  const sizes = [...new Set(rows.filter((r) => r.source === 'workload').map((r) => r.gasTarget))]
  if (sizes.length > 1) {
    const kinds = new Set(rows.filter((r) => r.source === 'workload' && r.gasTarget !== gas0).map((r) => `${r.workload}-a${r.accounts}`))
    const pts = rows.filter((r) => r.source === 'workload' && r.engine !== 'sequential' && r.threads === threads && kinds.has(`${r.workload}-a${r.accounts}`))
    specs['block-size.svg'] = {
      ...base,
      title: `Speedup by block size (${threads} threads)`,
      data: { values: pts.map((r) => ({ block: `${r.workload} a${r.accounts}`, size: `${(r.gasUsed / 1e6).toFixed(0)}M gas, ${r.txs} txs`, gas: r.gasTarget, label: r.label, speedup: r.speedup })) },
      facet: { column: { field: 'block', type: 'nominal', title: null } },
      spec: {
        width: 220,
        height: 200,
        mark: 'bar',
        encoding: {
          x: { field: 'gas', type: 'ordinal', title: 'block gas (target)' },
          xOffset: { field: 'label' },
          y: { field: 'speedup', type: 'quantitative', title: 'speedup ×' },
          color: { field: 'label', type: 'nominal', title: 'engine' },
          tooltip: [{ field: 'size' }, { field: 'label' }, { field: 'speedup' }],
        },
      },
    } as TopLevelSpec
  }
  if (latency.length > 0) {
    const pts = [
      ...latency.map((r) => ({ accounts: r.accounts, label: r.label, speedup: r.speedup })),
      ...dedupe(latency, (r) => `${r.accounts}|${r.inFlight}`).map((r) => ({ accounts: r.accounts, label: `bound (${r.inFlight} in flight)`, speedup: r.bound })),
    ]
    specs['latency-model.svg'] = {
      ...base,
      title: `Latency model: speedup vs contention (${latency[0]!.latencyUs} µs awaited per transaction, ${latency[0]!.threads} threads, ${latency[0]!.txs} txs; dashed: bounds)`,
      data: { values: pts },
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'accounts', type: 'quantitative', scale: { type: 'log' }, title: 'accounts K (p2p)' },
        y: { field: 'speedup', type: 'quantitative', scale: { type: 'log' }, title: 'speedup × (log)' },
        color: { field: 'label', type: 'nominal', title: null },
        strokeDash: { condition: { test: "indexof(datum.label, 'bound') == 0", value: [4, 3] }, value: [1, 0] },
      },
      width: 420,
      height: 260,
    } as TopLevelSpec
  }
  if (merged.length > 0) {
    specs['merged-threads.svg'] = {
      ...base,
      title: 'Merged runs of other machines: speedup vs threads',
      data: { values: merged.map((r) => ({ block: r.block, engine: r.engine, threads: r.threads, speedup: r.speedup, machine: r.machine })) },
      facet: { column: { field: 'block', type: 'nominal', title: null } },
      spec: {
        width: 200,
        height: 200,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'threads', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'threads' },
          y: { field: 'speedup', type: 'quantitative', title: 'speedup ×' },
          color: { field: 'engine', type: 'nominal' },
          tooltip: [{ field: 'machine' }, { field: 'engine' }, { field: 'threads' }, { field: 'speedup' }],
        },
      },
    } as TopLevelSpec
  }
  if (mainnet.length > 0) {
    specs['mainnet-speedup.svg'] = {
      ...base,
      title: `Mainnet fixtures: speedup over sequential (${threads} threads); tick: bound (all)`,
      data: { values: mainnet.map((r) => ({ block: r.block, label: r.label, speedup: r.speedup, bound: r.bound })) },
      layer: [
        { mark: 'bar', encoding: { x: { field: 'block', type: 'nominal' }, xOffset: { field: 'label' }, y: { field: 'speedup', type: 'quantitative', title: 'speedup ×' }, color: { field: 'label', type: 'nominal', title: 'engine' } } },
        { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x: { field: 'block', type: 'nominal' }, y: { field: 'bound', type: 'quantitative' } } },
      ],
      width: 560,
      height: 240,
    } as TopLevelSpec
  }
  return specs
}

function dedupe<T>(xs: T[], key: (x: T) => string): T[] {
  const seen = new Set<string>()
  return xs.filter((x) => (seen.has(key(x)) ? false : (seen.add(key(x)), true)))
}
