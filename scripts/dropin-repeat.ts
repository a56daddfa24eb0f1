/**
 * The drop-in alone, block after block: one generated ERC-20 block (default 2,000 transfers
 * among 10,000 holders) whose pre-state is stored in the on-disk store, run N times through
 * one parallel runner, each from the stored root with a fresh VM and state manager. Prints each
 * run's wall time, the drop-in's breakdown, the calling thread's event-loop utilisation and
 * the process's CPU time; `--gap-ms G` idles G ms before each run after the first (a client
 * between blocks). Where `dropin-bench.ts` compares with runBlock, this shows the steady state.
 *
 *   npx tsx scripts/dropin-repeat.ts [--txs 2000] [--accounts 10000] [--runs 6] [--lanes 4] [--gap-ms 0]
 */
import { parseArgs } from 'node:util'
import { createVM } from '@ethereumjs/vm'
import { createParallelRunner } from '../src/dropin/index.js'
import { storedErc20Block } from '../src/bench/storedBlock.js'

const { values } = parseArgs({ options: { txs: { type: 'string', default: '2000' }, accounts: { type: 'string', default: '10000' }, runs: { type: 'string', default: '6' }, lanes: { type: 'string', default: '4' }, 'gap-ms': { type: 'string', default: '0' } } })
const stored = await storedErc20Block({ txs: Number(values.txs), accounts: Number(values.accounts) })
const { workload: w, store, common, root } = stored
const runner = createParallelRunner({ threads: 2, lanes: Number(values.lanes) })
try {
  const opts = { block: w.block, root, generate: true, skipBlockValidation: true }
  for (let i = 0; i < Number(values.runs); i++) {
    if (i > 0 && Number(values['gap-ms']) > 0) await new Promise((r) => setTimeout(r, Number(values['gap-ms'])))
    const vm = await createVM({ common: common.copy(), stateManager: await store.stateManager(common.copy(), root) })
    const elu0 = performance.eventLoopUtilization()
    const cpu0 = process.cpuUsage()
    const t = performance.now()
    const r = await runner.runBlock(vm, opts)
    const ms = performance.now() - t
    const cpu = process.cpuUsage(cpu0)
    const s = r.stats
    console.log(
      JSON.stringify({
        run: i,
        ms: Math.round(ms),
        executeMs: Math.round(s.executeMs),
        commitMs: Math.round(s.commitMs),
        engineMs: Math.round(s.engine?.wallMs ?? 0),
        sourceBusyMs: Math.round(s.source?.busyMs ?? 0),
        fetchWaitMs: Math.round(s.engine?.fetch?.waitMs ?? 0),
        access: s.access,
        callingThreadELU: Number(performance.eventLoopUtilization(elu0).utilization.toFixed(2)),
        processCpuMs: Math.round((cpu.user + cpu.system) / 1000),
      }),
    )
  }
} finally {
  await runner.close()
  await stored.dispose()
}
