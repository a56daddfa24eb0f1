/**
 * The shared memory that every thread of one Block-STM executor maps: one SharedArrayBuffer
 * viewed as Int32 words and as bytes. It holds the multi-version memory (location table,
 * version lists, values, read-sets) and the scheduler state, so that any worker reads or
 * updates them directly, with no message round trip.
 *
 * Layout (Int32 word indices):
 *   [0, HEADER_WORDS)     header `H`: allocation pointer, table geometry, flags (the memory
 *                         layer's words, here) and the scheduler's counters (scheduler/words.ts)
 *   [HEADER_WORDS, ...)   bump-allocated region, reset for every block: the location table
 *                         and its records `R` (locationTable.ts), version entries `V`
 *                         (mvMemory.ts), keys and values (bytes), per-transaction records `T`
 *                         (here and scheduler/words.ts), read-set blocks `RS` (validation/readSet.ts)
 * Every record's words are documented where the record is defined, with their unit (word
 * index, byte offset, count, flag) and owner; wordMap.ts explains the convention.
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
import { WORD_BYTES, type WordMap } from './wordMap.js'

/** Bytes per word (the memory is viewed as Int32 words; see wordMap.ts for units). */
export const WORD = WORD_BYTES

/**
 * The header (words [0, HEADER_WORDS)): the words of the memory layer, defined here. The
 * words this map does not list belong to the scheduler (src/scheduler/words.ts `SH`) or are
 * reserved ({@link H_MAP}); test/core-layout.test.ts checks that they never overlap.
 */
export const H = {
  BUMP: 0, // word index: the next free word (global allocation pointer)
  LIMIT: 1, // count: total words of the memory
  TABLE: 2, // word index of the location table's slots (locationTable.ts)
  TABLE_MASK: 3, // count: the table's capacity - 1 (a power of two minus one)
  TABLE_COUNT: 4, // count: locations inserted in this block
  TX_COUNT: 5, // count: transactions of the block (written by the scheduler's init)
  TX_BASE: 6, // word index of the per-transaction records `T` (written by the scheduler's init)
  ABORT: 13, // flag: 1 once the block is aborted (every spinning thread gives up)
  BLOCK_SEQ: 18, // number of the block being run (executor/layout.ts), for sanity checks across threads
  IDLE_SEQ: 19, // counter: bumped whenever new work may have appeared (wakes idle threads)
  FETCH_LATENCY_US: 20, // µs: > 0 when pre-block values come from a slow source, fetched on first use
  IDLE_WAITERS: 26, // count: lanes sleeping in sleepForWork (wakeIdle notifies only when some are)
  FETCH_QUEUE: 38, // word index of the fetch-request queue of a lazy base state (0: none; executor/fetchQueue.ts)
  WRITTEN_HEAD: 39, // word index of the first location record on the block's written list (locationTable.ts R.WRITTEN), 0: empty
} as const
export const HEADER_WORDS = 48

/** The header's words owned here, and its reserved words (free: 7, 33 which aligns a float64, 40-47). */
export const H_MAP: WordMap = {
  record: 'header H',
  owner: 'mvmemory/sharedMemory.ts',
  size: HEADER_WORDS,
  fields: H,
  reserved: [7, 33, 40, 41, 42, 43, 44, 45, 46, 47],
}

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
 * Per-transaction record (words at `H.TX_BASE + txIdx * TX_WORDS`), shared by two owners: the
 * multi-version memory's words are defined here (the last read-set and the last written
 * locations of the transaction's latest recorded incarnation); the scheduler's (status,
 * incarnation, dependents, scheduler v2's words) in src/scheduler/words.ts `ST`.
 */
export const T = {
  READS_AT: 5, // word index of the last read-set block (its first word is its entry count; validation/readSet.ts)
  WRITES_AT: 7, // word index of the last written locations (WRITES_LEN location-record word indices)
  WRITES_LEN: 8, // count: locations in WRITES_AT
} as const
export const TX_WORDS = 16

/** The per-transaction words owned here, and the record's reserved words (free: 6, 14, 15). */
export const T_MAP: WordMap = {
  record: 'transaction record T',
  owner: 'mvmemory/sharedMemory.ts',
  size: TX_WORDS,
  fields: T,
  reserved: [6, 14, 15],
}
