/**
 * `blockstm bench-core`: the engine alone on mock transactions (see src/bench/benchCore.ts):
 * CPU-bound (`--keys`, `--work-us`) or, with `--accounts`, the latency-model p2p workload
 * (`--latency-us`, `--lanes`), compared with its dependency-graph `bound`.
 */
import type { Command } from 'commander'
import { benchCore, benchLatency } from '../bench/benchCore.js'
import { SCHEDULER_HELP, UsageError, nonNegativeNumber, parseScheduler, positiveInt } from './util.js'
import type { SchedulerKind } from '../scheduler/types.js'

interface BenchCoreOpts {
  txs: number
  keys?: number
  accounts?: number
  latencyUs?: number
  lanes?: number
  threads: number
  workUs?: number
  seed: number
  rounds?: number
  scheduler?: SchedulerKind
  json?: boolean
}

export function registerBenchCoreCommand(program: Command): void {
  program
    .command('bench-core')
    .description(
      'time sequential and Block-STM (and the ideal split) on mock transactions: CPU-bound (--keys), or the latency-model p2p workload (--accounts) against its dependency bound',
    )
    .option('--txs <n>', 'transactions in the block', positiveInt('--txs'), 2000)
    .option('--keys <n>', 'CPU-bound mode: distinct keys (1: every transaction conflicts; default 100000)', positiveInt('--keys'))
    .option('--accounts <n>', 'latency mode: p2p transfers between two of n accounts (2: a chain)', positiveInt('--accounts'))
    .option('--latency-us <us>', 'latency mode: awaited latency per transaction in microseconds (default 500)', nonNegativeNumber('--latency-us'))
    .option('--lanes <n>', 'executions in flight per thread (default 1; 16 in latency mode)', positiveInt('--lanes'))
    .option('--threads <n>', 'worker threads', positiveInt('--threads'), 2)
    .option('--work-us <us>', 'CPU work per transaction in microseconds (default 100; 10 in latency mode)', nonNegativeNumber('--work-us'))
    .option('--scheduler <v>', SCHEDULER_HELP, parseScheduler)
    .option('--seed <n>', 'seed of the key choice', positiveInt('--seed'), 1)
    .option('--rounds <n>', 'timed rounds after warm-up (median reported; default 5, 3 in latency mode)', positiveInt('--rounds'))
    .option('--json', 'print one JSON object')
    .action(async (o: BenchCoreOpts) => {
      if (o.accounts !== undefined && o.keys !== undefined) throw new UsageError('bench-core: give --keys (CPU-bound) or --accounts (latency model), not both')
      if (o.accounts === undefined && o.latencyUs !== undefined) throw new UsageError('--latency-us needs --accounts (the latency-model p2p workload)')
      if (o.accounts !== undefined) return latency(o, o.accounts)
      const r = await benchCore({
        txs: o.txs,
        keys: o.keys ?? 100000,
        threads: o.threads,
        workUs: o.workUs ?? 100,
        seed: o.seed,
        harness: { rounds: o.rounds ?? 5 },
        ...(o.lanes !== undefined ? { lanes: o.lanes } : {}),
        ...(o.scheduler !== undefined ? { scheduler: o.scheduler } : {}),
      })
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n')
      else {
        console.table({
          sequential: { ms: r.sequentialMs, speedup: 1 },
          blockstm: { ms: r.parallelMs, speedup: r.speedup },
          ideal: { ms: r.idealMs, speedup: r.idealSpeedup },
        })
        console.log(
          `blockstm reaches ${(r.speedupVsIdeal * 100).toFixed(0)}% of the ideal split; executions ${r.executions}, validations ${r.validations}, aborts ${r.aborts}; results identical: ${r.identical}`,
        )
      }
      if (!r.identical) process.exitCode = 1
    })
}

async function latency(o: BenchCoreOpts, accounts: number): Promise<void> {
  const r = await benchLatency({
    txs: o.txs,
    accounts,
    latencyUs: o.latencyUs ?? 500,
    workUs: o.workUs ?? 10,
    threads: o.threads,
    lanes: o.lanes ?? 16,
    seed: o.seed,
    ...(o.scheduler !== undefined ? { scheduler: o.scheduler } : {}),
    ...(o.rounds !== undefined ? { harness: { rounds: o.rounds } } : {}),
  })
  if (o.json) process.stdout.write(JSON.stringify(r) + '\n')
  else {
    console.table({
      sequential: { ms: r.sequentialMs, speedup: 1 },
      [`blockstm ${r.scheduler}`]: { ms: r.parallelMs, speedup: r.speedup },
      bound: { ms: '', speedup: r.bound },
    })
    console.log(
      `p2p over ${r.accounts} accounts, ${r.txs} transactions, ${r.latencyUs} µs latency, ${r.threads} threads × ${r.lanes} lanes: ` +
        `${(r.ofBound * 100).toFixed(0)}% of the bound (critical path ${r.criticalPath}); executions/tx ${r.executionsPerTx}, aborts ${r.aborts}, dependency waits ${r.dependencyWaits}` +
        `${r.fallback !== null ? `; ${r.fallback}` : ''}; results identical: ${r.identical}`,
    )
  }
  if (!r.identical) process.exitCode = 1
}
