/**
 * How Block-STM's time on the latency model's block settles with JIT warm-up (issue 16,
 * K = 10,000): after `--warm` blocks of Block-STM alone, six rounds of [sequential block,
 * Block-STM block, Block-STM block], printing speedup ÷ bound (bench-core's `bound`, 2 threads × 16 lanes) for the Block-STM block right
 * after the sequential one and for the one back to back with it.
 *   npx tsx scripts/latency-warmup.ts [--accounts 10000] [--warm 0] [--scheduler v2]
 * Figures and their reading: docs/benchmarks.md, "The latency model's round".
 */
import { parseArgs } from 'node:util'
import { createBlockSTMExecutor, createSequentialExecutor } from '../src/executor/engine.js'
import { dependencyBound, p2pBlock } from '../src/bench/p2p.js'
import { mockVmModule } from '../src/bench/benchCore.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { calibrateHashRounds, mockBaseEntries, packMockBlock } from '../src/mock/mockVm.js'
import type { SchedulerKind } from '../src/scheduler/types.js'

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '10000' }, warm: { type: 'string', default: '0' }, scheduler: { type: 'string', default: 'v2' } } })
const accounts = Number(values.accounts)
const txs = 2000
const block = p2pBlock({ txs, accounts, latencyUs: 500, workUs: 10, seed: 1, hashRoundsPerUs: calibrateHashRounds() })
const job = { txCount: txs, payload: packMockBlock(block), base: new MapBaseState(mockBaseEntries(accounts, () => true)) }
const par = await createBlockSTMExecutor({ threads: 2, lanes: 16, vmModule: mockVmModule, scheduler: values.scheduler as SchedulerKind })
const seq = createSequentialExecutor({ vmModule: mockVmModule })
const { bound } = dependencyBound(block, 32)
for (let i = 0; i < Number(values.warm); i++) await par.execute(job)
const rounds: string[] = []
for (let i = 0; i < 6; i++) {
  const s = (await seq.execute(job)).stats.wallMs
  const afterSeq = (await par.execute(job)).stats.wallMs
  const backToBack = (await par.execute(job)).stats.wallMs
  rounds.push(`${(s / afterSeq / bound).toFixed(2)}/${(s / backToBack / bound).toFixed(2)}`)
}
console.log(JSON.stringify({ accounts, scheduler: par.scheduler, warm: Number(values.warm), ofBoundAfterSequentialAndBackToBack: rounds }))
await par.close()
