/**
 * `blockstm block <dir>`: executes one fixture block (block.json, prestate.json,
 * block_hashes.json in <dir> or its parent) and checks the results against its header.
 *
 * Exit codes: 0 when every header check holds, 1 when one fails, 2 on bad input (one line on
 * stderr naming the file and the problem, no stack trace).
 */
import { SCHEDULER_HELP, parseScheduler } from './util.js'
import type { SchedulerKind } from '../scheduler/types.js'
import { writeFileSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { type Command, InvalidArgumentError } from 'commander'
import { bytesToHex } from '@ethereumjs/util'
import { createEvmExecutor, InputError, InvalidBlockError, loadBlockFixture, UnsupportedBlockError, type EngineName } from '../evm/index.js'
import { postStateToJSON } from '../evm/state.js'
import { EVM_PREDICTORS, type EvmPredictorName } from '../evm/predictors.js'
import { writeTimelineSVG } from '../report/timeline.js'

interface BlockOpts {
  engine: EngineName
  threads: number
  predictor?: EvmPredictorName
  poststate?: string
  timeline?: string
  json?: boolean
  scheduler?: SchedulerKind
  /** blockstm: the calling thread executes too (default; --no-caller-executes turns it off). */
  callerExecutes?: boolean
  /** --default-jit: keep V8's default tiering instead of {@link shortRunTiering}. */
  defaultJit?: boolean
}

/**
 * V8's interrupt budget for a one-block Block-STM process: 1,000,000 bytes of bytecode run
 * before a function's next tier-up check, against V8's default of 67,584. With two threads
 * executing on two cores, the optimising compiler's background threads take CPU from them: the
 * 2,000-transaction ERC-20 block's Block-STM process used 3.4-4.3 s of CPU (both threads and
 * V8's compiler threads) at the default and 2.8-3.2 s with this budget, and finished 0.2-0.6 s
 * sooner. The sequential engine runs one thread, its compiles use the idle core, and it was
 * not faster with this budget, so it keeps V8's default (docs/benchmarks.md, "A one-block
 * process"). The flag is process-wide and is set before the engine's workers start, so they
 * run under it too; it is a tiering threshold only (no heap or code-layout change), which V8
 * reads each time a function's budget runs out. The library never sets it: a long-lived
 * caller keeps V8's defaults.
 */
export const SHORT_RUN_INTERRUPT_BUDGET = 1_000_000

function shortRunTiering(): void {
  setFlagsFromString(`--interrupt-budget=${SHORT_RUN_INTERRUPT_BUDGET}`)
}

function parseThreads(v: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('threads must be a positive integer')
  return n
}

function parseEngine(v: string): EngineName {
  if (v !== 'sequential' && v !== 'blockstm' && v !== 'static-batch') {
    throw new InvalidArgumentError("engine must be 'sequential', 'blockstm' or 'static-batch'")
  }
  return v
}

function parsePredictor(v: string): EvmPredictorName {
  if (!(EVM_PREDICTORS as readonly string[]).includes(v)) throw new InvalidArgumentError(`predictor must be one of ${EVM_PREDICTORS.join(', ')}`)
  return v as EvmPredictorName
}

/** Runs the command; returns the exit code. */
export async function runBlockCommand(dir: string, opts: BlockOpts): Promise<number> {
  if (opts.defaultJit !== true && opts.engine === 'blockstm') shortRunTiering()
  const threads = opts.engine === 'sequential' ? 1 : opts.threads
  if (opts.timeline !== undefined && opts.engine !== 'blockstm') {
    process.stderr.write('error: --timeline needs --engine blockstm\n')
    return 2
  }
  const ex = createEvmExecutor({
    engine: opts.engine,
    threads,
    ...(opts.predictor !== undefined ? { predictor: opts.predictor } : {}),
    ...(opts.timeline !== undefined ? { trace: true, minParallelTxs: 0 } : {}),
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
    // One block in a fresh process: the calling thread is one of the threads, so that one
    // worker fewer starts, loads the EVM and warms its JIT on this block alone.
    ...(opts.engine === 'blockstm' ? { callerExecutes: opts.callerExecutes !== false } : {}),
  })
  // The engine's workers start (and load the EVM) while this thread reads the fixture.
  const started = ex.start()
  started.catch(() => {})
  let fixture
  try {
    fixture = await loadBlockFixture(dir)
  } catch (e) {
    await started.catch(() => {})
    await ex.close()
    if (e instanceof InputError) {
      process.stderr.write(`error: ${e.message}\n`)
      return 2
    }
    throw e
  }
  const start = performance.now()
  let r
  try {
    await started
    r = await ex.executeBlock({
      block: fixture.block,
      preState: fixture.preState,
      blockHashes: fixture.blockHashes,
      senderHints: fixture.senderHints,
    })
  } catch (e) {
    if (e instanceof InvalidBlockError || e instanceof UnsupportedBlockError) {
      process.stderr.write(`error: ${dir}/block.json: ${e.message}\n`)
      return e instanceof InvalidBlockError ? 1 : 2
    }
    throw e
  } finally {
    await ex.close()
  }
  const ms = performance.now() - start
  if (opts.timeline !== undefined) {
    writeTimelineSVG(opts.timeline, r.trace ?? [], { title: `block ${r.number}: ${r.txCount} transactions, blockstm x${threads}` })
  }
  if (opts.poststate !== undefined) {
    writeFileSync(opts.poststate, JSON.stringify(postStateToJSON(r.postState), null, 1) + '\n')
  }
  const ok = r.headerMatch.gasUsed && r.headerMatch.logsBloom && r.headerMatch.receiptsRoot !== false && r.headerMatch.requestsHash !== false
  if (opts.json === true) {
    const out = {
      number: Number(r.number),
      hardfork: r.hardfork,
      txCount: r.txCount,
      gasUsed: r.gasUsed.toString(),
      receiptsRoot: r.receiptsRoot === null ? null : bytesToHex(r.receiptsRoot),
      ...(r.receiptsRootNote !== undefined ? { receiptsRootNote: r.receiptsRootNote } : {}),
      logsBloom: bytesToHex(r.logsBloom),
      ...(r.requestsHash !== undefined ? { requestsHash: bytesToHex(r.requestsHash), requests: r.requests!.map((q) => bytesToHex(q.bytes)) } : {}),
      headerMatch: r.headerMatch,
      engine: opts.engine,
      threads,
      ms: Math.round(ms * 100) / 100,
      stats: r.stats,
    }
    process.stdout.write(JSON.stringify(out, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)) + '\n')
  } else {
    const mark = (b: boolean | null) => (b === null ? 'n/a' : b ? 'ok' : 'MISMATCH')
    process.stdout.write(
      `block ${r.number} (${r.hardfork}), ${r.txCount} txs, ${opts.engine} x${threads}, ${ms.toFixed(1)} ms\n` +
        `  gasUsed      ${r.gasUsed} ${mark(r.headerMatch.gasUsed)}\n` +
        `  logsBloom    ${mark(r.headerMatch.logsBloom)}\n` +
        `  receiptsRoot ${r.receiptsRoot === null ? 'not computable (pre-Byzantium)' : bytesToHex(r.receiptsRoot)} ${mark(r.headerMatch.receiptsRoot)}\n` +
        (r.requestsHash !== undefined ? `  requestsHash ${bytesToHex(r.requestsHash)} ${mark(r.headerMatch.requestsHash)}\n` : '') +
        `  executions ${r.stats.executions}, aborts ${r.stats.aborts}\n`,
    )
  }
  return ok ? 0 : 1
}

export function registerBlockCommand(program: Command): Command {
  return program
    .command('block')
    .description('execute one block fixture directory and check it against its header')
    .argument('<dir>', 'directory with block.json and prestate.json (block_hashes.json here or in the parent)')
    .option('--engine <engine>', 'sequential | blockstm | static-batch', parseEngine, 'sequential' as EngineName)
    .option('--threads <n>', 'threads for blockstm (the calling thread and n - 1 workers) and static-batch (workers)', parseThreads, 1)
    .option('--no-caller-executes', 'blockstm: n worker threads, the calling thread only waiting')
    .option('--predictor <name>', `static-batch access predictor: ${EVM_PREDICTORS.join(', ')}`, parsePredictor)
    .option('--timeline <file.svg>', 'write an SVG timeline of the execution (blockstm)')
    .option('--poststate <file>', 'write the post-state (prestateTracer format, null for deleted accounts)')
    .option('--scheduler <v>', SCHEDULER_HELP, parseScheduler)
    .option('--json', 'print one JSON object')
    .option('--default-jit', "blockstm: keep V8's default tiering (without it, the one-block process raises V8's interrupt budget)")
    .action(async (dir: string, opts: BlockOpts) => {
      process.exitCode = await runBlockCommand(dir, opts)
    })
}
