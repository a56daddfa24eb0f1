/**
 * `blockstm workload`: writes a generated benchmark block (src/workloads) as a fixture
 * directory (block.json, prestate.json, workload.json) that `blockstm block` and
 * `blockstm bench --block` read, so that a workload can be inspected, shared or replayed.
 *
 * Exit status: 0 written, 2 bad input (one-line message).
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { generateWorkload, writeFixture, WORKLOAD_KINDS, type WorkloadKind, type WorkloadParams } from '../workloads/index.js'
import { UsageError, nonNegativeNumber, positiveInt } from './util.js'

interface WorkloadOpts {
  kind: string
  txs: number
  accounts: number
  seed: number
  zipf?: number
  out: string
}

export function registerWorkloadCommand(program: Command): void {
  program
    .command('workload')
    .description('write a generated benchmark block as a fixture directory (for block and bench --block)')
    .requiredOption('--kind <kind>', `${WORKLOAD_KINDS.join(', ')}`)
    .requiredOption('--out <dir>', 'directory to write (created if missing)')
    .option('--txs <n>', 'transactions in the block', positiveInt('--txs'), 2000)
    .option(
      '--accounts <n>',
      'contention knob: raw distinct accounts; raw-hot distinct senders; erc20 token holders; uniswap pools; nft contracts; mixed: each component',
      positiveInt('--accounts'),
      10000,
    )
    .option('--seed <n>', 'seed of every random choice and key', positiveInt('--seed'), 1)
    .option('--zipf <s>', 'Zipf exponent of the hot-item choice (0: uniform)', nonNegativeNumber('--zipf'))
    .action(async (o: WorkloadOpts) => {
      if (!(WORKLOAD_KINDS as readonly string[]).includes(o.kind)) throw new UsageError(`--kind: unknown kind ${JSON.stringify(o.kind)} (known: ${WORKLOAD_KINDS.join(', ')})`)
      const params: WorkloadParams = { kind: o.kind as WorkloadKind, txs: o.txs, accounts: o.accounts, seed: o.seed }
      if (o.zipf !== undefined && o.zipf > 0) params.zipf = o.zipf
      const w = await generateWorkload(params)
      const dir = resolve(o.out)
      writeFixture(w, dir)
      console.log(`${w.name}: ${w.block.transactions.length} transactions, ${w.preState.size} pre-state accounts → ${dir}`)
    })
}
