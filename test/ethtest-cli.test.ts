/**
 * `blockstm ethtest` command line: summary line, exit codes (0 pass, 1 a test failed, 2
 * unreadable input), and the runner's verdicts on fixtures altered so that they must fail or a
 * block must be rejected, for the sequential, blockstm and reference back-ends.
 * Fixtures: $BLOCKSTM_FIXTURES/ethereum-tests (default ../shared/fixtures); skipped when absent.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createEvmExecutor } from '../src/evm/index.js'
import { parseFixture } from '../src/ethtest/fixtures.js'
import { runEthTest } from '../src/ethtest/runner.js'

const repo = resolve(import.meta.dirname, '..')
const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(repo, '..', 'shared', 'fixtures'))
const sample = join(root, 'ethereum-tests', 'BlockchainTests', 'GeneralStateTests', 'stEIP158Specific', 'CALL_OneVCallSuicide.json')
const have = existsSync(sample)
if (!have) console.warn(`ethtest-cli: no fixture at ${sample} (set BLOCKSTM_FIXTURES); skipping`)

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'blockstm.js'), 'ethtest', ...args], { cwd: repo, encoding: 'utf8', timeout: 120_000 })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('ethtest command: bad input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ethtest-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  it('exits 2 with one line for a missing path, bad JSON, a malformed test and a bad regex', () => {
    const missing = cli(join(dir, 'nope.json'))
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim().split('\n')).toHaveLength(1)
    writeFileSync(join(dir, 'bad.json'), '{')
    const bad = cli(join(dir, 'bad.json'))
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/not valid JSON/)
    writeFileSync(join(dir, 'shape.json'), JSON.stringify({ t: { network: 'Cancun' } }))
    const shape = cli(join(dir, 'shape.json'))
    expect(shape.code).toBe(2)
    expect(shape.stderr.trim().split('\n')).toHaveLength(1)
    expect(cli(join(dir, 'bad.json'), '--filter', '(').code).toBe(2)
  })
})

describe.skipIf(!have)('ethtest command and runner on real and altered fixtures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ethtest-'))
  const executors = [createEvmExecutor({ engine: 'sequential' }), createEvmExecutor({ engine: 'blockstm', threads: 2 })]
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    for (const e of executors) await e.close()
  })
  const original = have ? (JSON.parse(readFileSync(sample, 'utf8')) as Record<string, Record<string, unknown>>) : {}
  const [name, test] = Object.entries(original)[0] ?? ['', {}]

  const backends = () => [{ kind: 'reference' as const }, ...executors.map((executor) => ({ kind: 'engine' as const, executor }))]

  it('passes a real fixture: summary line and exit 0, also with --json', () => {
    const r = cli(sample, '--engine', 'blockstm', '--threads', '2')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, 0 failed$/)
    const j = cli(sample, '--json', '--filter', `^${name}$`)
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({ passed: 1, failed: 0, skipped: 0 })
  })

  it('fails a test whose postState was altered (exit 1, the test named in the output)', async () => {
    const t = structuredClone(test) as { postState: Record<string, { balance: string }> }
    const addr = Object.keys(t.postState)[0]!
    t.postState[addr]!.balance = '0x' + (BigInt(t.postState[addr]!.balance) + 1n).toString(16)
    const file = join(dir, 'post.json')
    writeFileSync(file, JSON.stringify({ [name]: t }))
    const r = cli(file)
    expect(r.code).toBe(1)
    expect(r.stdout).toContain(name)
    expect(r.stdout.trim().split('\n').at(-1)).toBe('0 passed, 1 failed')
    for (const b of backends()) {
      const res = await runEthTest(parseFixture({ [name]: t }, file)[0]!, b)
      expect(res.status).toBe('failed')
      expect(res.reason).toMatch(/post-state/)
    }
  })

  it('rejects a block with a wrong stateRoot; the chain stays at genesis; expectException makes it pass', async () => {
    const t = structuredClone(test) as {
      blocks: Array<Record<string, unknown>>
      genesisBlockHeader: { hash: string }
      lastblockhash: string
      pre: unknown
      postState: unknown
    }
    const raw = RLP.decode(hexToBytes(t.blocks[0]!.rlp as `0x${string}`)) as unknown as Uint8Array[][]
    raw[0]![3] = new Uint8Array(32).fill(0x11)
    const tampered = bytesToHex(RLP.encode(raw as never))
    t.blocks = [{ rlp: tampered, expectException: 'INVALID_STATE_ROOT' }]
    t.lastblockhash = t.genesisBlockHeader.hash
    t.postState = t.pre
    const file = join(dir, 'root.json')
    for (const b of backends()) {
      const res = await runEthTest(parseFixture({ [name]: t }, file)[0]!, b)
      expect({ kind: b.kind, status: res.status, blocks: res.blocks }).toEqual({ kind: b.kind, status: 'passed', blocks: ['rejected'] })
    }
    // Without expectException the same block fails the test.
    delete t.blocks[0]!.expectException
    for (const b of backends()) {
      const res = await runEthTest(parseFixture({ [name]: t }, file)[0]!, b)
      expect(res.status).toBe('failed')
      expect(res.reason).toMatch(/block 1 rejected/)
    }
  })

  it('a block expected to fail but valid fails the test', async () => {
    const t = structuredClone(test) as { blocks: Array<Record<string, unknown>> }
    t.blocks[0]!.expectException = 'TransactionException.INSUFFICIENT_ACCOUNT_FUNDS'
    for (const b of backends()) {
      const res = await runEthTest(parseFixture({ [name]: t }, 'x.json')[0]!, b)
      expect(res.status).toBe('failed')
      expect(res.reason).toMatch(/block 1 accepted, expected exception/)
    }
  })
})
