/**
 * The shared memory that every thread of one Block-STM executor maps: one SharedArrayBuffer
 * viewed as Int32 words and as bytes. It holds the multi-version memory (location table,
 * version lists, values, read-sets) and the scheduler state, so that any worker reads or
 * updates them directly, with no message round trip.
 *
 * Layout (Int32 word indices):
 *   [0, HEADER_WORDS)     header: allocation pointer, table geometry, scheduler counters
 *   [HEADER_WORDS, ...)   bump-allocated region, reset for every block
 *
 * Invariants:
 * - Offsets handed out by the allocator are word aligned and never reused within a block;
 *   nothing is freed until `resetForBlock`, so a reader holding an offset never sees it
 *   reused under it.
 * - Every mutable multi-word structure is guarded by a spin lock word (`lock`/`unlock`);
 *   the lock's Atomics operations order the plain reads and writes made under it.
 * - The ABORT word, once set for a block, makes every spinning thread give up with
 *   {@link EngineAbortedError} instead of waiting on a lock or a task forever.
 */
import { ArenaExhaustedError, EngineAbortedError } from './errors.js'

export const WORD = 4

/** Header word indices. */
export const H = {
  BUMP: 0, // next free word (global allocation pointer)
  LIMIT: 1, // total words
  TABLE: 2, // word index of the location table slots
  TABLE_MASK: 3, // capacity - 1
  TABLE_COUNT: 4, // locations inserted
  TX_COUNT: 5,
  TX_BASE: 6, // word index of the per-transaction records
  EXECUTION_IDX: 8,
  VALIDATION_IDX: 9,
  DECREASE_CNT: 10,
  NUM_ACTIVE: 11,
  DONE: 12,
  ABORT: 13,
  STAT_EXECUTIONS: 14,
  STAT_VALIDATIONS: 15,
  STAT_ABORTS: 16,
  STAT_DEP_WAITS: 17,
  BLOCK_SEQ: 18, // incremented per block, for sanity checks across threads
  IDLE_SEQ: 19, // bumped whenever new work may have appeared (wakes idle threads)
  FETCH_LATENCY_US: 20, // > 0: pre-block values come from a slow source, fetched on first use
  SERIAL: 21, // 1 once the block has switched to serial mode (threads stop; the caller finishes it)
  SERIAL_BUDGET: 22, // wasted work (SERIAL_WASTE) allowed before that switch (-1: never)
  SERIAL_AT: 23, // execution_idx when the switch happened
  SERIAL_WASTE: 24, // aborts + dependency waits that cost work, counted against SERIAL_BUDGET
  SERIAL_FLOOR: 25, // waste always tolerated before the progress test applies (scales with concurrency)
  IDLE_WAITERS: 26, // lanes sleeping in waitForWork (wakeIdle notifies only when some are)
  SCHEDULER: 27, // the block's scheduler: 1 = v1 (src/scheduler/scheduler.ts), 2 = v2 (schedulerV2.ts)
  // Scheduler v2 only (src/scheduler/schedulerV2.ts):
  COMMIT_IDX: 28, // transactions below it are committed (final)
  COMMIT_LOCK: 29, // held by the one thread committing in order
  COMMIT_ARMED: 30, // set by a thread that found the commit lock held: the holder looks again
  USEFUL_US: 31, // µs of executions finished and not (yet) wasted
  WASTE_US: 32, // µs of executions aborted or stopped on a read
  START_AT: 34, // float64 (words 34-35): epoch ms when the first lane started the block
  STAT_COMMITS: 36,
  STALLS: 37, // stalls added (statistics)
} as const
export const HEADER_WORDS = 48

export { EngineAbortedError, CapacityError, ArenaExhaustedError } from './errors.js'

/**
 * Bounds of the shared memory's size. Byte offsets (a key's, a value's) are stored in Int32
 * words, so every byte offset of the buffer must be at most 2^31 - 1: the buffer is at most
 * 2 GiB (its last word starts at 2^31 - 4). The lower bound leaves room for the header and
 * the smallest location table.
 */
export const MIN_MEMORY_BYTES = 64 * 1024
export const MAX_MEMORY_BYTES = 2 ** 31

const CHUNK_WORDS = 16 * 1024 // 64 KiB per thread-local chunk

export class SharedMemory {
  readonly i32: Int32Array
  readonly u8: Uint8Array
  private chunkNext = 0
  private chunkEnd = 0

  constructor(readonly buffer: SharedArrayBuffer | ArrayBuffer) {
    this.i32 = new Int32Array(buffer)
    this.u8 = new Uint8Array(buffer)
  }

