/**
 * Pre-block states (the {@link BaseState} contract is in types.ts): a map, a map that
 * behaves as a slow source, and one block's view of a lazy state (`lazyBlockState`).
 */
import type { BaseState, LocationKey, LocationValue, MaybePromise } from './types.js'
import { keyToString } from './keys.js'
import { equalBytes } from './incarnationView.js'

export type { BaseState } from './types.js'

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
