/**
 * The report on a small configuration: results.json has a row for every block × engine ×
 * thread count, every row was checked against sequential in every run and is correct, the
 * summary has one row per class present with the static-batch claim and a cell per engine
 * that matches the rows, every row carries the command that regenerates it, the charts are
 * valid SVG, index.html opens with the summary table; merging another machine's JSON adds
 * its rows. The command line refuses bad options with one line and exit status 2. The per-run
 * check (`describeDifference`, shared with bench) flags a result that differs from sequential.
 */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runReport } from '../src/report/run.js'
import { writeReport } from '../src/report/output.js'
import { median, summarize } from '../src/report/summary.js'
import { parseMerged, MergeInputError } from '../src/report/merge.js'
import { renderTimelineSVG } from '../src/report/timeline.js'
import { SCHEDULERS_AVAILABLE } from '../src/report/run.js'
import type { ReportData, ReportRow } from '../src/report/types.js'
import { describeDifference } from '../src/bench/evmEngines.js'
import type { EvmBlockResult } from '../src/evm/index.js'

function checkSvg(text: string, name: string): void {
  expect(text.trimStart().startsWith('<svg'), `${name} starts with <svg`).toBe(true)
  expect(text.trimEnd().endsWith('</svg>'), `${name} ends with </svg>`).toBe(true)
  expect(text).toContain('xmlns="http://www.w3.org/2000/svg"')
  const open = (text.match(/<([a-zA-Z]+)(\s[^>]*)?(?<!\/)>/g) ?? []).length
  const close = (text.match(/<\/[a-zA-Z]+>/g) ?? []).length
  expect(open, `${name}: open vs close tags`).toBe(close)
}

const root = join(import.meta.dirname, '..')

function cli(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'blockstm.js'), 'report', ...args], { encoding: 'utf8', cwd: root })
  return { status: r.status, stderr: r.stderr }
}

