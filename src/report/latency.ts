/**
 * The latency model of issue 16 in the report (stub until issue 16's p2p workload lands).
 */
import type { LatencyRow, LatencySpec, SchedulerName } from './types.js'

export function latencyModelAvailable(): boolean {
  return false
}

export async function runLatencyModel(points: LatencySpec[], schedulers: SchedulerName[], harness: { warmup: number; rounds: number }, log: (s: string) => void): Promise<LatencyRow[]> {
  void [points, schedulers, harness, log]
  throw new Error('the latency model is not available in this build')
}
