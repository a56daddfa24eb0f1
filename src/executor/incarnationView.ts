/**
 * The state as one incarnation sees it under Block-STM: own writes first, then the
 * multi-version memory (which falls through to the pre-block state).
 *
 * Invariants:
 * - every location is read from the multi-version memory at most once per incarnation
 *   (later reads come from the cache), so the incarnation's reads are consistent and its
 *   read-set holds one entry per location;
 * - a read that meets an ESTIMATE stops the incarnation with {@link DependencySignal}; the
 *   view remembers the blocker even if the VM swallows the signal;
 * - a read that finds the shared memory full (a {@link CapacityError} from the location
 *   table) is remembered in `capacity` the same way, even if the VM swallows it: the
 *   incarnation is then void and the block falls back to sequential execution;
 * - with a slow or lazy state source, a read that rests on a pre-block value not fetched yet
 *   returns a Promise: the first reader fetches (waits the source's latency, or asks the
 *   calling thread for the value), the others wait for it;
 * - at the end, a write whose value equals what the incarnation read at that location is
 *   dropped: validation of the read already guarantees the value, and an unchanged
 *   write-back (the EVM rewrites accounts it did not change) must not create conflicts.
 */
import type { IncarnationView, LocationKey, LocationValue } from './types.js'
import { keyToString } from './keys.js'
import {
  KIND_DELTA_ADD,
  KIND_VALUE,
  READ_DEPENDENCY,
  ReadResult,
  type MVMemory,
  type WriteOp,
} from '../mvmemory/mvMemory.js'
import { decodeNumeric, encodeNumeric } from '../mvmemory/numeric.js'
import { FETCH_NEEDED, FETCH_READY, FETCH_RUNNING, R } from '../mvmemory/locationTable.js'
import { CapacityError, EngineAbortedError, H, type SharedMemory } from '../mvmemory/sharedMemory.js'
import type { ReadSetCapture } from '../validation/readSet.js'
import { recordFetchWait, requestFetch } from './fetchQueue.js'

/** What the view needs to know of the scheduler: whether a lower transaction has executed. */
export interface ExecutionStatus {
  isExecuted(txIdx: number): boolean
}

/** Thrown out of a transaction VM when the incarnation must wait for transaction `blocker`. */
export class DependencySignal {
  readonly name = 'DependencySignal'
  constructor(readonly blocker: number) {}
  get message(): string {
    return `execution depends on transaction ${this.blocker}`
  }
}

interface LocalEntry {
  key: LocationKey
  /** The value written, or undefined for a pending delta. */
  value: LocationValue | undefined
  delta: bigint
}

export class BlockSTMView implements IncarnationView {
  txIdx = 0
  blockedOn = -1
  /** The block came from `dependOn` declared before any read (no work lost), not from a read. */
  blockedByHint = false
  /**
   * Scheduler v2: the incarnation whose reads register at their location (MVMemory
   * "registered reads"), so that later writes can abort exactly this reader; -1: none.
   * Set after `reset`.
   */
  registerInc = -1
  /** Set when a read of this incarnation ran out of shared memory (see the module comment). */
  capacity: CapacityError | undefined = undefined
  private readonly local = new Map<string, LocalEntry>()
  private readonly cache = new Map<string, LocationValue | undefined>()
  private readonly scratch = new ReadResult()

  constructor(
    private readonly mv: MVMemory,
    private readonly scheduler: ExecutionStatus,
    private readonly reads: ReadSetCapture,
  ) {}

  reset(txIdx: number): void {
    this.txIdx = txIdx
    this.blockedOn = -1
    this.blockedByHint = false
    this.capacity = undefined
    this.registerInc = -1
    this.local.clear()
    this.cache.clear()
    this.reads.reset()
  }

  read(key: LocationKey): LocationValue | undefined | Promise<LocationValue | undefined> {
    const s = keyToString(key)
    const l = this.local.get(s)
    if (l !== undefined) {
      if (l.value !== undefined) return l.value
      const under = this.readShared(key, s)
      if (under instanceof Promise) return under.then((u) => this.withLocalDelta(s, u))
      return this.withLocalDelta(s, under)
    }
    return this.readShared(key, s)
  }

  private withLocalDelta(s: string, under: LocationValue | undefined): LocationValue | undefined {
    const l = this.local.get(s)!
    if (l.value !== undefined) return l.value
    return encodeNumeric(decodeNumeric(under) + l.delta)
  }

