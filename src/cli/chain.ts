/**
 * `blockstm chain <BlockchainTests file|dir>... --db <dir>`: imports each test's genesis and
 * blocks one by one through the drop-in runBlock (runBlockParallel's runner) into a persistent
 * state store (src/dropin/store.ts, LMDB), checking every header (state root included), the
 * rejection of every `expectException` block and the final state; prints each failure and
 * `N passed, M failed` (`, K skipped`; `(S from the database)` when an earlier run on the same
 * --db recorded some). Without --db a temporary directory is used and removed.
 *
 * Exit codes: 0 no test failed, 1 one failed, 2 bad input or options, or a --db in use by
 * another process (one line on stderr).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import { InputError } from '../evm/index.js'
import { listFixtureFiles } from '../ethtest/fixtures.js'
import { createParallelRunner } from '../dropin/runBlockParallel.js'
import { openStateStore, StoreLockedError } from '../dropin/store.js'
import { runChainTests } from '../dropin/chain.js'
import { displayPath, positiveInt } from './util.js'

export interface ChainOpts {
  db?: string
  engine: 'blockstm'
  threads: number
  lanes: number
  filter?: string
  json?: boolean
}

export async function runChainCommand(paths: string[], opts: ChainOpts): Promise<number> {
  let filter: RegExp | undefined
  try {
    if (opts.filter !== undefined) filter = new RegExp(opts.filter)
    listFixtureFiles(paths)
  } catch (e) {
    process.stderr.write(`error: ${e instanceof InputError || e instanceof SyntaxError ? e.message : String(e)}\n`)
    return 2
  }
  const temp = opts.db === undefined ? mkdtempSync(join(tmpdir(), 'blockstm-chain-')) : undefined
  const dir = opts.db ?? temp!
  let store
  try {
    store = await openStateStore(dir)
  } catch (e) {
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true })
    process.stderr.write(`error: ${e instanceof StoreLockedError ? e.message : `cannot open the state store ${dir}: ${(e as Error).message}`}\n`)
    return 2
  }
  const runner = createParallelRunner({ threads: opts.threads, lanes: opts.lanes })
  const start = performance.now()
  let summary
  try {
    summary = await runChainTests(paths, store, runner, {
      ...(filter !== undefined ? { filter } : {}),
      onResult: (r) => {
        if (opts.json !== true && r.status === 'failed') process.stdout.write(`FAIL ${displayPath(r.file)} ${r.name}: ${r.reason}\n`)
      },
    })
  } catch (e) {
    if (e instanceof InputError) {
      process.stderr.write(`error: ${e.message}\n`)
      return 2
    }
    throw e
  } finally {
    await runner.close()
    await store.close()
    if (temp !== undefined) rmSync(temp, { recursive: true, force: true })
  }
  if (opts.json === true) {
    const out = {
      engine: 'blockstm',
      threads: opts.threads,
      db: opts.db ?? null,
      passed: summary.passed,
      failed: summary.failed,
      skipped: summary.skipped,
      fromDatabase: summary.stored,
      ms: Math.round(performance.now() - start),
      failures: summary.results.filter((r) => r.status === 'failed').map((r) => ({ file: r.file, test: r.name, reason: r.reason })),
    }
    process.stdout.write(JSON.stringify(out) + '\n')
  } else {
    const line = `${summary.passed} passed, ${summary.failed} failed${summary.skipped > 0 ? `, ${summary.skipped} skipped` : ''}`
    process.stdout.write(line + (summary.stored > 0 ? ` (${summary.stored} from the database)` : '') + '\n')
  }
  return summary.failed > 0 ? 1 : 0
}

function parseEngine(v: string): 'blockstm' {
  if (v !== 'blockstm') throw new InvalidArgumentError("engine must be 'blockstm' (the drop-in runBlock)")
  return v
}

export function registerChainCommand(program: Command): Command {
  return program
    .command('chain')
    .description('import BlockchainTests through the drop-in runBlock into a persistent state store (--db), checking every header and the final state')
    .argument('<paths...>', 'BlockchainTests fixture files or directories')
    .option('--db <dir>', 'state store directory (kept across runs; default: a temporary directory)')
    .option('--engine <engine>', 'blockstm', parseEngine, 'blockstm' as const)
    .option('--threads <n>', 'worker threads', positiveInt('threads'), 2)
    .option('--lanes <n>', 'executions in flight per thread', positiveInt('lanes'), 4)
    .option('--filter <regex>', 'run only tests whose name or file path matches')
    .option('--json', 'print one JSON object')
    .action(async (paths: string[], opts: ChainOpts) => {
      process.exitCode = await runChainCommand(paths, opts)
    })
}