describe('blockstm report (small configuration)', () => {
  it('writes results.json with every engine row checked, the summary per class, charts and index.html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blockstm-report-'))
    // A thread sweep of another run to merge: real output of `blockstm bench --workload erc20
    // --accounts 10000 --txs 24 --threads 1,2,4 --engines sequential,blockstm --json` (captured
    // on the 2-core development machine, so its 4 threads share 2 cores: a file of the format a
    // many-core machine writes, not a many-core figure).
    const many = join(import.meta.dirname, 'fixtures/report/bench-threads-1-2-4.json')
    const sweep = JSON.parse(readFileSync(many, 'utf8')) as { machine: string; byThreads: Record<string, { blockstm: { speedup: number } }> }
    const data = await runReport({
      blocks: [
        { kind: 'raw', accounts: 1, gas: 0, txs: 24 },
        { kind: 'erc20', accounts: 10_000, gas: 0, txs: 24 },
        { kind: 'raw', accounts: 10, gas: 0, txs: 24 },
      ],
      threads: [1, 2],
      predictors: ['address', 'oracle'],
      schedulers: ['v1', 'v2'],
      mainnet: 0,
      latency: [2, 1000].map((accounts) => ({ accounts, latencyUs: 200, lanes: 4, threads: 2, txs: 24 })),
      merge: [many],
      harness: { warmup: 1, rounds: 1 },
      timelineBlock: 'raw-a10',
    })
    data.command = 'test'
    const w = await writeReport(data, dir)
    for (const f of ['results.json', 'results.csv', 'index.html', 'timeline.svg', 'speedup-vs-contention.svg', 'executions-per-tx.svg', 'merged-threads.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true)
    }
    for (const f of w.files.filter((f) => f.endsWith('.svg'))) checkSvg(readFileSync(join(dir, f), 'utf8'), f)

    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ReportData
    const schedulers = SCHEDULERS_AVAILABLE.filter((s) => s === 'v1' || s === 'v2')
    const labels = ['sequential@1', ...[1, 2].flatMap((t) => [...schedulers.map((s) => `blockstm-${s}`), 'static-batch/address', 'static-batch/oracle'].map((l) => `${l}@${t}`))]
    const blocks = [...new Set(json.rows.map((r) => r.block))]
    expect(blocks.length).toBe(3)
    for (const b of blocks) {
      const got = json.rows.filter((r) => r.block === b).map((r) => `${r.label}@${r.threads}`).sort()
      expect(got, b).toEqual([...labels].sort())
    }
    // Every row: correct in every run (warm-up 1 + timed 1 = 2), a regenerating command, consistent figures.
    for (const r of json.rows) {
      expect(r.correct, `${r.block} ${r.label}@${r.threads}`).toBe(true)
      expect(r.checkedRuns).toBe(2)
      expect(r.command).toMatch(/^npx blockstm report .*--kinds (raw|erc20) --accounts \d+ --txs 24 .*--threads 1,2/)
      expect(r.speedup).toBeCloseTo(r.sequentialMs / r.medianMs, 1)
      expect(r.bound).toBeLessThanOrEqual(r.threads)
      expect(r.executions).toBeGreaterThanOrEqual(r.txs)
    }
    // Classes follow the exact conflict graph: raw a1 is one chain, erc20 a10000 has none.
    const byBlock = (name: string) => json.rows.find((r) => r.block.startsWith(name)) as ReportRow
    expect(byBlock('raw-t24-a1-').class).toBe('dependent')
    expect(byBlock('raw-t24-a1-').cpCount).toBe(24)
    expect(byBlock('erc20-t24-a10000-').class).toBe('independent')
    expect(byBlock('raw-t24-a10-').class).toBe('partial')

    // The summary: one row per class, the seed's claim, cells recomputable from the rows.
    expect(json.summary.map((s) => s.key).sort()).toEqual(['dependent', 'independent', 'latency-dependent', 'latency-independent', 'partial'])
    expect(json.summary).toEqual(summarize(json))
    const claims = Object.fromEntries(json.summary.filter((s) => !s.key.startsWith('latency')).map((s) => [s.key, s.claim]))
    expect(claims).toEqual({ independent: '10–100×', partial: '2–10×', dependent: '1×' })
    // Latency model: every engine at both points, every run checked; K = 2 is one chain.
    expect(json.latency.map((r) => `${r.label}@K${r.accounts}`).sort()).toEqual(
      [2, 1000].flatMap((k) => [...schedulers.map((s) => `blockstm-${s}`), 'static-batch/exact'].map((l) => `${l}@K${k}`)).sort(),
    )
    for (const r of json.latency) {
      expect(r.correct, `${r.label} K${r.accounts}`).toBe(true)
      expect(r.checkedRuns).toBe(2)
      expect(r.bound).toBeLessThanOrEqual(r.inFlight)
    }
    expect(json.latency.find((r) => r.accounts === 2)!.criticalPath).toBe(24)
    for (const s of json.summary.filter((x) => !x.key.startsWith('latency'))) {
      expect(s.threads).toBe(2)
      expect(s.cells.map((c) => c.engine).sort()).toEqual([...schedulers.map((x) => `blockstm-${x}`), 'static-batch/address', 'static-batch/oracle'].sort())
      for (const c of s.cells) {
        const xs = json.rows.filter((r) => r.class === s.key && r.label === c.engine && r.threads === 2).map((r) => r.speedup)
        expect(c.median).toBeCloseTo(median(xs), 3)
      }
    }
    // Merged rows of the other machine.
    expect(json.merged.map((r) => `${r.engine}@${r.threads}=${r.speedup}`).sort()).toEqual(['1', '2', '4'].map((t) => `blockstm@${t}=${sweep.byThreads[t]!.blockstm.speedup}`))
    expect(new Set(json.merged.map((r) => r.machine))).toEqual(new Set([sweep.machine]))
    expect(json.summary.find((s) => s.key === 'independent')!.manyCore).toBe(`4 threads (${sweep.machine}, 1 of 1 blocks): blockstm ${sweep.byThreads['4']!.blockstm.speedup.toFixed(2)}×`)

    const html = readFileSync(join(dir, 'index.html'), 'utf8')
    const summaryAt = html.indexOf('<table class="summary">')
    expect(summaryAt).toBeGreaterThan(0)
    expect(summaryAt).toBeLessThan(html.indexOf('<img'))
    expect(html).toContain('10–100×')
    expect(html).toContain('Regenerate: <code>npx blockstm report')
    expect(html).toContain('load average')
    expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').length).toBe(json.rows.length + 1)
  }, 300_000)

  it('refuses a single bench run without thread counts and files of another shape', () => {
    expect(() => parseMerged('{"sequential":{"ms":1},"blockstm":{"ms":1,"speedup":1}}', 'x.json')).toThrow(/thread count/)
    expect(() => parseMerged('[1,2]', 'x.json')).toThrow(MergeInputError)
    expect(() => parseMerged('not json', 'x.json')).toThrow(/not JSON/)
    const rows = parseMerged(JSON.stringify({ threads: 8, blocks: [{ number: 1, txCount: 5, sequential: { ms: 2 }, blockstm: { ms: 1, speedup: 2, identical: true } }] }), 'm.json')
    expect(rows).toEqual([{ machine: 'm.json', file: 'm.json', block: '1', txs: 5, engine: 'blockstm', threads: 8, speedup: 2, ms: 1, executionsPerTx: null, correct: true }])
  })

  it('bad options: one line on stderr, exit status 2', () => {
    const missing = join(tmpdir(), 'blockstm-report-no-such-file.json')
    for (const args of [['--txs', '0'], ['--kinds', 'nosuch'], ['--merge', missing], ['--schedulers', 'v3']]) {
      const r = cli([...args, '--out', join(tmpdir(), 'blockstm-report-bad')])
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr.trim().split('\n').length, `${args.join(' ')}: ${r.stderr}`).toBe(1)
      expect(r.stderr).toMatch(/^blockstm: /)
    }
  }, 60_000)

  it('renders a timeline with lanes, outcomes and blocker arrows', () => {
    const svg = renderTimelineSVG([
      { thread: 0, lane: 0, kind: 'execute', tx: 0, incarnation: 0, start: 0, end: 2, outcome: 'recorded' },
      { thread: 1, lane: 0, kind: 'execute', tx: 1, incarnation: 0, start: 0.5, end: 1, outcome: 'suspended', blocker: 0 },
      { thread: 1, lane: 0, kind: 'execute', tx: 1, incarnation: 0, start: 2.1, end: 3, outcome: 'recorded' },
      { thread: 0, lane: 0, kind: 'validate', tx: 1, incarnation: 0, start: 3.1, end: 3.2, outcome: 'valid' },
    ])
    checkSvg(svg, 'timeline')
    expect(svg).toContain('thread 1 lane 0')
    expect(svg).toContain('marker-end="url(#arr)"')
  })

  it('the per-run check flags any difference from the sequential result', () => {
    const post = (balance: bigint) => new Map([['0x01', { balance, nonce: 1n, code: new Uint8Array(), storage: new Map([['0x00', 5n]]) }]])
    const base = (over: Record<string, unknown> = {}) =>
      ({ gasUsed: 21000n, logsBloom: new Uint8Array(256), receiptsRoot: new Uint8Array(32), receipts: [{ status: 1 }], results: [{ gasUsed: 21000n }], postState: post(10n), ...over }) as unknown as EvmBlockResult
    expect(describeDifference(base(), base())).toBeUndefined()
    expect(describeDifference(base(), base({ gasUsed: 42000n }))).toMatch(/gasUsed/)
    expect(describeDifference(base(), base({ results: [{ gasUsed: 21001n }] }))).toBe('transaction 0 differs')
    expect(describeDifference(base(), base({ postState: post(11n) }))).toBe('post-state of 0x01 differs')
    expect(describeDifference(base(), base({ receiptsRoot: new Uint8Array(32).fill(1) }))).toMatch(/receipts root/)
  })
})
