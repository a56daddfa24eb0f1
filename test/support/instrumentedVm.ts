/**
 * An instrumented transaction VM for the scheduler tests, loaded by path (also inside
 * workers). It runs the mock VM and records, in a SharedArrayBuffer that travels in the
 * payload (so every thread writes the same counters):
 *   - per transaction, how many executions of it are in flight right now; starting one while
 *     another is in flight counts an overlap (a violation of "no transaction runs twice at
 *     once");
 *   - per transaction, how many times it was executed (VM calls, including the ones stopped
 *     by a dependency);
 *   - how many executions of any transaction are in flight at once (the maximum), which
 *     shows the run really was concurrent.
 * With `dependOnPrev`, transaction i first calls `view.dependOn(i - 1)`. Its `prefetch`
 * counts its calls (and the `from` they got) and returns once told to stop or after 50 ms.
 *
 * Latches force an interleaving instead of hoping for one: `latches` holds a transaction's
 * execution (its n-th VM call, at its start) until a condition on shared memory holds —
 * other transactions' calls started or ended (counted here), or a counter of the engine's
 * own shared memory (`engine`: the executor's buffer; `dependencyWaits` becomes ≥ 1 only
 * once a transaction really is suspended in the scheduler). For example "tx 0 waits until
 * tx 1 has ended its first execution" makes tx 1 read what tx 0 writes before tx 0 writes
 * it: tx 1's first incarnation is then aborted, whatever the threads do. The wait polls
 * (1 ms) and gives up after 30 s, counting a timeout (tests assert there was none).
 */
import type { IncarnationView, TransactionVM } from '../../src/executor/types.js'
import { createTransactionVM as createMockVM, type MockBlock, type MockOutput } from '../../src/mock/mockVm.js'
import type { SharedMemory } from '../../src/mvmemory/sharedMemory.js'
import { SH } from '../../src/scheduler/words.js'

/** The shared memory of a Block-STM executor (for latches on its statistics). */
export function engineBuffer(ex: object): SharedArrayBuffer {
  const mem = (ex as { mem?: SharedMemory }).mem
  if (mem === undefined || !(mem.buffer instanceof SharedArrayBuffer)) throw new Error('not a Block-STM executor with shared memory')
  return mem.buffer
}

/** What a latch waits for (all must hold). */
export interface LatchCondition {
  /** Each of these transactions has started at least `atLeast` VM calls (default 1). */
  started?: { txs: number[]; atLeast?: number }
  /** Each of these transactions has ended (returned or thrown) at least `atLeast` VM calls (default 1). */
  ended?: { txs: number[]; atLeast?: number }
  /** The engine's statistics (read from `engine`) have reached these values. */
  engine?: { dependencyWaits?: number; aborts?: number }
}

/** Holds the `call`-th VM call (1-based, default 1) of transaction `tx`, at its start, until `until` holds. */
export interface Latch {
  tx: number
  call?: number
  until: LatchCondition
}

export interface InstrumentedPayload {
  block: MockBlock
  counters: SharedArrayBuffer
  dependOnPrev?: boolean
  latches?: Latch[]
  /** The executor's shared memory (for `engine` conditions). */
  engine?: SharedArrayBuffer
}

/** Word indices in `counters`. */
export const C = { OVERLAPS: 0, IN_FLIGHT: 1, MAX_IN_FLIGHT: 2, CALLS: 3, PREFETCHES: 4, PREFETCH_FROM_SUM: 5, ON_PREFETCHED: 6, LATCH_TIMEOUTS: 7, LATCHES_HELD: 8, PER_TX: 9 } as const

/** Header words of the engine's shared memory read by `engine` conditions. */
const ENGINE_WORD = { aborts: SH.STAT_ABORTS, dependencyWaits: SH.STAT_DEP_WAITS } as const
const LATCH_TIMEOUT_MS = 30_000

/** Payload objects this thread's `prefetch` has seen. */
const prefetched = new WeakSet<object>()

export function countersFor(txCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer((C.PER_TX + 3 * txCount) * 4)
}

function latchHolds(c: LatchCondition, i32: Int32Array, n: number, engine: Int32Array | undefined): boolean {
  if (c.started !== undefined) for (const tx of c.started.txs) if (Atomics.load(i32, C.PER_TX + n + tx) < (c.started.atLeast ?? 1)) return false
  if (c.ended !== undefined) for (const tx of c.ended.txs) if (Atomics.load(i32, C.PER_TX + 2 * n + tx) < (c.ended.atLeast ?? 1)) return false
  if (c.engine !== undefined) {
    if (engine === undefined) throw new Error('a latch on the engine needs the executor buffer in the payload (engine)')
    for (const [k, want] of Object.entries(c.engine)) if (Atomics.load(engine, ENGINE_WORD[k as keyof typeof ENGINE_WORD]) < want!) return false
  }
  return true
}

