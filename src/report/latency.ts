/**
 * The latency model of issue 16 in the report: the p2p workload of src/bench/p2p.ts (each
 * transaction moves a value between two of K accounts; its execution is mostly an awaited
 * latency, as storage I/O), so that threads × lanes executions are in flight on few cores.
 *
 * Engines, round-robin in one process like the EVM rows: sequential, Block-STM with each
 * scheduler (`threads` × `lanes` executions in flight), and the static-batch planner with its
 * exact predictor (the mock transactions' keys are static: `mockStaticPredictor` is the
 * oracle) — which runs one transaction per thread at a time, so at most `threads` are in
 * flight. Every run is compared with the sequential result. `bound` per engine =
 * min(executions it can keep in flight, txs / critical path of the exact dependency graph).
 */
import { createSequentialExecutor, type BlockExecutor, type BlockResult } from '../executor/engine.js'
import { createBlockSTMExecutor } from '../executor/blockstm.js'
import { MapBaseState } from '../executor/baseState.js'
import { mockVmModule } from '../bench/benchCore.js'
import { dependencyBound, p2pBlock } from '../bench/p2p.js'
import { timeEngines } from '../bench/harness.js'
import { mockBaseEntries } from '../mock/mockVm.js'
import { createStaticBatchExecutor } from '../planner/engine.js'
import { mockStaticPredictor } from '../planner/predictors.js'
import { classOf } from './grid.js'
import type { LatencyRow, LatencySpec, SchedulerName } from './types.js'

/** CPU work per transaction besides the latency (bench-core's latency-mode default). */
export const LATENCY_WORK_US = 10

const canon = (r: BlockResult<unknown>) =>
  JSON.stringify([r.outputs, r.writes], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))

interface Engine {
  label: string
  inFlight: number
  ex: BlockExecutor
}

/** Runs every point; engines are created once per (threads, lanes) and reused across points. */
export async function runLatencyModel(
  points: LatencySpec[],
  schedulers: SchedulerName[],
  harness: { warmup: number; rounds: number },
  log: (s: string) => void,
): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = []
  const groups = new Map<string, LatencySpec[]>()
  for (const p of points) {
    const k = `${p.threads}x${p.lanes}`
    groups.set(k, [...(groups.get(k) ?? []), p])
  }
  for (const ps of groups.values()) {
    const { threads, lanes } = ps[0]!
    const engines: Engine[] = [{ label: 'sequential', inFlight: 1, ex: createSequentialExecutor({ vmModule: mockVmModule }) }]
    try {
      for (const s of schedulers) engines.push({ label: `blockstm-${s}`, inFlight: threads * lanes, ex: await createBlockSTMExecutor({ threads, lanes, vmModule: mockVmModule, scheduler: s }) })
      engines.push({ label: 'static-batch/exact', inFlight: threads, ex: await createStaticBatchExecutor({ threads, vmModule: mockVmModule, predict: mockStaticPredictor, predictor: 'exact' }) })
      for (const p of ps) rows.push(...(await point(p, engines, harness, log)))
    } finally {
      for (const e of engines) await e.ex.close()
    }
  }
  return rows
}

async function point(p: LatencySpec, engines: Engine[], harness: { warmup: number; rounds: number }, log: (s: string) => void): Promise<LatencyRow[]> {
  const block = p2pBlock({ txs: p.txs, accounts: p.accounts, latencyUs: p.latencyUs, workUs: LATENCY_WORK_US, seed: 1, hashRoundsPerUs: 1 })
  const { criticalPath } = dependencyBound(block, 1)
  const parallelism = p.txs / Math.max(1, criticalPath)
  const job = { txCount: p.txs, payload: block, base: new MapBaseState(mockBaseEntries(p.accounts, () => true)) }
  const reference = canon(await engines[0]!.ex.execute(job))
  const checks = new Map(engines.map((e) => [e.label, { runs: 0, wrong: 0, executions: 0 }]))
  const timings = await timeEngines(
    engines.map((e) => ({
      name: e.label,
      run: async () => {
        const r = await e.ex.execute(job)
        const c = checks.get(e.label)!
        c.runs++
        if (canon(r) !== reference) c.wrong++
        c.executions = r.stats.executions
        return r.stats.wallMs
      },
    })),
    { minWarmup: harness.warmup, maxWarmup: harness.warmup, rounds: harness.rounds },
  )
  const seqMs = timings.get('sequential')!.medianMs
  const rows: LatencyRow[] = []
  for (const e of engines.slice(1)) {
    const ms = timings.get(e.label)!.medianMs
    const c = checks.get(e.label)!
    const cmd =
      e.label.startsWith('blockstm')
        ? `npx blockstm bench-core --accounts ${p.accounts} --latency-us ${p.latencyUs} --lanes ${p.lanes} --threads ${p.threads} --txs ${p.txs} --scheduler ${e.label.slice('blockstm-'.length)} --json`
        : `npx blockstm report --kinds none --mainnet 0 --threads ${p.threads} --latency ${p.accounts} --latency-txs ${p.txs} --out /tmp/r`
    rows.push({
      accounts: p.accounts,
      latencyUs: p.latencyUs,
      lanes: e.label.startsWith('blockstm') ? p.lanes : 1,
      threads: p.threads,
      txs: p.txs,
      label: e.label,
      inFlight: e.inFlight,
      criticalPath,
      parallelism: Math.round(parallelism * 100) / 100,
      bound: Math.round(Math.min(e.inFlight, parallelism) * 1000) / 1000,
      speedup: Math.round((seqMs / ms) * 1000) / 1000,
      executionsPerTx: Math.round((c.executions / p.txs) * 1000) / 1000,
      sequentialMs: Math.round(seqMs * 100) / 100,
      ms: Math.round(ms * 100) / 100,
      correct: c.wrong === 0 && c.runs > 0,
      checkedRuns: c.runs,
      class: classOf(parallelism, criticalPath),
      command: cmd,
    })
  }
  log(`latency K=${p.accounts} (${p.txs} txs, critical path ${criticalPath}, seq ${seqMs.toFixed(0)} ms): ` + rows.map((r) => `${r.label} ${r.speedup.toFixed(2)}× of bound ${r.bound}${r.correct ? '' : ' WRONG'}`).join(', '))
  return rows
}
