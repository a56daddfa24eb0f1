/**
 * `blockstm adversarial`: runs the adversarial blocks of src/reliability/adversarial.ts on
 * sequential and blockstm and prints the table (tx count, executions/tx, aborts, dependency
 * waits, serial fallback, blockstm ms vs sequential ms, results equal). Exit status 1 when a
 * result differs from sequential or executions/tx exceeds 3; 2 on bad arguments.
 */
import type { Command } from 'commander'
import { adversarialTable, runEvmAdversarial, runMockAdversarial, type AdversarialRow } from '../reliability/adversarial.js'
import { positiveInt } from './util.js'

interface Opts {
  mockTxs: number
  evmTxs: number
  threads: string
  vm: string
  json?: boolean
}

export async function runAdversarialCommand(opts: Opts): Promise<number> {
  const threads = opts.threads.split(',').map((t) => Number(t))
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) throw new Error('--threads must be a comma-separated list of positive integers')
  if (!['mock', 'evm', 'both'].includes(opts.vm)) throw new Error("--vm must be 'mock', 'evm' or 'both'")
  const rows: AdversarialRow[] = []
  if (opts.vm !== 'evm') rows.push(...(await runMockAdversarial({ txs: opts.mockTxs, threads })))
  if (opts.vm !== 'mock') rows.push(...(await runEvmAdversarial({ txs: opts.evmTxs, threads })))
  process.stdout.write((opts.json === true ? JSON.stringify(rows) : adversarialTable(rows)) + '\n')
  return rows.every((r) => r.equal && r.executionsPerTx <= 3) ? 0 : 1
}

export function registerAdversarialCommand(program: Command): Command {
  return program
    .command('adversarial')
    .description('run adversarial blocks (dependency chains, late invalidation, one sender, one hot slot) and print executions/tx and times vs sequential')
    .option('--mock-txs <n>', 'transactions per mock block', positiveInt('--mock-txs'), 1000)
    .option('--evm-txs <n>', 'transactions per EVM block', positiveInt('--evm-txs'), 1000)
    .option('--threads <list>', 'comma-separated thread counts', '2,4')
    .option('--vm <which>', 'mock | evm | both', 'both')
    .option('--json', 'print the rows as JSON')
    .action(async (opts: Opts) => {
      process.exitCode = await runAdversarialCommand(opts)
    })
}
