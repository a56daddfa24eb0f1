/**
 * `blockstm report --out DIR [--quick]`: the research comparison of the static-batch planner
 * and Block-STM (src/report/run.ts). Prints a table; writes results.json/.csv, SVG charts,
 * a Block-STM timeline and index.html to DIR (default ./report). Exit status 1 when an engine
 * differed from sequential on some block.
 */
import type { Command } from 'commander'
import { resolve } from 'node:path'
import { runReport } from '../report/run.js'
import { toTable, writeReport } from '../report/output.js'
import { WORKLOAD_KINDS, type WorkloadKind } from '../workloads/types.js'
import { EVM_PREDICTORS, type EvmPredictorName } from '../evm/predictors.js'
import { positiveInt, UsageError } from './util.js'

const list = <T extends string>(name: string, allowed: readonly string[]) => (v: string) => {
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean)
  for (const x of xs) if (!allowed.includes(x)) throw new UsageError(`${name}: unknown value ${x} (one of ${allowed.join(', ')})`)
  return xs as T[]
}
const ints = (name: string) => (v: string) => v.split(',').map((s) => positiveInt(name)(s.trim()))

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Compare the static-batch planner (each predictor) with Block-STM and sequential execution; write tables, charts and index.html')
    .option('--out <dir>', 'output directory', 'report')
    .option('--quick', 'much smaller run (a smoke test)')
    .option('--kinds <list>', `workloads (${WORKLOAD_KINDS.join(',')})`, list<WorkloadKind>('--kinds', WORKLOAD_KINDS))
    .option('--accounts <list>', 'contention levels, e.g. 1,10,100,1000', ints('--accounts'))
    .option('--txs <n>', 'transactions per generated block', positiveInt('--txs'))
    .option('--threads <list>', 'thread counts (default 1,2)', ints('--threads'))
    .option('--predictors <list>', `static-batch predictors (${EVM_PREDICTORS.join(',')})`, list<EvmPredictorName>('--predictors', EVM_PREDICTORS))
    .option('--mainnet <n|all>', 'mainnet fixtures to include (default 6; quick 1; 0 for none)')
    .option('--fixtures <dir>', 'fixtures root holding mainnet/ (default $BLOCKSTM_FIXTURES, else the repository\'s fixtures/)')
    .option('--json', 'print the results as JSON instead of the table')
    .action(async (o: Record<string, unknown>) => {
      const mainnet = o.mainnet === undefined ? undefined : o.mainnet === 'all' ? 'all' : Number(o.mainnet)
      if (typeof mainnet === 'number' && !(Number.isInteger(mainnet) && mainnet >= 0)) throw new UsageError('--mainnet must be a non-negative integer or all')
      const data = await runReport({
        quick: o.quick === true,
        ...(o.kinds ? { kinds: o.kinds as WorkloadKind[] } : {}),
        ...(o.accounts ? { accounts: o.accounts as number[] } : {}),
        ...(o.txs ? { txs: o.txs as number } : {}),
        ...(o.threads ? { threads: o.threads as number[] } : {}),
        ...(o.predictors ? { predictors: o.predictors as EvmPredictorName[] } : {}),
        ...(mainnet !== undefined ? { mainnet } : {}),
        ...(o.fixtures ? { fixturesRoot: String(o.fixtures) } : {}),
        log: (l) => process.stderr.write(l + '\n'),
      })
      data.command = `blockstm ${process.argv.slice(2).join(' ')}`
      const out = resolve(String(o.out))
      const w = await writeReport(data, out)
      if (o.json) process.stdout.write(JSON.stringify(data.rows) + '\n')
      else process.stdout.write(toTable(data.rows) + '\n')
      process.stderr.write(`report: ${w.files.length} files in ${out} (open ${out}/index.html); ${data.wallSeconds} s\n`)
      if (data.rows.some((r) => !r.correct)) process.exitCode = 1
    })
}
