/**
 * Seeded delays for the determinism kit: which pause, if any, to take before and after each
 * read of an incarnation's view.
 *
 * Invariants:
 * - the choice is driven only by a 32-bit PRNG seeded from the run's delay seed, the
 *   executing thread and the lane (every thread gets a different pattern, the same seed gives
 *   the same patterns);
 * - a pause never changes a value: it only moves the moment a read happens relative to the
 *   other threads (a busy spin keeps the thread, the other kinds give the event loop to the
 *   thread's other lanes, a timer also lets the other threads run ahead).
 *
 * Two modes:
 * - 'random' (default): microtasks, macrotasks, timers and busy spins; with several threads
 *   the interleavings vary from run to run (real threads, real time): good for finding
 *   bugs over many runs, but a given seed does not replay the same interleaving;
 * - 'deterministic': pauses are only chains of 1..`maxTicks` microtasks, chosen by the seed
 *   and the lane (never the thread id or how many VMs this thread made before). Nothing
 *   waits for time, so on ONE thread (`threads: 1`) the lanes' interleaving is a pure
 *   function of the delay seed and the block: the microtask queue is FIFO, an idle lane
 *   yields to the event loop only once every other lane is idle too (the block is then
 *   done), so no lane ever sleeps on a timeout. A fault that the interleaving of a seed
 *   exposes is exposed on every run, whatever the machine's load. (With several threads
 *   the pauses are the same, but the threads still race.)
 */

/** How often and how long the kit pauses around reads (see `DelayOptions` in types.ts). */
export interface DelayPlan {
  /** 'random' (default: all kinds of pause) or 'deterministic' (microtask chains only; see the module comment). */
  mode?: 'random' | 'deterministic'
  /** Probability of a pause before a read, and independently after it (0..1). */
  probability: number
  /** Longest busy spin, in microseconds ('random'). */
  maxSpinUs: number
  /** Longest timer pause, in milliseconds ('random'). */
  maxSleepMs: number
  /** Longest microtask chain ('deterministic'; default 8). */
  maxTicks?: number
}

export const DEFAULT_DELAYS: DelayPlan = { probability: 0.25, maxSpinUs: 40, maxSleepMs: 1 }

/** The deterministic plan's defaults: pauses are frequent, so that lanes overlap often. */
export const DETERMINISTIC_DELAYS: DelayPlan = { mode: 'deterministic', probability: 0.5, maxSpinUs: 0, maxSleepMs: 0, maxTicks: 8 }

/** mulberry32: a small, fast 32-bit PRNG; `next()` returns a float in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Mixes integers into one 32-bit seed. */
export function mixSeed(...xs: number[]): number {
  let h = 0x9e3779b9
  for (const x of xs) {
    h ^= x >>> 0
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

function spin(us: number): void {
  const end = performance.now() + us / 1000
  while (performance.now() < end) {
    // busy: the thread holds its core, the others move on
  }
}

/** A chain of `n` microtasks: the thread's other lanes run their next steps, in FIFO order. */
async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await undefined
}

/**
 * One pause chosen by `rnd`, or undefined (no pause: the read stays synchronous when the
 * view's read is). Deterministic plan: a chain of 1..maxTicks microtasks. Random plan, kinds equally likely: a microtask, a macrotask, a timer of up to
 * `maxSleepMs`, a busy spin of up to `maxSpinUs`.
 */
export function pauseFor(rnd: () => number, plan: DelayPlan): Promise<void> | undefined {
  if (rnd() >= plan.probability) return undefined
  if (plan.mode === 'deterministic') return ticks(1 + Math.floor(rnd() * (plan.maxTicks ?? 8)))
  const kind = Math.floor(rnd() * 4)
  switch (kind) {
    case 0:
      return Promise.resolve()
    case 1:
      return new Promise((r) => setImmediate(r))
    case 2:
      return new Promise((r) => setTimeout(r, rnd() * plan.maxSleepMs))
    default:
      spin(rnd() * plan.maxSpinUs)
      return Promise.resolve()
  }
}
