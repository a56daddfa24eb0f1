/**
 * Timing harness for benchmarks: engines are run round-robin on the same input (so that
 * machine noise hits them alike), warmed up until the JIT has settled (every engine's time
 * within `tolerance` of its previous round for two rounds in a row, between `minWarmup` and
 * `maxWarmup` rounds), then timed for `rounds` rounds; the median counts.
 */
export interface TimedEngine {
  name: string
  /** Runs once; returns the wall time in milliseconds. */
  run(): Promise<number>
}

export interface HarnessOptions {
  minWarmup?: number
  maxWarmup?: number
  rounds?: number
  tolerance?: number
  onRound?: (phase: 'warmup' | 'timed', round: number, total: number) => void
}

export interface Timing {
  medianMs: number
  samples: number[]
  warmupRounds: number
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export async function timeEngines(engines: TimedEngine[], opts: HarnessOptions = {}): Promise<Map<string, Timing>> {
  const minWarmup = opts.minWarmup ?? 3
  const maxWarmup = opts.maxWarmup ?? 12
  const rounds = opts.rounds ?? 5
  const tolerance = opts.tolerance ?? 0.1
  const last = new Map<string, number>()
  let stable = 0
  let warm = 0
  while (warm < maxWarmup) {
    let settled = true
    for (const e of engines) {
      const ms = await e.run()
      const prev = last.get(e.name)
      if (prev === undefined || Math.abs(ms - prev) > tolerance * prev) settled = false
      last.set(e.name, ms)
    }
    warm++
    opts.onRound?.('warmup', warm, maxWarmup)
    stable = settled ? stable + 1 : 0
    if (warm >= minWarmup && stable >= 2) break
  }
  const samples = new Map<string, number[]>(engines.map((e) => [e.name, []]))
  for (let r = 0; r < rounds; r++) {
    for (const e of engines) samples.get(e.name)!.push(await e.run())
    opts.onRound?.('timed', r + 1, rounds)
  }
  return new Map(engines.map((e) => [e.name, { medianMs: median(samples.get(e.name)!), samples: samples.get(e.name)!, warmupRounds: warm }]))
}
