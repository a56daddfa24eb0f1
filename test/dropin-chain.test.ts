/**
 * `blockstm chain`: BlockchainTests imported through the drop-in runBlock into a persistent
 * store. A sample of every shared BlockchainTests folder (every 40th file; all of them with
 * BLOCKSTM_LONG_RUN=1) must pass as it does with plain runBlock; a second invocation on the
 * same --db continues from what the first stored; a --db held by another process is refused
 * with one line and exit 2.
 */
import { describe, expect, it } from 'vitest'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { listFixtureFiles } from '../src/ethtest/fixtures.js'

const repo = resolve(import.meta.dirname, '..')
const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(repo, '..', 'shared', 'fixtures'))
const tests = join(root, 'ethereum-tests', 'BlockchainTests')
const have = existsSync(tests)
if (!have) console.warn(`dropin-chain: no fixtures at ${tests}; skipping`)

function chain(args: string[]) {
  return spawnSync(process.execPath, [join(repo, 'bin', 'blockstm.js'), 'chain', ...args], { cwd: repo, encoding: 'utf8', timeout: 300_000 })
}

describe.skipIf(!have)('blockstm chain', () => {
  it('a sample of every BlockchainTests folder passes through the drop-in on the store', () => {
    const every = process.env.BLOCKSTM_LONG_RUN === '1' ? 1 : 40
    const files = listFixtureFiles([tests]).filter((_, i) => i % every === 0)
    const r = chain([...files, '--threads', '2', '--json'])
    expect(r.stderr).toBe('')
    const out = JSON.parse(r.stdout) as { passed: number; failed: number; failures: unknown[] }
    expect(out.failures).toEqual([])
    expect(out.passed).toBeGreaterThan(0)
    expect(r.status).toBe(0)
  }, 600_000)

  it('a second invocation on the same --db continues from what the first stored', () => {
    const db = mkdtempSync(join(tmpdir(), 'chain-db-'))
    try {
      const folder = join(tests, 'ValidBlocks', 'bcExample')
      const first = chain([folder, '--db', db])
      expect(first.status).toBe(0)
      const m = /^(\d+) passed, 0 failed$/m.exec(first.stdout)
      expect(m).not.toBeNull()
      const second = chain([folder, '--db', db])
      expect(second.status).toBe(0)
      expect(second.stdout.trim()).toBe(`${m![1]} passed, 0 failed (${m![1]} from the database)`)
    } finally {
      rmSync(db, { recursive: true, force: true })
    }
  }, 300_000)

  it('a --db in use by another process: one line on stderr, exit 2', async () => {
    const db = mkdtempSync(join(tmpdir(), 'chain-db-'))
    // Another process holds the store open until told to stop.
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `const { openStateStore } = await import(${JSON.stringify(join(repo, 'src', 'dropin', 'store.ts'))}); await openStateStore(${JSON.stringify(db)}); console.log('open'); setTimeout(() => {}, 60000)`], { cwd: repo })
    try {
      await new Promise<void>((resolveOpen, reject) => {
        holder.stdout.on('data', (d: Buffer) => (d.toString().includes('open') ? resolveOpen() : undefined))
        holder.on('exit', (code) => reject(new Error(`holder exited with ${code}`)))
      })
      const r = chain([join(tests, 'ValidBlocks', 'bcExample'), '--db', db])
      expect(r.status).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
      expect(r.stderr).toMatch(new RegExp(`^error: the state store .* is in use by process ${holder.pid}`))
    } finally {
      holder.kill()
      rmSync(db, { recursive: true, force: true })
    }
  }, 120_000)
})
