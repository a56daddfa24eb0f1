/**
 * `blockstm statetest`: bad input (one line on stderr, exit 2; the other files run only with
 * `--keep-going`), an unknown fork reported as such (a failure, never a pass), and a real
 * Osaka state test passing on each engine with the summary line `N passed, M failed`; an
 * altered expectation fails it (exit 1).
 * Fixtures: $BLOCKSTM_FIXTURES/execution-spec-tests (default ../shared/fixtures); the tests that
 * need them skip when absent.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const repo = resolve(import.meta.dirname, '..')
const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(repo, '..', 'shared', 'fixtures'))
const sample = join(root, 'execution-spec-tests', 'state_tests', 'osaka', 'eip7939_count_leading_zeros', 'count_leading_zeros', 'clz_stack_underflow.json')
const have = existsSync(sample)
if (!have) console.warn(`statetest-cli: no fixture at ${sample} (set BLOCKSTM_FIXTURES); skipping the real-fixture tests`)

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'blockstm.js'), 'statetest', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}
const lastLine = (s: string) => s.trim().split('\n').at(-1)

describe('statetest command: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'statetest-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const good = join(dir, 'good.json')
  // A minimal valid file: one entry whose transaction does not decode and is expected to be refused.
  writeFileSync(good, JSON.stringify({ t: { env: { currentCoinbase: '0x' + '00'.repeat(20), currentGasLimit: '0x1000000', currentNumber: '0x1', currentTimestamp: '0x3e8' }, pre: {}, post: { Cancun: [{ txbytes: '0x01', hash: '0x' + '00'.repeat(32), logs: '0x' + '00'.repeat(32), expectException: 'TransactionException.TYPE_NOT_SUPPORTED', indexes: {} }] } } }))

  it('an unreadable path, bad JSON and a malformed test: one line, exit 2, the run stops', () => {
    for (const [file, content] of [
      [join(dir, 'missing.json'), undefined],
      [join(dir, 'bad.json'), '{'],
      [join(dir, 'shape.json'), JSON.stringify({ t: { env: {}, pre: {}, post: { Osaka: [{}] } } })],
    ] as const) {
      if (content !== undefined) writeFileSync(file, content)
      const r = cli(file, good)
      expect({ file, code: r.code }).toEqual({ file, code: 2 })
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stdout).toBe('') // the run stopped: no summary, the good file did not run
    }
  })

  it('--keep-going runs the other files, prints the summary and still exits 2', () => {
    writeFileSync(join(dir, 'bad2.json'), '{')
    const r = cli(join(dir, 'bad2.json'), good, '--keep-going')
    expect(r.code).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/not valid JSON/)
    expect(lastLine(r.stdout)).toBe('1 passed, 0 failed')
  })

  it('a fork the library does not know is reported as an unknown fork, not a pass', () => {
    const t = JSON.parse(readFileSync(good, 'utf8')) as { t: { post: Record<string, unknown> } }
    t.t.post = { Amsterdam: t.t.post.Cancun, BPO3: t.t.post.Cancun }
    const file = join(dir, 'fork.json')
    writeFileSync(file, JSON.stringify(t))
    const r = cli(file)
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/unknown fork 'Amsterdam'/)
    expect(r.stdout).toMatch(/unknown fork 'BPO3'/)
    expect(lastLine(r.stdout)).toBe('0 passed, 2 failed')
  })
})

describe.skipIf(!have)('statetest command on a real Osaka state test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'statetest-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it.each([['reference'], ['sequential'], ['blockstm']])('passes on %s (exit 0, summary line)', (engine) => {
    const r = cli(sample, '--engine', engine, '--threads', '2')
    expect(r.code).toBe(0)
    expect(lastLine(r.stdout)).toMatch(/^[1-9]\d* passed, 0 failed$/)
  })

  it('an altered state root fails the entry (exit 1), also with --json', () => {
    const t = JSON.parse(readFileSync(sample, 'utf8')) as Record<string, { post: Record<string, Array<{ hash: string }>> }>
    const name = Object.keys(t)[0]!
    const fork = Object.keys(t[name]!.post)[0]!
    t[name]!.post[fork]![0]!.hash = '0x' + '11'.repeat(32)
    const file = join(dir, 'altered.json')
    writeFileSync(file, JSON.stringify({ [name]: t[name] }))
    const r = cli(file, '--engine', 'blockstm', '--threads', '2')
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/state root 0x[0-9a-f]{64}, want 0x1111/)
    const j = cli(file, '--json')
    expect(j.code).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({ failed: 1 })
  })
})
