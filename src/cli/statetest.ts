/**
 * `blockstm statetest <files|dirs>...`: runs state tests (execution-spec-tests `state_test`
 * format; see src/ethtest/stateTest.ts for what is checked), each post entry as a
 * one-transaction block through the chosen engine, the convention of geth's `evm statetest`.
 * Prints each failure (file, entry, reason) and a last line `N passed, M failed`; `--json`
 * prints one JSON object instead.
 *
 * Exit codes: 0 when every entry passed, 1 when one failed, 2 on bad input: a missing path,
 * an unreadable file or a malformed test is one line on stderr and ends the run, unless
 * `--keep-going` is given, in which case the run goes on with the other files and still exits 2.
 */
import type { Command } from 'commander'
import { createEvmExecutor, InputError } from '../evm/index.js'
import { listFixtureFiles } from '../ethtest/fixtures.js'
import { loadStateTestFile, runStateTestEntry, type StateTestBackend, type StateTestResult } from '../ethtest/stateTest.js'
import { displayPath, parseConformanceEngine, positiveInt, type ConformanceEngine } from './util.js'

export type StatetestEngine = ConformanceEngine

export interface StatetestOpts {
  engine: StatetestEngine
  threads: number
  json?: boolean
  keepGoing?: boolean
}



/** Runs the command; returns the exit code. */
export async function runStatetestCommand(paths: string[], opts: StatetestOpts): Promise<number> {
  const badInput: string[] = []
  const inputError = (e: unknown): boolean => {
    if (!(e instanceof InputError)) return false
    badInput.push(e.message)
    process.stderr.write(`error: ${e.message}\n`)
    return true
  }
  const files: string[] = []
  for (const p of paths) {
    try {
      files.push(...listFixtureFiles([p]))
    } catch (e) {
      if (!inputError(e)) throw e
      if (opts.keepGoing !== true) return 2
    }
  }
  const threads = opts.engine === 'blockstm' ? opts.threads : 1
  const executor = opts.engine === 'reference' ? undefined : createEvmExecutor({ engine: opts.engine, threads })
  const backend: StateTestBackend = executor === undefined ? { kind: 'reference' } : { kind: 'engine', executor }
  const start = performance.now()
  const results: StateTestResult[] = []
  try {
    for (const file of files) {
      let entries
      try {
        entries = loadStateTestFile(file)
      } catch (e) {
        if (!inputError(e)) throw e
        if (opts.keepGoing !== true) return 2
        continue
      }
      for (const entry of entries) {
        const r = await runStateTestEntry(entry, backend)
        results.push(r)
        if (opts.json !== true && r.status === 'failed') process.stdout.write(`FAIL ${displayPath(r.file)} ${r.name}: ${r.reason}\n`)
      }
    }
  } finally {
    await executor?.close()
  }
  const passed = results.filter((r) => r.status === 'passed').length
  const failed = results.length - passed
  if (opts.json === true) {
    const out = {
      engine: opts.engine,
      threads,
      files: files.length,
      passed,
      failed,
      ms: Math.round(performance.now() - start),
      failures: results.filter((r) => r.status === 'failed').map((r) => ({ file: r.file, entry: r.name, reason: r.reason })),
      badInput,
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  } else {
    process.stdout.write(`${passed} passed, ${failed} failed\n`)
  }
  return badInput.length > 0 ? 2 : failed > 0 ? 1 : 0
}

export function registerStatetestCommand(program: Command): Command {
  return program
    .command('statetest')
    .description('run state tests (execution-spec-tests state_test format): each post entry as a one-transaction block')
    .argument('<paths...>', 'state-test files or directories (searched recursively)')
    .option('--engine <engine>', 'sequential | blockstm | reference (plain @ethereumjs runTx)', parseConformanceEngine, 'sequential' as StatetestEngine)
    .option('--threads <n>', 'worker threads for blockstm', positiveInt('threads'), 1)
    .option('--json', 'print one JSON object')
    .option('--keep-going', 'after an unreadable file or a malformed test, go on with the other files (exit status 2 still)')
    .action(async (paths: string[], opts: StatetestOpts) => {
      process.exitCode = await runStatetestCommand(paths, opts)
    })
}
