/**
 * The location table: an open-addressing hash table in shared memory that maps a location
 * key (a byte string) to its location record, inserted concurrently by any thread.
 *
 * Invariants:
 * - A slot goes 0 (empty) → BUSY (an inserter claimed it) → record index (published), and
 *   never changes again within a block. A reader that meets BUSY waits for the publication.
 * - Keys are compared byte for byte: the hash only chooses where probing starts, so keys
 *   whose hashes collide (even crafted ones) are still told apart and results never depend
 *   on hash uniqueness.
 * - A record is fully written before its index is published into a slot.
 *
 * Location record `R` (RECORD_WORDS words at word index `rec`, owned by this module; each
 * word's unit on its field below, map in {@link R_MAP}).
 * - FETCH: FETCH_READY when the pre-block value is known. With a slow state source
 *   (`H.FETCH_LATENCY_US` > 0) or a lazy one (`H.FETCH_QUEUE` set: BASE_LEN/AT are filled in
 *   by the fetch) it starts FETCH_NEEDED, and the first reader that needs it moves it to
 *   FETCH_RUNNING, fetches, and publishes FETCH_READY: one fetch per location per block,
 *   whatever the number of readers. BASE_LEN and BASE_AT are meaningful only once
 *   FETCH_READY has been observed.
 * - WRITTEN: the block's written list (mvMemory.ts `finalWrites` walks it instead of every
 *   slot of the table). A record joins it, once per block, when its first version entry is
 *   inserted (under LOCK): 0 means not on the list, -1 the list's last record, else the next
 *   record. Its head is `H.WRITTEN_HEAD` (0: empty).
 */
import { EngineAbortedError, H, type SharedMemory } from './sharedMemory.js'
import { LocationTableFullError } from './errors.js'
import type { WordMap } from './wordMap.js'

export const R = {
  LOCK: 0, // lock word: guards the version list (VERS_*) and READERS
  KEY_AT: 1, // byte offset of the key
  KEY_LEN: 2, // bytes: the key's length
  VERS_AT: 3, // word index of the version entries `V` (mvMemory.ts), VERSION_WORDS each
  VERS_LEN: 4, // count: version entries used
  VERS_CAP: 5, // count: version entries allocated at VERS_AT
  BASE_LEN: 6, // bytes: the pre-block value's length, or -1 when the pre-block state lacks it
  BASE_AT: 7, // byte offset of the pre-block value
  FETCH: 8, // FETCH_READY | FETCH_NEEDED | FETCH_RUNNING (see above)
  READERS: 9, // word index (scheduler v2): head of the reads registered here (nodes [tx, incarnation, writer read, next]), 0 for none
  WRITTEN: 10, // word index of the next record on the block's written list, -1 at its end, 0 while not on it (see above)
} as const
export const RECORD_WORDS = 11

export const R_MAP: WordMap = { record: 'location record R', owner: 'mvmemory/locationTable.ts', size: RECORD_WORDS, fields: R }

export const FETCH_READY = 0
export const FETCH_NEEDED = 1
export const FETCH_RUNNING = 2

const BUSY = -1

export { LocationTableFullError } from './errors.js'

