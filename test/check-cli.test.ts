/**
 * `blockstm check`: catches and shrinks the example VM's nondeterminism (exit 1, the seed to
 * replay, the configuration, the first differing transaction or location, the shrunk block
 * as JSON) with certainty in deterministic mode (`--deterministic`, one thread, two lanes:
 * two processes at once print the same counterexample), and in the default random mode on
 * two threads; replays it from the printed seed and path, passes the corrected example VM and
 * the built-in mock VM (exit 0, the counts), and answers bad input with one line on stderr
 * and exit 2.
 */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'
import { runCheckCommand } from '../src/cli/check.js'
import { UsageError } from '../src/cli/util.js'

const repo = resolve(import.meta.dirname, '..')

/** Runs the command line (asynchronously: several at once keep the file short). */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [join(repo, 'bin', 'blockstm.js'), 'check', ...args], { cwd: repo })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => done({ code, stdout, stderr }))
  })
}

describe('blockstm check', () => {
  it('finds and shrinks the example VM that caches across incarnations, the same way in two processes at once, and replays it', async () => {
    // Deterministic mode on one thread with two lanes: the interleaving is a function of the
    // seed, so the verdict and the counterexample are certain; the two processes compete for
    // the cores and still print the same thing.
    const args = ['--vm', 'examples/cachingVm.ts', '--runs', '30', '--threads', '1', '--lanes', '2', '--deterministic', '--seed', '5']
    const [r, twin] = await Promise.all([cli(...args), cli(...args)])
    expect(r.code, r.stderr).toBe(1)
    expect(twin.stdout).toBe(r.stdout)
    expect(r.stdout).toContain('Block-STM is not deterministic on this VM')
    expect(r.stdout).toMatch(/configuration: blockstm, threads 1, lanes 2/)
    expect(r.stdout).toMatch(/first differing (transaction|location)/)
    const replay = /replay with: blockstm check --vm examples\/cachingVm.ts --seed (\d+) --path ([\d:]+) --threads 1 --lanes 2 --deterministic\n/.exec(r.stdout)
    expect(replay).not.toBeNull()
    const shrunk = /shrunk block \(\d+ shrinks\): (.*)$/m.exec(r.stdout)
    const block = JSON.parse(shrunk![1]!) as { txCount: number; payload: { txs: unknown[] } }
    expect(block.txCount).toBeLessThanOrEqual(3)
    expect(block.payload.txs).toHaveLength(block.txCount)

    // The printed seed and path replay the shrunk block (--json: machine-readable).
    const again = await cli('--vm', 'examples/cachingVm.ts', '--threads', '1', '--lanes', '2', '--deterministic', '--seed', replay![1]!, '--path', replay![2]!, '--json')
    expect(again.code, again.stderr).toBe(1)
    const j = JSON.parse(again.stdout) as { ok: boolean; seed: number; threads: number; lanes: number; block: unknown }
    expect(j).toMatchObject({ ok: false, seed: Number(replay![1]), threads: 1, lanes: 2 })
    expect(j.block).toEqual(block)
  })

  it('finds the example VM in the default (random) mode on two threads', async () => {
    const r = await cli('--vm', 'examples/cachingVm.ts', '--runs', '60', '--threads', '2', '--seed', '5')
    expect(r.code, r.stderr).toBe(1)
    expect(r.stdout).toMatch(/configuration: blockstm, threads 2, lanes 1/)
    expect(r.stdout).toMatch(/replay with: blockstm check --vm examples\/cachingVm.ts --seed \d+ --path [\d:]+ --threads 2\n/)
  })

  it('passes the corrected example VM and the built-in mock VM', async () => {
    const [fixed, mock] = await Promise.all([
      cli('--vm', 'examples/cachingVmFixed.ts', '--runs', '30', '--threads', '1,2'),
      cli('--vm', 'mock', '--runs', '10', '--threads', '2', '--lanes', '2', '--scheduler', 'v1,v2', '--json'),
    ])
    expect(fixed.code, fixed.stderr).toBe(0)
    expect(fixed.stdout).toMatch(/^deterministic: 30 blocks \(\d+ transactions, 0 failing in the VM\), 60 blockstm runs/)
    expect(mock.code, mock.stderr).toBe(0)
    expect(JSON.parse(mock.stdout)).toMatchObject({ ok: true, blocks: 10, parallelRuns: 20, configs: ['threads 2 × lanes 2, scheduler v1', 'threads 2 × lanes 2, scheduler v2'] })
  })

  it('bad input through the command line: one line on stderr, exit 2', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--vm', 'examples/nope.ts'], /^blockstm: --vm: no such file examples\/nope.ts\n$/],
      [['--vm', 'test/fixtures/kit/throwsOnLoad.js'], /^blockstm: cannot load .*throwsOnLoad.js: this module is broken\n$/],
      [['--vm', 'mock', '--threads', '0'], /^blockstm: .*--threads must be a positive integer\n$/],
    ]
    const results = await Promise.all(cases.map(([args]) => cli(...args)))
    results.forEach((r, i) => {
      expect(r.code, `${cases[i]![0].join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(cases[i]![1])
    })
  })

  it('bad input in the command (the one-line UsageError the command line prints with exit 2)', async () => {
    const base = { runs: 2, threads: [1], lanes: 1, engine: 'blockstm', delays: true }
    const cases: Array<[Partial<Parameters<typeof runCheckCommand>[0]>, RegExp]> = [
      [{ vm: 'README.md' }, /^cannot load .*README.md: /],
      [{ vm: 'examples/bank.ts' }, /bank.ts exports no createTransactionVM\(payload, lane\)$/],
      [{ vm: 'test/fixtures/kit/noBlocks.js' }, /noBlocks.js exports no blocks\(fc\)/],
      [{ vm: 'test/fixtures/kit/badBlocks.js' }, /^a generated block's txCount must be a non-negative integer, got undefined$/],
      [{ vm: 'mock', engine: 'fast' }, /^--engine must be blockstm or static-batch, got "fast"$/],
      [{ vm: 'mock', path: 'x' }, /^--path must look like/],
      [{ vm: 'mock', scheduler: 'v1,v9' }, /^--scheduler: unknown scheduler "v9" \(known: v1, v2\)$/],
    ]
    for (const [o, re] of cases) {
      const e = await runCheckCommand({ ...base, ...o } as Parameters<typeof runCheckCommand>[0]).catch((x: unknown) => x)
      expect(e, JSON.stringify(o)).toBeInstanceOf(UsageError)
      expect((e as Error).message).toMatch(re)
      expect((e as Error).message).not.toContain('\n')
    }
  })
})
