/** `blockstm bench-core`: the engine on CPU-bound mock transactions (see src/bench/benchCore.ts). */
import type { Command } from 'commander'
import { benchCore } from '../bench/benchCore.js'
import { nonNegativeNumber, positiveInt } from './util.js'

export function registerBenchCoreCommand(program: Command): void {
  program
    .command('bench-core')
    .description('time sequential, Block-STM and the ideal split on a block of CPU-bound mock transactions')
    .option('--txs <n>', 'transactions in the block', positiveInt('--txs'), 2000)
    .option('--keys <n>', 'distinct keys (1: every transaction conflicts)', positiveInt('--keys'), 100000)
    .option('--threads <n>', 'worker threads', positiveInt('--threads'), 2)
    .option('--work-us <us>', 'CPU work per transaction in microseconds', nonNegativeNumber('--work-us'), 100)
    .option('--seed <n>', 'seed of the key choice', positiveInt('--seed'), 1)
    .option('--rounds <n>', 'timed rounds after warm-up (median reported)', positiveInt('--rounds'), 5)
    .option('--json', 'print one JSON object')
    .action(async (o: { txs: number; keys: number; threads: number; workUs: number; seed: number; rounds: number; json?: boolean }) => {
      const r = await benchCore({ txs: o.txs, keys: o.keys, threads: o.threads, workUs: o.workUs, seed: o.seed, harness: { rounds: o.rounds } })
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
