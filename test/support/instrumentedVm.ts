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
 */
import type { IncarnationView, TransactionVM } from '../../src/executor/types.js'
import { createTransactionVM as createMockVM, type MockBlock, type MockOutput } from '../../src/mock/mockVm.js'

export interface InstrumentedPayload {
  block: MockBlock
  counters: SharedArrayBuffer
  dependOnPrev?: boolean
}

/** Word indices in `counters`. */
export const C = { OVERLAPS: 0, IN_FLIGHT: 1, MAX_IN_FLIGHT: 2, CALLS: 3, PREFETCHES: 4, PREFETCH_FROM_SUM: 5, ON_PREFETCHED: 6, PER_TX: 7 } as const

/** Payload objects this thread's `prefetch` has seen. */
const prefetched = new WeakSet<object>()

export function countersFor(txCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer((C.PER_TX + 2 * txCount) * 4)
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
    /** VMs created on a payload object that this thread's prefetch had seen (an announced block). */
    onPrefetched: Atomics.load(i32, C.ON_PREFETCHED),
    active: Array.from({ length: txCount }, (_, tx) => Atomics.load(i32, C.PER_TX + tx)),
    callsPerTx: Array.from({ length: txCount }, (_, tx) => Atomics.load(i32, C.PER_TX + txCount + tx)),
  }
}

export function createTransactionVM(payload: unknown, lane: number): TransactionVM<MockOutput> {
  const p = payload as InstrumentedPayload
  const inner = createMockVM(p.block)
  const i32 = new Int32Array(p.counters)
  const n = p.block.txs.length
  void lane
  if (prefetched.has(p)) Atomics.add(i32, C.ON_PREFETCHED, 1)
  return {
    async execute(tx: number, view: IncarnationView): Promise<MockOutput> {
      if (Atomics.add(i32, C.PER_TX + tx, 1) !== 0) Atomics.add(i32, C.OVERLAPS, 1)
      Atomics.add(i32, C.PER_TX + n + tx, 1)
      Atomics.add(i32, C.CALLS, 1)
      const now = Atomics.add(i32, C.IN_FLIGHT, 1) + 1
      for (;;) {
        const max = Atomics.load(i32, C.MAX_IN_FLIGHT)
        if (now <= max || Atomics.compareExchange(i32, C.MAX_IN_FLIGHT, max, now) === max) break
      }
      try {
        // Let other lanes and threads interleave with this execution.
        await new Promise((r) => setImmediate(r))
        if (p.dependOnPrev && tx > 0) view.dependOn(tx - 1)
        return await inner.execute(tx, view)
      } finally {
        Atomics.sub(i32, C.PER_TX + tx, 1)
        Atomics.sub(i32, C.IN_FLIGHT, 1)
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
