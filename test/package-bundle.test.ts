/**
 * The bundler configuration the README gives (test/package/bundle.mjs): esbuild bundles a
 * consumer script that imports the package and runs two mainnet blocks (one of them Cancun,
 * with a blob transaction) with Block-STM on 2 threads, with the engine's worker and the EVM
 * transaction VM as separate entry points named worker.js and txvm.js; the bundle runs under
 * plain node (no tsx) and matches the header.
 * Built here from the sources (the package names aliased to src/); CI does the same on the
 * installed tarball (test/package/check.sh).
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { mainnetFixturesDir } from '../src/evm/fixtureDirs.js'
// @ts-expect-error: a plain JavaScript module without declarations
import { bundleConsumer } from './package/bundle.mjs'

const repo = resolve(import.meta.dirname, '..')
const fixture = join(mainnetFixturesDir(), '6196166')
const fixtureCancun = join(mainnetFixturesDir(), '19923400')
const have = existsSync(fixture) && existsSync(fixtureCancun)
if (!have) console.warn(`package-bundle: no fixtures at ${fixture} and ${fixtureCancun} (set BLOCKSTM_FIXTURES); skipping`)

describe.skipIf(!have)('an esbuild bundle of a consumer (worker.js and txvm.js kept apart)', () => {
  it('runs one block with threads 2 under plain node and matches the header', async () => {
    const out = mkdtempSync(join(tmpdir(), 'blockstm-bundle-'))
    try {
      await (bundleConsumer as (o: object) => Promise<void>)({
        app: join(repo, 'test/package/consumer.mjs'),
        worker: join(repo, 'src/executor/worker.ts'),
        txvm: join(repo, 'src/evm/txvm.ts'),
        outdir: out,
        alias: { 'blockstm-evm/engine': join(repo, 'src/executor/index.ts'), 'blockstm-evm': join(repo, 'src/index.ts') },
      })
      expect(readdirSync(out).sort()).toEqual(['app.js', 'txvm.js', 'worker.js'])
      const { stdout } = await promisify(execFile)(process.execPath, [join(out, 'app.js'), fixture], { cwd: out })
      expect(stdout).toMatch(/^block 6196166: 108 txs, gasUsed true, logsBloom true, receiptsRoot true, executions \d+/)
      // A Cancun block with a blob transaction: its Common needs the KZG setup, which the
      // bundle holds (nothing resolves from a temporary folder: crypto.ts imports it at once).
      const cancun = await promisify(execFile)(process.execPath, [join(out, 'app.js'), fixtureCancun], { cwd: out })
      expect(cancun.stdout).toMatch(/^block 19923400: 24 txs, gasUsed true, logsBloom true, receiptsRoot true, executions \d+/)
    } finally {
      rmSync(out, { recursive: true, force: true })
    }
  }, 120_000)
})
