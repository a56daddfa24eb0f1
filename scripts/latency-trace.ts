/**
 * Where the latency model's parallel time goes (issue 16, K = 10,000): one p2p block
 * (`bench-core`'s, packed as bench-core sends it) on Block-STM with a trace, after warm-up
 * blocks; prints when the first task started and the last ended (relative to the execute
 * call), executions in flight every 10 ms, and the distribution of execution durations
 * (a 500 µs timer plus the wait for the lane's turn on its thread), against the sequential
 * engine's time per transaction on the same block.
 *   npx tsx scripts/latency-trace.ts [--accounts 10000] [--scheduler v1|v2] [--lanes 16] [--threads 2]
 * With `--repeat N [--gap-ms G]` it then times N more blocks untraced, G ms apart (G = 0: back
 * to back; bench-core's harness runs the sequential engine, ~2.3 s, between parallel blocks).
 * Figures and their reading: docs/benchmarks.md, "Scheduler v2 and the latency model".
 */
import { parseArgs } from 'node:util'
import { createBlockSTMExecutor, createSequentialExecutor } from '../src/executor/engine.js'
import { p2pBlock } from '../src/bench/p2p.js'
import { mockVmModule } from '../src/bench/benchCore.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { calibrateHashRounds, mockBaseEntries, packMockBlock } from '../src/mock/mockVm.js'
import type { SchedulerKind } from '../src/scheduler/types.js'
import type { TraceEvent } from '../src/executor/executor.js'

const { values } = parseArgs({ options: { accounts: { type: 'string', default: '10000' }, scheduler: { type: 'string', default: 'v2' }, lanes: { type: 'string', default: '16' }, threads: { type: 'string', default: '2' }, txs: { type: 'string', default: '2000' }, repeat: { type: 'string', default: '0' }, 'gap-ms': { type: 'string', default: '0' } } })
const accounts = Number(values.accounts)
const txs = Number(values.txs)
const block = p2pBlock({ txs, accounts, latencyUs: 500, workUs: 10, seed: 1, hashRoundsPerUs: calibrateHashRounds() })
const payload = packMockBlock(block)
const base = new MapBaseState(mockBaseEntries(accounts, () => true))
const par = await createBlockSTMExecutor({ threads: Number(values.threads), lanes: Number(values.lanes), vmModule: mockVmModule, scheduler: values.scheduler as SchedulerKind })
const seq = createSequentialExecutor({ vmModule: mockVmModule })
for (let i = 0; i < 4; i++) await par.execute({ txCount: txs, payload, base })
const s = await seq.execute({ txCount: txs, payload, base })
const t0 = performance.timeOrigin + performance.now()
const r = (await par.execute({ txCount: txs, payload, base, trace: true } as Parameters<typeof par.execute>[0])) as { stats: { wallMs: number }; trace: TraceEvent[] }
const wall = performance.timeOrigin + performance.now() - t0
const ex = r.trace.filter((e) => e.kind === 'execute')
const first = Math.min(...r.trace.map((e) => e.start))
const last = Math.max(...r.trace.map((e) => e.end))
const inFlight: string[] = []
for (let t = first; t < last; t += 10) inFlight.push(`${(t - t0).toFixed(0)}ms:${ex.filter((e) => e.start <= t && e.end > t).length}`)
const d = ex.map((e) => e.end - e.start).sort((a, b) => a - b)
const q = (f: number) => +d[Math.min(d.length - 1, Math.floor(f * d.length))]!.toFixed(2)
console.log(
  JSON.stringify({
    scheduler: values.scheduler,
    wallMs: +wall.toFixed(1),
    sequentialMsPerTx: +(s.stats.wallMs / txs).toFixed(3),
    firstTaskMs: +(first - t0).toFixed(1),
    lastEndMs: +(last - t0).toFixed(1),
    afterLastTaskMs: +(wall - (last - t0)).toFixed(1),
    executions: ex.length,
    executionMs: { p10: q(0.1), p50: q(0.5), p90: q(0.9), max: q(0.999) },
    inFlight: inFlight.join(' '),
  }),
)
const repeat = Number(values.repeat)
if (repeat > 0) {
  const walls: number[] = []
  for (let i = 0; i < repeat; i++) {
    if (Number(values['gap-ms']) > 0) await new Promise((r) => setTimeout(r, Number(values['gap-ms'])))
    const t = performance.now()
    await par.execute({ txCount: txs, payload, base })
    walls.push(+(performance.now() - t).toFixed(1))
  }
  console.log(JSON.stringify({ repeat, gapMs: Number(values['gap-ms']), wallMs: walls }))
}
await Promise.all([par.close(), seq.close()])
