/**
 * Child process of `blockstm bench --memory`: loads one block, runs one engine on it `runs`
 * times and prints one JSON line with its peak resident set size (process.resourceUsage,
 * worker threads included) and the RSS after loading, before any engine existed.
 */
import { fixtureBlock, workloadBlock } from './evmBlock.js'
import { createRunner, type BenchEngineName } from './evmEngines.js'
import type { WorkloadParams } from '../workloads/index.js'

interface ChildArgs {
  workload?: WorkloadParams
  block?: string
  engine: BenchEngineName
  threads: number
  runs: number
}

const args = JSON.parse(process.argv[2]!) as ChildArgs
const b = args.block !== undefined ? await fixtureBlock(args.block) : await workloadBlock(args.workload!)
;(globalThis as { gc?: () => void }).gc?.()
const loadedRssMB = process.memoryUsage().rss / 2 ** 20
const loadPeakMB = process.resourceUsage().maxRSS / 1024
const runner = await createRunner(args.engine, args.threads)
const times: number[] = []
for (let i = 0; i < args.runs; i++) times.push((await runner.run(b)).ms)
const peakRssMB = process.resourceUsage().maxRSS / 1024
await runner.close()
process.stdout.write(JSON.stringify({ engine: args.engine, txCount: b.block.transactions.length, loadedRssMB, loadPeakMB, peakRssMB, times }) + '\n')
process.exit(0)