/** FNV-1a over the key bytes. Only a starting point for probing: never trusted for equality. */
export function hashKey(key: Uint8Array): number {
  let h = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    h ^= key[i]!
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export class LocationTable {
  /** Test seam: replaces the hash function (for collision tests). */
  static hash: (key: Uint8Array) => number = hashKey

  constructor(private readonly mem: SharedMemory) {}

  /** Allocates and clears a table able to hold `capacity` locations (power of two). */
  static layout(mem: SharedMemory, capacity: number): void {
    let cap = 1024
    while (cap < capacity * 2) cap <<= 1
    const at = mem.alloc(cap)
    mem.i32.fill(0, at, at + cap)
    mem.i32[H.TABLE] = at
    mem.i32[H.TABLE_MASK] = cap - 1
    mem.i32[H.TABLE_COUNT] = 0
  }

  /** The record of `key`, or 0 when the table does not hold it. */
  find(key: Uint8Array): number {
    const { i32 } = this.mem
    const table = i32[H.TABLE]!
    const mask = i32[H.TABLE_MASK]!
    let i = LocationTable.hash(key) & mask
    for (let probes = 0; probes <= mask; probes++) {
      let rec = Atomics.load(i32, table + i)
      if (rec === 0) return 0
      if (rec === BUSY) rec = this.awaitPublished(table + i)
      if (this.keyEquals(rec, key)) return rec
      i = (i + 1) & mask
    }
    return 0
  }

  /**
   * The record of `key`, inserted (with the pre-block value `base`, `undefined` when absent)
   * when missing. `base` is consulted only by the thread that inserts.
   */
  findOrInsert(key: Uint8Array, base?: Uint8Array): number {
    const mem = this.mem
    const i32 = mem.i32
    const table = i32[H.TABLE]!
    const mask = i32[H.TABLE_MASK]!
    let i = LocationTable.hash(key) & mask
    for (let probes = 0; probes <= mask; probes++) {
      const slot = table + i
      let rec = Atomics.load(i32, slot)
      if (rec === 0) {
        if (Atomics.compareExchange(i32, slot, 0, BUSY) === 0) {
          if (Atomics.add(i32, H.TABLE_COUNT, 1) >= (mask + 1) * 0.75) {
            mem.abort()
            throw new LocationTableFullError()
          }
          rec = mem.alloc(RECORD_WORDS)
          i32[rec + R.LOCK] = 0
          i32[rec + R.KEY_AT] = mem.storeBytes(key)
          i32[rec + R.KEY_LEN] = key.length
          i32[rec + R.VERS_AT] = 0
          i32[rec + R.VERS_LEN] = 0
          i32[rec + R.VERS_CAP] = 0
          if (base === undefined) {
            i32[rec + R.BASE_LEN] = -1
            i32[rec + R.BASE_AT] = 0
          } else {
            i32[rec + R.BASE_LEN] = base.length
            i32[rec + R.BASE_AT] = mem.storeBytes(base)
          }
          i32[rec + R.FETCH] = i32[H.FETCH_LATENCY_US]! > 0 || i32[H.FETCH_QUEUE]! !== 0 ? FETCH_NEEDED : FETCH_READY
          i32[rec + R.READERS] = 0
          i32[rec + R.WRITTEN] = 0
          Atomics.store(i32, slot, rec)
          Atomics.notify(i32, slot)
          return rec
        }
        rec = Atomics.load(i32, slot)
      }
      if (rec === BUSY) rec = this.awaitPublished(slot)
      if (this.keyEquals(rec, key)) return rec
      i = (i + 1) & mask
    }
    throw new LocationTableFullError()
  }

  /**
   * Puts `rec` on the block's written list unless it is on it already. Called with the
   * record's LOCK held (one pusher per record); records push concurrently through the head.
   */
  markWritten(rec: number): void {
    const i32 = this.mem.i32
    if (i32[rec + R.WRITTEN] !== 0) return
    for (;;) {
      const head = Atomics.load(i32, H.WRITTEN_HEAD)
      i32[rec + R.WRITTEN] = head === 0 ? -1 : head
      if (Atomics.compareExchange(i32, H.WRITTEN_HEAD, head, rec) === head) return
    }
  }

  /** Calls `fn` for every record on the written list (used once the block is done, by one thread). */
  forEachWritten(fn: (rec: number) => void): void {
    const i32 = this.mem.i32
    for (let rec = Atomics.load(i32, H.WRITTEN_HEAD); rec > 0; rec = i32[rec + R.WRITTEN]!) fn(rec)
  }

  key(rec: number): Uint8Array {
    const i32 = this.mem.i32
    return this.mem.loadBytes(i32[rec + R.KEY_AT]!, i32[rec + R.KEY_LEN]!)
  }

  private keyEquals(rec: number, key: Uint8Array): boolean {
    const i32 = this.mem.i32
    return this.mem.bytesEqual(i32[rec + R.KEY_AT]!, i32[rec + R.KEY_LEN]!, key)
  }

  private awaitPublished(slot: number): number {
    const i32 = this.mem.i32
    for (;;) {
      const rec = Atomics.load(i32, slot)
      if (rec !== BUSY) return rec
      if (this.mem.aborted()) throw new EngineAbortedError()
      Atomics.wait(i32, slot, BUSY, 0.05)
    }
  }
}
