/**
 * A quick report run writes valid SVG charts (parsed as XML-ish: one <svg> root, balanced),
 * results.json with a row for every engine (sequential, blockstm, static-batch with each
 * predictor) × thread count on every block, results.csv, a timeline and index.html; every
 * engine's result equals sequential.
 */
import { describe, expect, it } from 'vitest'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runReport } from '../src/report/run.js'
import { writeReport } from '../src/report/output.js'
import { renderTimelineSVG } from '../src/report/timeline.js'
import { EVM_PREDICTORS } from '../src/evm/predictors.js'

function checkSvg(text: string, name: string): void {
  expect(text.trimStart().startsWith('<svg'), `${name} starts with <svg`).toBe(true)
  expect(text.trimEnd().endsWith('</svg>'), `${name} ends with </svg>`).toBe(true)
  expect(text).toContain('xmlns="http://www.w3.org/2000/svg"')
  // Balanced elements (no self-closing counted): every <tag …> has its </tag>.
  const open = (text.match(/<([a-zA-Z]+)(\s[^>]*)?(?<!\/)>/g) ?? []).length
  const close = (text.match(/<\/[a-zA-Z]+>/g) ?? []).length
  expect(open, `${name}: open vs close tags`).toBe(close)
}

describe('blockstm report (quick)', () => {
  it('writes JSON, CSV, valid SVG charts, a timeline and index.html with a row for every engine', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blockstm-report-'))
    const data = await runReport({ quick: true, kinds: ['raw', 'uniswap'], accounts: [1], txs: 8, mainnet: 0, timelineBlock: 'uniswap-a1' })
    const w = await writeReport(data, dir)
    for (const f of ['results.json', 'results.csv', 'index.html', 'timeline.svg', 'speedup-vs-contention.svg', 'executions-per-tx.svg', 'batches-vs-critical-path.svg', 'mispredictions.svg']) {
      expect(existsSync(join(dir, f)), f).toBe(true)
    }
    for (const f of w.files.filter((f) => f.endsWith('.svg'))) checkSvg(readFileSync(join(dir, f), 'utf8'), f)
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))
    const labels = ['sequential@1', ...[1, 2].flatMap((t) => ['blockstm', ...EVM_PREDICTORS.map((p) => `static-batch/${p}`)].map((l) => `${l}@${t}`))]
    const blocks = [...new Set(json.rows.map((r: { block: string }) => r.block))]
    expect(blocks.length).toBe(2)
    for (const b of blocks) {
      const got = json.rows.filter((r: { block: string }) => r.block === b).map((r: { label: string; threads: number }) => `${r.label}@${r.threads}`).sort()
      expect(got).toEqual([...labels].sort())
    }
    expect(json.rows.every((r: { correct: boolean }) => r.correct)).toBe(true)
    expect(readFileSync(join(dir, 'results.csv'), 'utf8').trim().split('\n').length).toBe(json.rows.length + 1)
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('<img src="timeline.svg"')
  }, 240_000)

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
})
