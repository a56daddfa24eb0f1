/**
 * `blockstm bench` on tiny EVM blocks (fast harness: 1 warm-up round, 1 timed round): the JSON
 * shape, identical results across engines, the --block / --mainnet / --memory / thread-list
 * modes, `blockstm workload` fixtures, and exit
 * status 2 with a one-line message on bad input. Nothing here is timed.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateWorkload, writeFixture } from '../src/workloads/index.js'

const bin = fileURLToPath(new URL('../bin/blockstm.js', import.meta.url))
const FAST = ['--min-warmup', '1', '--max-warmup', '1', '--rounds', '1', '--threads', '2']

function cli(args: string[], command = 'bench'): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, command, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

const FIELDS = ['ms', 'txPerSec', 'gasPerSec', 'speedup', 'executionsPerTx', 'validationsPerTx', 'abortsPerTx'] as const

function checkEngines(out: Record<string, Record<string, unknown>>, engines: string[]): void {
  expect(Object.keys(out).sort()).toEqual([...engines].sort())
  for (const e of engines) {
    for (const f of FIELDS) expect(typeof out[e]![f], `${e}.${f}`).toBe('number')
    expect(out[e]!.ms as number).toBeGreaterThan(0)
  }
  expect(out.sequential!.speedup).toBe(1)
  for (const e of engines) if (e !== 'ideal' && e !== 'sequential') expect(out[e]!.identical, e).toBe(true)
}

const tmp = mkdtempSync(join(tmpdir(), 'bench-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

describe('blockstm bench', () => {
  beforeAll(async () => {
    const w = await generateWorkload({ kind: 'erc20', txs: 30, accounts: 100, seed: 3 })
    writeFixture(w, join(tmp, 'mainnet', '1'))
  })

  it('raw workload: sequential, blockstm, ideal agree; JSON keyed by engine', () => {
    const r = cli(['--workload', 'raw', '--txs', '30', '--accounts', '100', '--json', ...FAST])
    expect(r.status, r.stderr).toBe(0)
    checkEngines(JSON.parse(r.stdout), ['sequential', 'blockstm', 'ideal'])
  })

  it('erc20 workload with the ethereumjs engine: identical results', () => {
    const r = cli(['--workload', 'erc20', '--txs', '30', '--accounts', '100', '--engines', 'sequential,blockstm,ideal,ethereumjs', '--json', ...FAST])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    checkEngines(out, ['sequential', 'blockstm', 'ideal', 'ethereumjs'])
    expect(out.blockstm.executionsPerTx).toBeGreaterThanOrEqual(1)
  })

  it('--block and --mainnet read fixture directories', () => {
    const b = cli(['--block', join(tmp, 'mainnet', '1'), '--engines', 'sequential,blockstm', '--json', ...FAST])
    expect(b.status, b.stderr).toBe(0)
    checkEngines(JSON.parse(b.stdout), ['sequential', 'blockstm'])
    const m = cli(['--mainnet', join(tmp, 'mainnet'), '--engines', 'sequential,blockstm', '--min-txs', '1', '--json', ...FAST])
    expect(m.status, m.stderr).toBe(0)
    const out = JSON.parse(m.stdout)
    expect(out.blocks).toHaveLength(1)
    expect(out.blocks[0].txCount).toBe(30)
    expect(typeof out.blocks[0].blockstm.speedup).toBe('number')
    expect(typeof out.meanSpeedup50).toBe('number')
  })

  it('--threads 1,2 times every engine at each thread count, sequential included', () => {
    const fast = FAST.slice(0, -2)
    const r = cli(['--workload', 'raw', '--txs', '30', '--accounts', '100', '--threads', '1,2', '--json', ...fast])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.threads).toEqual([1, 2])
    expect(out.txCount).toBe(30)
    for (const t of ['1', '2']) checkEngines(out.byThreads[t], ['sequential', 'blockstm', 'ideal'])
  })

  it('blockstm workload writes a fixture that bench --block reads', () => {
    const dir = join(tmp, 'generated')
    const w = cli(['--kind', 'nft', '--txs', '20', '--accounts', '2', '--out', dir], 'workload')
    expect(w.status, w.stderr).toBe(0)
    expect(w.stdout).toMatch(/^nft-t20-a2-s1: 20 transactions/)
    const b = cli(['--block', dir, '--engines', 'sequential,blockstm', '--json', ...FAST])
    expect(b.status, b.stderr).toBe(0)
    checkEngines(JSON.parse(b.stdout), ['sequential', 'blockstm'])
    const bad = cli(['--kind', 'nope', '--out', dir], 'workload')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^blockstm: --kind: unknown kind "nope"/)
  })

  it('--memory reports peak RSS per engine from child processes', () => {
    const r = cli(['--workload', 'raw', '--txs', '30', '--accounts', '100', '--memory', '--memory-runs', '1', '--json', '--threads', '2'])
    expect(r.status, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    for (const e of ['sequential', 'blockstm']) expect(out[e].peakRssMB).toBeGreaterThan(10)
    expect(typeof out.blockstm.vsSequential).toBe('number')
  })

  it.concurrent.each([
    [['--workload', 'bogus']],
    [['--workload', 'raw', '--engines', 'sequential,warp']],
    [['--block', join(tmp, 'nope')]],
    [['--txs', '10']],
    [['--workload', 'raw', '--block', tmp]],
    [['--workload', 'raw', '--txs', '0']],
    [['--workload', 'raw', '--threads', '2,2']],
    [['--workload', 'raw', '--threads', '1,x']],
    [['--mainnet', tmp, '--threads', '1,2']],
  ])('bad input %j exits 2 with one line', (args) => {
    const r = cli(args)
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/^blockstm: /)
  })
})
