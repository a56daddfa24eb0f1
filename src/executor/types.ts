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

import { pathToFileURL } from 'node:url'

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
  /**
   * Optional: loads what every block will need (for Ethereum: the native ecrecover binding),
   * called once by each worker as soon as the module has loaded, while the worker would
   * otherwise wait for its first block. Not awaited: a block that arrives first
   * waits on the same loads through its own path. It must not change any result; a failure
   * here is ignored, since the block's own path meets it again and reports it.
   */
  warmUp?(): Promise<void>
}

// ------------------------------------------------------------------ the engine contract

/**
 * The pre-block state as the engine sees it: a lookup from location to value (baseState.ts
 * has implementations). `entries` lets the parallel engine copy it into shared memory once
 * per block.
 */
export interface BaseState {
  get(key: LocationKey): MaybePromise<LocationValue | undefined>
  /** Every location the state holds (used to place the pre-state in shared memory). */
  entries(): Iterable<[LocationKey, LocationValue]>
  /**
   * Changes whenever the state changes. When present, an executor may reuse what it derived
   * from the same state object at the same version (e.g. its shared-memory image).
   */
  readonly version?: number
  /**
   * When > 0, the state behaves as a slow source (a disk or network store): the first read
   * of each location in a block waits this many microseconds. The Block-STM engine simulates
   * the wait in the thread that needs the value and fetches each location once per block.
   */
  readonly fetchLatencyUs?: number
  /**
   * When true, the state is read only through `get`, on the thread that called `execute`,
   * when a transaction first reads a location (a database, a caller's state manager): the
   * Block-STM engine does not call `entries`, and workers ask the calling thread for the
   * values they miss (fetchQueue.ts, baseFetcher.ts). `get` may be asynchronous and is called
   * at most once per location per block; a `get` that throws fails the block with
   * `BaseStateReadError` (baseState.ts).
   */
  readonly lazy?: boolean
}

export interface BlockJob {
  /** Number of transactions, indexed 0..txCount-1. */
  txCount: number
  /** Passed to `createTransactionVM` in every thread; must be structured-cloneable. */
  payload: unknown
  /** The pre-block state. */
  base: BaseState
  /**
   * The number of transactions on the longest chain of dependencies the caller knows before
   * execution (e.g. each transaction waits for its sender's previous one), when it knows it:
   * a block that is mostly one chain cannot gain from running its transactions in parallel
   * (see `BlockSTMOptions.chainFallbackRatio`).
   */
  criticalPath?: number
}

export interface ExecutionStats {
  engine: string
  threads: number
  /** Incarnations executed (≥ txCount). */
  executions: number
  validations: number
  /** Incarnations aborted by validation. */
  aborts: number
  /** Executions that stopped on an ESTIMATE and were suspended until their blocker finished. */
  dependencyWaits: number
  wallMs: number
  /** Set when the engine fell back to another strategy, with the reason. */
  fallback?: string
  /** A lazy base state under Block-STM: locations fetched through the calling thread and the time spent on them. */
  fetch?: FetchStats
}

/** The fetch path of a lazy base state in one block (see baseFetcher.ts). */
export interface FetchStats {
  /** Locations read from the base state through the fetch queue and at the end of the block. */
  fetches: number
  /** Wall time with at least one read of the base state in flight (ms). */
  sourceMs: number
  /** Time executions spent waiting for fetched values, summed over all lanes (ms). */
  waitMs: number
  /** Executions that waited for a fetched value. */
  waits: number
}

export interface BlockResult<O> {
  outputs: O[]
  /**
   * The block's state diff: every location whose value after the block differs from its
   * pre-block value (absent counts as different from any value), sorted by key bytes.
   */
  writes: Array<[LocationKey, LocationValue]>
  stats: ExecutionStats
}

export interface BlockExecutor {
  readonly engine: string
  readonly threads: number
  execute<O>(job: BlockJob): Promise<BlockResult<O>>
  /**
   * Optional: the caller is about to `execute` a job with this payload (the same object) and
   * is still preparing its pre-block state. An engine may start work that needs only the
   * payload meanwhile (Block-STM: its workers run the VM module's `prefetch`). Announcing a
   * payload that is then not executed is harmless.
   */
  announce?(payload: unknown): void
  close(): Promise<void>
}

export function moduleUrl(vmModule: string): string {
  return vmModule.startsWith('file:') ? vmModule : pathToFileURL(vmModule).href
}

export async function loadVMModule<O>(vmModule: string): Promise<TransactionVMModule<O>> {
  const mod = (await import(moduleUrl(vmModule))) as TransactionVMModule<O>
  if (typeof mod.createTransactionVM !== 'function') {
    throw new TypeError(`${vmModule} does not export createTransactionVM(payload, lane)`)
  }
  return mod
}

/**
 * {@link loadVMModule} in a worker thread: also starts the module's optional `warmUp`, while
 * the worker waits for its first block (not awaited; a failure is ignored, see
 * TransactionVMModule.warmUp). The Block-STM and static-batch workers load their VM module
 * through this.
 */
export function loadWorkerVMModule<O>(vmModule: string): Promise<TransactionVMModule<O>> {
  const mod = loadVMModule<O>(vmModule)
  void mod.then((m) => m.warmUp?.()).catch(() => {})
  return mod
}