  private readShared(key: LocationKey, s: string): LocationValue | undefined | Promise<LocationValue | undefined> {
    if (this.cache.has(s)) return this.cache.get(s)
    if (this.blockedOn >= 0) throw new DependencySignal(this.blockedOn)
    if (this.capacity !== undefined) throw this.capacity
    let rec: number
    try {
      rec = this.mv.table.findOrInsert(key)
    } catch (e) {
      if (e instanceof CapacityError) this.capacity = e
      throw e
    }
    const r = this.scratch
    // FETCH before the read: a base value published after this load is not trusted (a lazy
    // base state fills BASE_LEN/BASE_AT when it publishes FETCH_READY).
    const ready = Atomics.load(this.mv.mem.i32, rec + R.FETCH) === FETCH_READY
    this.mv.read(rec, this.txIdx, r, true, this.registerInc)
    if (r.fromBase && !ready) {
      // The pre-block value is still at the slow source: fetch it (once per block, whoever
      // asks first), then read again — lower transactions may have written meanwhile.
      return fetchBase(this.mv.mem, rec).then(() => {
        if (this.cache.has(s)) return this.cache.get(s)
        return this.finishRead(rec, s)
      })
    }
    return this.complete(rec, s, r)
  }

  private finishRead(rec: number, s: string): LocationValue | undefined {
    if (this.blockedOn >= 0) throw new DependencySignal(this.blockedOn)
    this.mv.read(rec, this.txIdx, this.scratch, true, this.registerInc)
    return this.complete(rec, s, this.scratch)
  }

  private complete(rec: number, s: string, r: ReadResult): LocationValue | undefined {
    if (r.kind === READ_DEPENDENCY) {
      this.blockedOn = r.tx
      throw new DependencySignal(r.tx)
    }
    this.reads.add(rec, r)
    this.cache.set(s, r.value)
    return r.value
  }

  write(key: LocationKey, value: LocationValue): void {
    const s = keyToString(key)
    const l = this.local.get(s)
    if (l !== undefined) {
      l.value = value
      l.delta = 0n
    } else this.local.set(s, { key, value, delta: 0n })
  }

  addDelta(key: LocationKey, amount: bigint): void {
    checkDelta(amount)
    if (amount === 0n) return
    const s = keyToString(key)
    const l = this.local.get(s)
    if (l === undefined) this.local.set(s, { key, value: undefined, delta: amount })
    else if (l.value !== undefined) l.value = encodeNumeric(decodeNumeric(l.value) + amount)
    else l.delta += amount
  }

  dependOn(txIndex: number): void {
    if (txIndex >= this.txIdx || txIndex < 0) {
      throw new RangeError(`transaction ${this.txIdx} cannot depend on transaction ${txIndex}`)
    }
    if (this.blockedOn >= 0) throw new DependencySignal(this.blockedOn)
    if (this.scheduler.isExecuted(txIndex)) return
    this.blockedOn = txIndex
    // Free only when declared before any read: then the incarnation lost no work.
    this.blockedByHint = this.reads.size === 0
    throw new DependencySignal(txIndex)
  }

  /** The incarnation's write-set, unchanged write-backs dropped. */
  writeSet(): WriteOp[] {
    const out: WriteOp[] = []
    for (const [s, l] of this.local) {
      if (l.value !== undefined) {
        if (this.cache.has(s)) {
          const seen = this.cache.get(s)
          if (seen !== undefined && equalBytes(seen, l.value)) continue
        }
        out.push({ key: l.key, kind: KIND_VALUE, bytes: l.value })
      } else {
        out.push({ key: l.key, kind: KIND_DELTA_ADD, bytes: encodeNumeric(l.delta) })
      }
    }
    return out
  }
}

/** Deltas are credits: a negative amount is a VM bug, rejected alike by every engine. */
export function checkDelta(amount: bigint): void {
  if (amount < 0n) throw new RangeError(`delta amounts must be non-negative (got ${amount})`)
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Makes the pre-block value of `rec` available, once per location per block whoever asks:
 * - simulated slow source (`H.FETCH_LATENCY_US`): the value was placed in shared memory with
 *   the block; the first reader pays the latency;
 * - lazy base state (`H.FETCH_QUEUE`): the first reader asks the calling thread for it
 *   (fetchQueue.ts), and every reader waits until it is published.
 */
export async function fetchBase(mem: SharedMemory, rec: number): Promise<void> {
  const i32 = mem.i32
  const w = rec + R.FETCH
  const queue = i32[H.FETCH_QUEUE]!
  let waitStart = 0
  for (;;) {
    const state = Atomics.load(i32, w)
    if (state === FETCH_READY) {
      if (waitStart !== 0) recordFetchWait(mem, (performance.now() - waitStart) * 1000)
      return
    }
    if (mem.aborted()) throw new EngineAbortedError()
    if (state === FETCH_NEEDED && Atomics.compareExchange(i32, w, FETCH_NEEDED, FETCH_RUNNING) === FETCH_NEEDED) {
      if (queue === 0) {
        await sleepMs(i32[H.FETCH_LATENCY_US]! / 1000)
        Atomics.store(i32, w, FETCH_READY)
        Atomics.notify(i32, w)
        return
      }
      requestFetch(mem, rec)
    }
    if (queue !== 0 && waitStart === 0) waitStart = performance.now()
    const waiting = Atomics.waitAsync(i32, w, FETCH_RUNNING, 50)
    if (waiting.async) await waiting.value
  }
}