  /**
   * A memory of `bytes` (rounded up to 4 KiB). Throws RangeError unless `bytes` is an
   * integer in [MIN_MEMORY_BYTES, MAX_MEMORY_BYTES].
   */
  static create(bytes: number, shared = true): SharedMemory {
    if (!Number.isInteger(bytes) || bytes < MIN_MEMORY_BYTES || bytes > MAX_MEMORY_BYTES) {
      throw new RangeError(
        `memoryBytes must be an integer from ${MIN_MEMORY_BYTES} (64 KiB) to ${MAX_MEMORY_BYTES} (2 GiB: byte offsets are stored in Int32 words), got ${bytes}`,
      )
    }
    const size = Math.ceil(bytes / (WORD * 1024)) * WORD * 1024
    const buf = shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size)
    const m = new SharedMemory(buf)
    m.i32[H.LIMIT] = size / WORD
    return m
  }

  /** Forgets this thread's current chunk (call at the start of each block). */
  resetThreadState(): void {
    this.chunkNext = 0
    this.chunkEnd = 0
  }

  /** Allocates `words` zero-initialisation-free words; returns the word index. */
  alloc(words: number): number {
    if (words > CHUNK_WORDS >> 2) return this.allocGlobal(words)
    if (this.chunkNext + words > this.chunkEnd) {
      this.chunkNext = this.allocGlobal(CHUNK_WORDS)
      this.chunkEnd = this.chunkNext + CHUNK_WORDS
    }
    const at = this.chunkNext
    this.chunkNext += words
    return at
  }

  private allocGlobal(words: number): number {
    const at = Atomics.add(this.i32, H.BUMP, words)
    const limit = this.i32[H.LIMIT]!
    // at < 0: failed requests kept adding to the pointer until it wrapped.
    if (at < 0 || at + words > limit) {
      this.abort()
      throw new ArenaExhaustedError(words, limit)
    }
    return at
  }

  /** Copies `bytes` into freshly allocated memory; returns the byte offset. */
  storeBytes(bytes: Uint8Array): number {
    if (bytes.length === 0) return 0
    const at = this.alloc((bytes.length + 3) >> 2) * WORD
    this.u8.set(bytes, at)
    return at
  }

  /** A fresh copy of `len` bytes at byte offset `at`. */
  loadBytes(at: number, len: number): Uint8Array {
    return this.u8.slice(at, at + len)
  }

  bytesEqual(at: number, len: number, other: Uint8Array): boolean {
    if (len !== other.length) return false
    const u8 = this.u8
    for (let i = 0; i < len; i++) if (u8[at + i] !== other[i]) return false
    return true
  }

  bytesEqualAt(a: number, b: number, len: number): boolean {
    const u8 = this.u8
    for (let i = 0; i < len; i++) if (u8[a + i] !== u8[b + i]) return false
    return true
  }

  aborted(): boolean {
    return Atomics.load(this.i32, H.ABORT) !== 0
  }

  abort(): void {
    Atomics.store(this.i32, H.ABORT, 1)
    Atomics.add(this.i32, H.IDLE_SEQ, 1)
    Atomics.notify(this.i32, H.IDLE_SEQ)
  }

  /**
   * Wakes the lanes sleeping for work (something they wait for changed: a task became
   * available, the block is done or serial). One load when none sleeps.
   */
  wakeIdle(): void {
    const i32 = this.i32
    if (Atomics.load(i32, H.IDLE_WAITERS) === 0) return
    Atomics.add(i32, H.IDLE_SEQ, 1)
    Atomics.notify(i32, H.IDLE_SEQ)
  }

  /**
   * Sleeps a lane that found nothing to do, without holding its thread (other lanes run),
   * until {@link wakeIdle} or `timeoutMs`. No wake-up is lost: the lane registers as a
   * waiter first, then reads the wake counter, then looks for work once more (`findWork`;
   * true: found, no sleep) — a state change after that look sees the waiter and bumps the
   * counter, so the wait returns at once.
   */
  async sleepForWork(findWork: () => boolean, timeoutMs: number): Promise<void> {
    const i32 = this.i32
    Atomics.add(i32, H.IDLE_WAITERS, 1)
    try {
      const seen = Atomics.load(i32, H.IDLE_SEQ)
      if (findWork()) return
      const w = Atomics.waitAsync(i32, H.IDLE_SEQ, seen, timeoutMs)
      if (w.async) await w.value
    } finally {
      Atomics.sub(i32, H.IDLE_WAITERS, 1)
    }
  }

  /** Acquires the spin lock word at `idx`. */
  lock(idx: number): void {
    const i32 = this.i32
    if (Atomics.compareExchange(i32, idx, 0, 1) === 0) return
    let spins = 0
    for (;;) {
      if (Atomics.load(i32, idx) === 0 && Atomics.compareExchange(i32, idx, 0, 1) === 0) return
      if (++spins > 64) {
        if (this.aborted()) throw new EngineAbortedError()
        // The holder may be descheduled: sleep briefly instead of burning its core.
        Atomics.wait(i32, idx, 1, 0.02)
        spins = 0
      }
    }
  }

  unlock(idx: number): void {
    Atomics.store(this.i32, idx, 0)
  }
}

/**
 * Per-transaction record (words at `H.TX_BASE + txIdx * TX_WORDS`), shared by the scheduler
 * (status, incarnation, dependents) and the multi-version memory (last read-set and last
 * written locations of the transaction's latest recorded incarnation).
 */
export const T = {
  LOCK: 0, // guards STATUS, INCARNATION, DEP_HEAD
  STATUS: 1,
  INCARNATION: 2,
  DEP_HEAD: 3, // 1 + index of the first transaction waiting on this one, 0 for none
  DEP_NEXT: 4, // 1 + index of the next transaction in the list this one waits in
  READS_AT: 5, // word index of the last read-set block (its first word is its entry count)
  WRITES_AT: 7, // word index of the last written location records
  WRITES_LEN: 8,
  // Scheduler v2 only (src/scheduler/schedulerV2.ts):
  ABORT_REQ: 9, // 1 + the incarnation aborted while it was executing, 0 for none
  STALL: 10, // stalls held on this transaction (it is not handed out while > 0)
  PROPAGATES: 11, // 1 while the transaction holds a stall on each of its aborted dependents
  ABORTED_HEAD: 12, // head of the list of transactions this one's writes aborted (nodes [tx, next])
  DURATION_US: 13, // µs its last recorded incarnation took (charged as waste if it is aborted)
} as const
export const TX_WORDS = 16
