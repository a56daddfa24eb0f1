/**
 * `blockstm ethtest <file-or-dir>...`: runs ethereum/tests BlockchainTests fixtures (see
 * src/ethtest/runner.ts for what is checked) with our executor, or with plain @ethereumjs
 * (`--engine reference`). Prints each failure (file, test name, reason) and a last line
 * `N passed, M failed` (`, K skipped` when some were skipped); `--json` prints one JSON object
 * instead.
 *
 * Exit codes: 0 when no test failed, 1 when one failed, 2 on unreadable input (one line).
 */
import type { Command } from 'commander'
import { createEvmExecutor, InputError } from '../evm/index.js'
import { listFixtureFiles } from '../ethtest/fixtures.js'
import { runEthTestFiles, summaryLine } from '../ethtest/run.js'
import type { Backend, EthTestResult } from '../ethtest/runner.js'
import { displayPath, parseConformanceEngine, positiveInt, type ConformanceEngine } from './util.js'

export type EthtestEngine = ConformanceEngine

export interface EthtestOpts {
  engine: EthtestEngine
  threads: number
  filter?: string
  json?: boolean
}



/** Runs the command; returns the exit code. */
export async function runEthtestCommand(paths: string[], opts: EthtestOpts): Promise<number> {
  let filter: RegExp | undefined
  if (opts.filter !== undefined) {
    try {
      filter = new RegExp(opts.filter)
    } catch (e) {
      process.stderr.write(`error: --filter: ${(e as Error).message}\n`)
      return 2
    }
  }
  let files: string[]
  try {
    files = listFixtureFiles(paths)
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`error: ${e.message}\n`)
      return 2
    }
    throw e
  }
  const threads = opts.engine === 'blockstm' ? opts.threads : 1
  const executor = opts.engine === 'reference' ? undefined : createEvmExecutor({ engine: opts.engine, threads })
  const backend: Backend = executor === undefined ? { kind: 'reference' } : { kind: 'engine', executor }
  const start = performance.now()
  const onResult = (r: EthTestResult): void => {
    if (opts.json !== true && r.status === 'failed') process.stdout.write(`FAIL ${displayPath(r.file)} ${r.name}: ${r.reason}\n`)
  }
  let summary
  try {
    summary = await runEthTestFiles(files, { backend, ...(filter !== undefined ? { filter } : {}), onResult })
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`error: ${e.message}\n`)
      return 2
    }
    throw e
  } finally {
    await executor?.close()
  }
  const ms = performance.now() - start
  if (opts.json === true) {
    const out = {
      engine: opts.engine,
      threads,
      files: files.length,
      passed: summary.passed,
      failed: summary.failed,
      skipped: summary.skipped,
      ms: Math.round(ms),
      failures: summary.results.filter((r) => r.status === 'failed').map((r) => ({ file: r.file, test: r.name, reason: r.reason })),
      skips: summary.results.filter((r) => r.status === 'skipped').map((r) => ({ file: r.file, test: r.name, reason: r.reason })),
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  } else {
    process.stdout.write(summaryLine(summary) + '\n')
  }
  return summary.failed > 0 ? 1 : 0
}

export function registerEthtestCommand(program: Command): Command {
  return program
    .command('ethtest')
    .description('run ethereum/tests BlockchainTests fixtures (files or directories, searched recursively)')
    .argument('<paths...>', 'fixture files or directories')
    .option('--engine <engine>', "sequential | blockstm | reference (plain @ethereumjs runBlock)", parseConformanceEngine, 'sequential' as EthtestEngine)
    .option('--threads <n>', 'worker threads for blockstm', positiveInt('threads'), 1)
    .option('--filter <regex>', 'run only tests whose name or file path matches')
    .option('--json', 'print one JSON object')
    .action(async (paths: string[], opts: EthtestOpts) => {
      process.exitCode = await runEthtestCommand(paths, opts)
    })
}