async function holdAt(p: InstrumentedPayload, tx: number, call: number, i32: Int32Array, engine: Int32Array | undefined): Promise<void> {
  for (const l of p.latches ?? []) {
    if (l.tx !== tx || (l.call ?? 1) !== call) continue
    const until = performance.now() + LATCH_TIMEOUT_MS
    let held = false
    while (!latchHolds(l.until, i32, p.block.txs.length, engine)) {
      if (!held) Atomics.add(i32, C.LATCHES_HELD, 1)
      held = true
      if (performance.now() > until) {
        Atomics.add(i32, C.LATCH_TIMEOUTS, 1)
        break
      }
      await new Promise((r) => setTimeout(r, 1))
    }
  }
}

export function readCounters(sab: SharedArrayBuffer, txCount: number) {
  const i32 = new Int32Array(sab)
  return {
    overlaps: Atomics.load(i32, C.OVERLAPS),
    inFlight: Atomics.load(i32, C.IN_FLIGHT),
    maxInFlight: Atomics.load(i32, C.MAX_IN_FLIGHT),
    calls: Atomics.load(i32, C.CALLS),
    prefetches: Atomics.load(i32, C.PREFETCHES),
    prefetchFromSum: Atomics.load(i32, C.PREFETCH_FROM_SUM),
    /** Latches that gave up after 30 s (the forced interleaving did not happen). */
    latchTimeouts: Atomics.load(i32, C.LATCH_TIMEOUTS),
    /** Latches that really held an execution (their condition was false when it arrived). */
    latchesHeld: Atomics.load(i32, C.LATCHES_HELD),
    /** VMs created on a payload object that this thread's prefetch had seen (an announced block). */
    onPrefetched: Atomics.load(i32, C.ON_PREFETCHED),
    active: Array.from({ length: txCount }, (_, tx) => Atomics.load(i32, C.PER_TX + tx)),
    callsPerTx: Array.from({ length: txCount }, (_, tx) => Atomics.load(i32, C.PER_TX + txCount + tx)),
    endsPerTx: Array.from({ length: txCount }, (_, tx) => Atomics.load(i32, C.PER_TX + 2 * txCount + tx)),
  }
}

export function createTransactionVM(payload: unknown, lane: number): TransactionVM<MockOutput> {
  const p = payload as InstrumentedPayload
  const inner = createMockVM(p.block)
  const i32 = new Int32Array(p.counters)
  const n = p.block.txs.length
  const engine = p.engine !== undefined ? new Int32Array(p.engine) : undefined
  void lane
  if (prefetched.has(p)) Atomics.add(i32, C.ON_PREFETCHED, 1)
  return {
    async execute(tx: number, view: IncarnationView): Promise<MockOutput> {
      if (Atomics.add(i32, C.PER_TX + tx, 1) !== 0) Atomics.add(i32, C.OVERLAPS, 1)
      const call = Atomics.add(i32, C.PER_TX + n + tx, 1) + 1
      Atomics.add(i32, C.CALLS, 1)
      const now = Atomics.add(i32, C.IN_FLIGHT, 1) + 1
      for (;;) {
        const max = Atomics.load(i32, C.MAX_IN_FLIGHT)
        if (now <= max || Atomics.compareExchange(i32, C.MAX_IN_FLIGHT, max, now) === max) break
      }
      try {
        if (p.latches !== undefined) await holdAt(p, tx, call, i32, engine)
        // Let other lanes and threads interleave with this execution.
        await new Promise((r) => setImmediate(r))
        if (p.dependOnPrev && tx > 0) view.dependOn(tx - 1)
        return await inner.execute(tx, view)
      } finally {
        Atomics.sub(i32, C.PER_TX + tx, 1)
        Atomics.sub(i32, C.IN_FLIGHT, 1)
        Atomics.add(i32, C.PER_TX + 2 * n + tx, 1)
      }
    },
  }
}

export async function prefetch(payload: unknown, from: number, stop: () => boolean): Promise<void> {
  const i32 = new Int32Array((payload as InstrumentedPayload).counters)
  prefetched.add(payload as object)
  Atomics.add(i32, C.PREFETCHES, 1)
  Atomics.add(i32, C.PREFETCH_FROM_SUM, from)
  const until = performance.now() + 50
  while (!stop() && performance.now() < until) await new Promise((r) => setTimeout(r, 1))
}
