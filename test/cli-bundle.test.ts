/**
 * The command-line bundle (scripts/bundle-cli.mjs, dist/cli-bundle/ in the package), which
 * bin/blockstm.js runs for `blockstm block` from an installed package: built here from the
 * sources into a temporary package folder (its package.json, the repository's node_modules),
 * then run under plain node on a mainnet fixture with every engine, each matching the header.
 * Also: the version, a bad directory (one line, exit 2), `--default-jit`. CI runs the bundle
 * of the installed tarball through the bin (test/package/check.sh).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest'
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { mainnetFixturesDir } from '../src/evm/fixtureDirs.js'
// @ts-expect-error: a plain JavaScript module without declarations
import { bundleCli } from '../scripts/bundle-cli.mjs'

const repo = resolve(import.meta.dirname, '..')
const fixture = join(mainnetFixturesDir(), '6196166')
const have = existsSync(fixture)
if (!have) console.warn(`cli-bundle: no fixture at ${fixture} (set BLOCKSTM_FIXTURES); skipping`)
const run = promisify(execFile)

describe.skipIf(!have)('the command-line bundle (blockstm block)', () => {
  let pkg: string
  let block: string
  beforeAll(async () => {
    pkg = mkdtempSync(join(tmpdir(), 'blockstm-cli-bundle-'))
    copyFileSync(join(repo, 'package.json'), join(pkg, 'package.json'))
    symlinkSync(join(repo, 'node_modules'), join(pkg, 'node_modules'))
    mkdirSync(join(pkg, 'dist'))
    await (bundleCli as (out: string) => Promise<unknown>)(join(pkg, 'dist/cli-bundle'))
    block = join(pkg, 'dist/cli-bundle/block.js')
  }, 120_000)
  afterAll(() => rmSync(pkg, { recursive: true, force: true }))

  it('has one file per thread kind beside the shared chunks, and the bundled licences', () => {
    const files = readdirSync(join(pkg, 'dist/cli-bundle'))
    for (const f of ['block.js', 'worker.js', 'txvm.js', 'batchWorker.js', 'THIRD-PARTY.md']) expect(files).toContain(f)
    expect(readFileSync(join(pkg, 'dist/cli-bundle/THIRD-PARTY.md'), 'utf8')).toMatch(/\| @ethereumjs\/evm \| 10\.1\.3 \| MPL-2\.0 \|/)
  })

  for (const engine of [['sequential'], ['blockstm', '--threads', '2'], ['blockstm', '--threads', '2', '--no-caller-executes'], ['static-batch', '--threads', '2']]) {
    it(`runs the block with --engine ${engine.join(' ')} under plain node and matches the header`, async () => {
      const { stdout } = await run(process.execPath, [block, 'block', fixture, '--engine', ...engine, '--json'], { cwd: pkg })
      const r = JSON.parse(stdout) as { txCount: number; headerMatch: Record<string, boolean | null>; stats: { executions: number } }
      expect(r.txCount).toBe(108)
      expect(r.headerMatch).toEqual({ gasUsed: true, logsBloom: true, receiptsRoot: true, requestsHash: null })
      expect(r.stats.executions).toBeGreaterThanOrEqual(108)
    }, 60_000)
  }

  it('keeps V8 default tiering with --default-jit (same result)', async () => {
    const { stdout } = await run(process.execPath, [block, 'block', fixture, '--engine', 'blockstm', '--threads', '2', '--default-jit', '--json'], { cwd: pkg })
    expect((JSON.parse(stdout) as { headerMatch: { gasUsed: boolean } }).headerMatch.gasUsed).toBe(true)
  }, 60_000)

  it('prints the package version, and one line with exit 2 for a missing directory', async () => {
    const { stdout } = await run(process.execPath, [block, '--version'], { cwd: pkg })
    expect(stdout.trim()).toBe((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version)
    const bad = await run(process.execPath, [block, 'block', join(pkg, 'no-such-dir')], { cwd: pkg }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr.trim().split('\n')).toHaveLength(1)
    expect(bad.stderr).toMatch(/^error: .*no-such-dir/)
  }, 60_000)
})
