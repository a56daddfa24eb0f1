/**
 * The pre-block state as the engine sees it: a lookup from location to value.
 * `entries` lets the parallel engine copy it into shared memory once per block; a `lazy`
 * state is never enumerated: each location is read with `get` when a transaction first
 * needs it, on the calling thread, once per block (see fetchQueue.ts).
 */
import type { LocationKey, LocationValue, MaybePromise } from './types.js'
import { keyToString } from './keys.js'
import { equalBytes } from './incarnationView.js'

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
   * values they miss (fetchQueue.ts). `get` may be asynchronous and is called at most once
   * per location per block by the parallel engine; a `get` that throws fails the block with
   * {@link BaseStateReadError}.
   */
  readonly lazy?: boolean
}

/** Reading the pre-block state failed: the block is not executed (nothing is returned). */
export class BaseStateReadError extends Error {
  constructor(
    readonly key: LocationKey,
    override readonly cause: unknown,
  ) {
    super(`reading the pre-block state failed: ${cause instanceof Error ? cause.message : String(cause)}`)
    this.name = 'BaseStateReadError'
  }
}

/** A base state held in a Map. */
export class MapBaseState implements BaseState {
  private readonly map = new Map<string, LocationValue>()
  /** Position of each key in `list`, so that setting a key again is O(1). */
  private readonly index = new Map<string, number>()
  private readonly list: Array<[LocationKey, LocationValue]> = []
  private static versions = 0
  /** A process-wide unique number, renewed by every `set` that changes a value. */
  version = ++MapBaseState.versions
  constructor(entries: Iterable<[LocationKey, LocationValue]> = []) {
    for (const [k, v] of entries) this.set(k, v)
  }
  set(key: LocationKey, value: LocationValue): void {
    const s = keyToString(key)
    const at = this.index.get(s)
    if (at === undefined) {
      this.index.set(s, this.list.length)
      this.list.push([key, value])
    } else {
      if (equalBytes(this.list[at]![1], value)) return
      this.list[at] = [key, value]
    }
    this.map.set(s, value)
    this.version = ++MapBaseState.versions
  }
  get(key: LocationKey): LocationValue | undefined {
    return this.map.get(keyToString(key))
  }
  entries(): Iterable<[LocationKey, LocationValue]> {
    return this.list
  }
  get size(): number {
    return this.list.length
  }
}

/**
 * A base state with a read latency: the first `get` of each location per block waits
 * `latencyUs` (the sequential engine pays every wait in turn; Block-STM overlaps them across
 * lanes). Call `newBlock()` to forget what was fetched.
 */
export class LatencyBaseState implements BaseState {
  private fetched = new Set<string>()
  constructor(
    private readonly inner: BaseState,
    readonly fetchLatencyUs: number,
  ) {}
  get version(): number | undefined {
    return this.inner.version
  }
  newBlock(): void {
    this.fetched = new Set()
  }
  get(key: LocationKey): Promise<LocationValue | undefined> {
    const s = keyToString(key)
    if (this.fetched.has(s)) return Promise.resolve(this.inner.get(key))
    return new Promise((resolve) =>
      setTimeout(() => {
        this.fetched.add(s)
        resolve(this.inner.get(key))
      }, this.fetchLatencyUs / 1000),
    )
  }
  entries(): Iterable<[LocationKey, LocationValue]> {
    return this.inner.entries()
  }
}

/**
 * One block's view of a lazy base state, as the engine reads it: each location is asked of
 * `base` once (later reads of it, by any path of the engine — the fetch path, a sequential
 * run, the serial tail, the final diff — share that answer), and a failing `get` becomes a
 * {@link BaseStateReadError}. Build one per block.
 */
export function lazyBlockState(base: BaseState): BaseState {
  const memo = new Map<string, Promise<LocationValue | undefined>>()
  const fail = (key: LocationKey, e: unknown): never => {
    throw e instanceof BaseStateReadError ? e : new BaseStateReadError(key, e)
  }
  return {
    lazy: true,
    get(key) {
      const s = keyToString(key)
      let p = memo.get(s)
      if (p === undefined) {
        try {
          p = Promise.resolve(base.get(key)).catch((e: unknown) => fail(key, e))
        } catch (e) {
          p = Promise.reject(e instanceof BaseStateReadError ? e : new BaseStateReadError(key, e))
        }
        memo.set(s, p)
      }
      return p
    },
    entries: () => base.entries(),
  }
}
