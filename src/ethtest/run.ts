/**
 * Runs every test of a set of fixture files/directories through one backend, file by file
 * (a file is read only when its turn comes). Unreadable input raises an InputError.
 */
import { listFixtureFiles, loadFixtureFile } from './fixtures.js'
import { runEthTest, type Backend, type EthTestResult } from './runner.js'

export interface RunEthTestsOptions {
  backend: Backend
  /** Runs only tests whose name or file path matches. */
  filter?: RegExp
  /** Called after each test. */
  onResult?: (r: EthTestResult) => void
}

export interface EthTestSummary {
  passed: number
  failed: number
  skipped: number
  results: EthTestResult[]
}

export function summaryLine(s: Pick<EthTestSummary, 'passed' | 'failed' | 'skipped'>): string {
  return `${s.passed} passed, ${s.failed} failed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`
}

/** Runs the tests of `files` (already listed, see listFixtureFiles). */
export async function runEthTestFiles(files: string[], opts: RunEthTestsOptions): Promise<EthTestSummary> {
  const summary: EthTestSummary = { passed: 0, failed: 0, skipped: 0, results: [] }
  for (const file of files) {
    for (const test of loadFixtureFile(file)) {
      if (opts.filter !== undefined && !opts.filter.test(test.name) && !opts.filter.test(file)) continue
      const r = await runEthTest(test, opts.backend)
      summary[r.status]++
      summary.results.push(r)
      opts.onResult?.(r)
    }
  }
  return summary
}

/** Lists then runs every test under `paths`. */
export function runEthTests(paths: string[], opts: RunEthTestsOptions): Promise<EthTestSummary> {
  return runEthTestFiles(listFixtureFiles(paths), opts)
}
