/**
 * The latency model of issue 16 in the report: mock peer-to-peer transactions (each moves a
 * value between two of K accounts) whose reads await a simulated storage latency, so that
 * threads × lanes executions are in flight on a few cores; sequential vs Block-STM in one
 * process, `bound` = min(executions in flight, total work / critical-path work) from the exact
 * dependency graph of the block.
 */
import { classOf } from './grid.js'
import type { LatencyRow, LatencySpec, SchedulerName } from './types.js'

/** Whether this build has the latency model (issue 16's bench-core p2p mode). */
export function latencyModelAvailable(): boolean {
  return false
}

export async function runLatencyModel(p: LatencySpec, scheduler: SchedulerName): Promise<LatencyRow> {
  void classOf
  throw new Error(`latency model not available (K=${p.accounts}, scheduler ${scheduler})`)
}
