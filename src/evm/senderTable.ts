/**
 * The senders of a block's transactions, recovered once per block by whichever thread needs
 * one first, and shared by all threads through a SharedArrayBuffer carried in the payload.
 *
 * Why: each thread decodes the block itself, and `execute(i)` first looks up the previous
 * transaction of the same sender (the `dependOn` hint), which needs the sender of every
 * transaction below i. Without sharing, every thread recovered every sender (~80 µs each with
 * the native binding): the recovery work of the block was paid once per thread.
 *
 * Layout: `txCount` Int32 states, then 64 bytes (the uncompressed public key without its
 * prefix, as @ethereumjs caches it) per transaction.
 *
 * State of one entry: UNKNOWN ──claim (CAS)──▶ CLAIMED ──▶ READY | INVALID.
 *
 * Invariants:
 * - only the thread whose compare-exchange moved UNKNOWN → CLAIMED recovers and publishes;
 *   the key bytes are written before READY is stored (Atomics orders them), and are never
 *   written again;
 * - a thread that finds CLAIMED waits for the claimer (Atomics.wait, bounded); if the claimer
 *   takes too long (it died, or is the main thread blocked elsewhere) it recovers the key
 *   itself without publishing: the answer is the same;
 * - a transaction whose signature does not recover is INVALID here and is recovered again
 *   (and fails) when it executes, as without the table;
 * - the table belongs to one block run: a payload reused for another run needs a fresh one,
 *   or that run would skip its recoveries.
 */
import type { TypedTransaction } from '@ethereumjs/tx'
import type { TransactionSource } from './lazyBlock.js'

const UNKNOWN = 0
const CLAIMED = 1
const READY = 2
const INVALID = 3
const KEY_BYTES = 64
const WAIT_MS = 20
/** Transactions claimed ahead of the scan. */
const LOOKAHEAD = 16

/** A fresh table for a block of `txCount` transactions. */
export function createSenderTable(txCount: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.max(1, txCount) * (4 + KEY_BYTES))
}

export class SenderTable {
  private readonly state: Int32Array
  private readonly keys: Uint8Array
  private readonly txs: TransactionSource

  /** `txs`: the block's transactions, as an array or decoded on demand (lazyBlock.ts). */
  constructor(buffer: SharedArrayBuffer, txs: readonly TypedTransaction[] | TransactionSource) {
    this.txs = isSource(txs) ? txs : { count: txs.length, tx: (i) => txs[i]! }
    const n = this.txs.count
    if (buffer.byteLength < n * (4 + KEY_BYTES)) throw new RangeError(`sender table of ${buffer.byteLength} bytes is too small for ${n} transactions`)
    this.state = new Int32Array(buffer, 0, n)
    this.keys = new Uint8Array(buffer, 4 * n, KEY_BYTES * n)
  }

  /**
   * Makes the senders of transactions from..to (inclusive) known. First claims and recovers
   * every one no thread has claimed, up to {@link LOOKAHEAD} beyond `to`, then waits only for
   * those other threads are still recovering: threads scanning the same range share its work
   * instead of queuing on it, and what a thread needs next was mostly claimed well before.
   */
  ensureRange(from: number, to: number): void {
    const state = this.state
    const end = Math.min(to + LOOKAHEAD, this.txs.count - 1)
    for (let j = from; j <= end; j++) {
      if (Atomics.load(state, j) === UNKNOWN && Atomics.compareExchange(state, j, UNKNOWN, CLAIMED) === UNKNOWN) this.publish(j)
    }
    for (let j = from; j <= to; j++) this.ensure(j)
  }

  /**
   * Recovers and publishes the senders no thread has claimed, from `from` on, for another
   * thread to use (this thread keeps none of them); returns after `budget` recoveries, or
   * when none is left (then returns -1), with the index to continue from.
   */
  prefetch(from: number, budget: number): number {
    const state = this.state
    const n = this.txs.count
    for (let j = from; j < n; j++) {
      if (Atomics.load(state, j) !== UNKNOWN || Atomics.compareExchange(state, j, UNKNOWN, CLAIMED) !== UNKNOWN) continue
      this.publish(j)
      if (--budget <= 0) return j + 1
    }
    return -1
  }

  /**
   * Makes transaction `i`'s sender known to its (frozen) transaction object, recovering it
   * here if no thread has yet. Returns false when the signature does not recover.
   */
  ensure(i: number): boolean {
    const tx = this.txs.tx(i)
    const cache = tx.cache as { senderPubKey?: Uint8Array }
    if (cache.senderPubKey !== undefined) return true
    const state = this.state
    for (;;) {
      const s = Atomics.load(state, i)
      if (s === READY) {
        cache.senderPubKey = this.keys.slice(i * KEY_BYTES, (i + 1) * KEY_BYTES)
        return true
      }
      if (s === INVALID) return false
      if (s === UNKNOWN && Atomics.compareExchange(state, i, UNKNOWN, CLAIMED) === UNKNOWN) return this.publish(i)
      if (s === CLAIMED && Atomics.wait(state, i, CLAIMED, WAIT_MS) === 'timed-out') return recover(tx) !== undefined
    }
  }

  /** Recovers transaction `i`'s sender (claimed by this thread) and publishes it. */
  private publish(i: number): boolean {
    const key = recover(this.txs.tx(i))
    if (key !== undefined) this.keys.set(key, i * KEY_BYTES)
    Atomics.store(this.state, i, key !== undefined ? READY : INVALID)
    Atomics.notify(this.state, i)
    return key !== undefined
  }
}

function isSource(txs: readonly TypedTransaction[] | TransactionSource): txs is TransactionSource {
  return !Array.isArray(txs)
}

/** The sender's public key, cached in the transaction, or undefined when it does not recover. */
function recover(tx: TypedTransaction): Uint8Array | undefined {
  try {
    return tx.getSenderPublicKey()
  } catch {
    return undefined
  }
}
