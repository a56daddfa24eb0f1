/**
 * The calling thread's side of the fetch path of a lazy base state (see fetchQueue.ts for the
 * queue and its invariants): reads each requested location's pre-block value from the base
 * state — all requests of a drain in flight together, so a slow store serves many
 * executions at once — and publishes it into the location table.
 */
import { H, type SharedMemory } from '../mvmemory/sharedMemory.js'
import { FETCH_READY, LocationTable, R } from '../mvmemory/locationTable.js'
import { BaseStateReadError } from './baseState.js'
import type { BaseState } from './types.js'
import type { FetchStats, LocationValue } from './types.js'
import { Q } from './fetchQueue.js'

/** Serves the queue on the calling thread for one block (start → stop). */
export class BaseFetcher {
  /** The first read failure; the block fails with it. */
  error: BaseStateReadError | undefined
  /** Set when publishing a value found the shared memory full (a CapacityError). */
  capacity: unknown
  private next = 0
  private stopped = false
  private inFlight = 0
  private busySince = 0
  private busyMs = 0
  private fetched = 0
  private readonly pending = new Set<Promise<void>>()
  private loop: Promise<void> | undefined
  private readonly table: LocationTable

  constructor(
    private readonly mem: SharedMemory,
    private readonly base: BaseState,
  ) {
    this.table = new LocationTable(mem)
  }

  start(): void {
    this.loop = this.serve()
  }

  /** Stops serving and waits for the reads in flight to settle. */
  async stop(): Promise<void> {
    this.stopped = true
    const i32 = this.mem.i32
    Atomics.add(i32, i32[H.FETCH_QUEUE]! + Q.SIGNAL, 1)
    Atomics.notify(i32, i32[H.FETCH_QUEUE]! + Q.SIGNAL)
    await this.loop
    await Promise.all([...this.pending])
  }

  stats(): FetchStats {
    const i32 = this.mem.i32
    const q = i32[H.FETCH_QUEUE]!
    return {
      fetches: this.fetched,
      sourceMs: this.busyMs,
      waitMs: Atomics.load(i32, q + Q.WAIT_US) / 1000,
      waits: Atomics.load(i32, q + Q.WAITS),
    }
  }

  /**
   * Fetches the pre-block value of every location some transaction wrote without reading
   * it (e.g. only credited a delta), so that the final state diff can fold deltas onto it
   * and compare with it. Call on the calling thread once the block's executions are over.
   */
  async settleWritten(): Promise<void> {
    const i32 = this.mem.i32
    const missing: number[] = []
    this.table.forEachWritten((rec) => {
      if (i32[rec + R.VERS_LEN]! > 0 && Atomics.load(i32, rec + R.FETCH) !== FETCH_READY) missing.push(rec)
    })
    await Promise.all([...this.pending])
    await Promise.all(missing.map((rec) => (Atomics.load(i32, rec + R.FETCH) === FETCH_READY ? undefined : this.fetch(rec))))
    if (this.error !== undefined) throw this.error
  }

  private async serve(): Promise<void> {
    const i32 = this.mem.i32
    const q = i32[H.FETCH_QUEUE]!
    while (!this.stopped) {
      const seen = Atomics.load(i32, q + Q.SIGNAL)
      const head = Atomics.load(i32, q + Q.HEAD)
      while (this.next < head) {
        const rec = Atomics.load(i32, q + Q.ITEMS + this.next)
        if (rec === 0) break // claimed, not stored yet: its SIGNAL bump follows
        this.next++
        const p = this.fetch(rec)
        this.pending.add(p)
        void p.then(() => this.pending.delete(p))
      }
      if (this.stopped) break
      const w = Atomics.waitAsync(i32, q + Q.SIGNAL, seen, 100)
      if (w.async) await w.value
    }
  }

  /** Reads `rec`'s pre-block value from the base state and publishes it. Never rejects. */
  private async fetch(rec: number): Promise<void> {
    const mem = this.mem
    const i32 = mem.i32
    if (this.inFlight++ === 0) this.busySince = performance.now()
    let value: LocationValue | undefined
    let failed = false
    const key = this.table.key(rec)
    try {
      value = await this.base.get(key)
    } catch (e) {
      failed = true
      this.error ??= e instanceof BaseStateReadError ? e : new BaseStateReadError(key, e)
    }
    if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince
    if (failed) {
      mem.abort()
      return
    }
    this.fetched++
    if (value !== undefined) {
      try {
        i32[rec + R.BASE_AT] = mem.storeBytes(value)
      } catch (e) {
        // The shared memory is full (the allocator aborted the block): the engine's capacity fallback.
        this.capacity ??= e
        return
      }
      i32[rec + R.BASE_LEN] = value.length
    }
    Atomics.store(i32, rec + R.FETCH, FETCH_READY)
    Atomics.notify(i32, rec + R.FETCH)
  }
}
