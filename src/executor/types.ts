/**
 * The contract between the VM-agnostic Block-STM engine and a transaction VM.
 *
 * A *location* is an opaque byte string (`LocationKey`) compared in full; a *value* is an
 * opaque byte string. The engine never interprets either, except for numeric locations
 * written through {@link IncarnationView.addDelta}: their values are unsigned big-endian
 * integers (an empty or absent value is 0) and the engine folds deltas into them.
 *
 * A transaction VM executes one transaction (one *incarnation*) against an
 * {@link IncarnationView}. It must be deterministic: the same values read must produce the
 * same writes and the same output. It must not keep state between incarnations except caches
 * that do not change its results.
 */

/** A location in the state (for Ethereum: an account field or a storage slot). Compared byte by byte. */
export type LocationKey = Uint8Array
/** A value stored at a location. */
export type LocationValue = Uint8Array

export type MaybePromise<T> = T | Promise<T>

/**
 * The state as one incarnation of one transaction sees it: its own writes first, then the
 * writes of lower transactions in the multi-version memory, then the pre-block state.
 *
 * `read` may throw an internal dependency signal when the value is not known yet (a lower
 * transaction's entry is an ESTIMATE). A VM must let any exception it does not recognise
 * propagate out of `execute` unchanged (never swallow it).
 */
export interface IncarnationView {
  /** The value visible at `key`, or `undefined` when no transaction wrote it and the pre-block state lacks it. */
  read(key: LocationKey): MaybePromise<LocationValue | undefined>
  /** Sets `key` to `value` (the last write to a key in an incarnation wins). */
  write(key: LocationKey, value: LocationValue): void
  /**
   * Adds `amount` (≥ 0; a negative amount throws RangeError) to the numeric value at `key`
   * without reading it. Credits commute: many transactions may credit the same location
   * without conflicting. A zero amount changes nothing. A later `read` of `key` in the same
   * incarnation sees the sum; a `write` after a delta replaces it. (Debits are not deltas:
   * whether one underflows depends on the value, so a VM must read, check and write.)
   */
  addDelta(key: LocationKey, amount: bigint): void
  /**
   * Declares that this incarnation cannot proceed before lower transaction `txIndex` has
   * executed (for Ethereum: the previous transaction of the same sender, whose nonce it
   * needs). Throws the engine's dependency signal, suspending this incarnation until
   * `txIndex` finishes, unless `txIndex` has already executed, in which case it returns and
   * the VM carries on with what it read (validation catches a later change).
   */
  dependOn(txIndex: number): void
}

/** One lane's transaction VM for one block. */
export interface TransactionVM<Output = unknown> {
  /**
   * Executes transaction `txIndex` against `view` and returns its output (must be
   * structured-cloneable: it crosses thread boundaries). A transaction that fails (reverts,
   * is invalid) should return an output describing that failure; a thrown exception other
   * than the engine's dependency signal fails the whole block.
   */
  execute(txIndex: number, view: IncarnationView): Promise<Output>
}

/**
 * The module a worker loads (by path) to obtain transaction VMs. `payload` is whatever the
 * caller passed with the block (structured-cloneable), identical in every thread.
 * `lane` numbers the concurrent executions inside one thread (0-based): a VM that is not
 * re-entrant should keep one instance per lane.
 */
export interface TransactionVMModule<Output = unknown> {
  createTransactionVM(payload: unknown, lane: number): MaybePromise<TransactionVM<Output>>
  /**
   * Optional: work that makes executing the block's transactions from `from` on cheaper for
   * whichever thread executes them, done by a thread that would otherwise idle (for
   * Ethereum: recovering their senders into a table all threads share). The engine calls it
   * on workers while the calling thread finishes a block in serial mode. It must not change
   * any result; it should check `stop()` often (at least every millisecond or so, yielding to
   * the event loop between checks) and return once it is true.
   */
  prefetch?(payload: unknown, from: number, stop: () => boolean): Promise<void>
}
