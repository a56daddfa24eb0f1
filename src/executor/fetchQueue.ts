/**
 * The fetch path of a lazy base state (`BaseState.lazy`): pre-block values that live in the
 * caller's store (a database behind a state manager), which only the calling thread can
 * read, are fetched when a transaction first needs them, once per location per block, while
 * the other executions go on.
 *
 * Shared-memory queue (words at `H.FETCH_QUEUE`, laid out per block with one item slot per
 * location the table can hold):
 *   HEAD     items pushed (Atomics.add claims the next slot)
 *   SIGNAL   bumped after an item is stored; the server waits on it (Atomics.waitAsync)
 *   WAIT_US  microseconds executions spent waiting for fetched values (summed over lanes)
 *   WAITS    executions that waited
 *   ITEMS    location records, in the order requested (0: claimed, not stored yet)
 *
 * Invariants:
 * - a record is pushed only by the reader that moved its FETCH word NEEDED → RUNNING, so at
 *   most once per block: the queue cannot overflow;
 * - the server (calling thread) writes BASE_LEN/BASE_AT, then stores FETCH_READY and
 *   notifies: a reader that observed READY sees the value;
 * - a `get` that throws makes the server (baseFetcher.ts) keep the first failure and abort
 *   the block in every thread; waiting readers stop with EngineAbortedError and the
 *   executor throws the failure.
 */
import { H, type SharedMemory } from '../mvmemory/sharedMemory.js'

export const Q = { HEAD: 0, SIGNAL: 1, WAIT_US: 2, WAITS: 3, ITEMS: 4 } as const

/** Lays out an empty queue for a table of `slots` slots and points `H.FETCH_QUEUE` at it. */
export function layoutFetchQueue(mem: SharedMemory, slots: number): void {
  const words = Q.ITEMS + slots
  const at = mem.alloc(words)
  mem.i32.fill(0, at, at + words)
  mem.i32[H.FETCH_QUEUE] = at
}

/** Asks the calling thread for the pre-block value of `rec` (the caller won its FETCH word). */
export function requestFetch(mem: SharedMemory, rec: number): void {
  const i32 = mem.i32
  const q = i32[H.FETCH_QUEUE]!
  const slot = Atomics.add(i32, q + Q.HEAD, 1)
  Atomics.store(i32, q + Q.ITEMS + slot, rec)
  Atomics.add(i32, q + Q.SIGNAL, 1)
  Atomics.notify(i32, q + Q.SIGNAL)
}

/** Adds one execution's wait for fetched values to the block's statistics. */
export function recordFetchWait(mem: SharedMemory, micros: number): void {
  const i32 = mem.i32
  const q = i32[H.FETCH_QUEUE]!
  Atomics.add(i32, q + Q.WAIT_US, Math.min(0x3fffffff, Math.round(micros)))
  Atomics.add(i32, q + Q.WAITS, 1)
}

