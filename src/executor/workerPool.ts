/**
 * The worker threads of an executor (Block-STM, the static-batch planner): started once,
 * alive across blocks, one block request in flight per worker, replaced when they fail.
 *
 * Invariants:
 * - every worker answers `{ type: 'ready' }` once, then one reply per request;
 * - a worker that crashes, exits (while the pool is open) or is abandoned is marked dead
 *   with the reason; the engine's shared memory is aborted (`onFailure`) so that the other
 *   workers stop at their next check, and a request still pending on it resolves with the
 *   failure reply (`failReply`): no caller waits for a dead worker;
 * - `heal` replaces dead workers before the next block; `close` terminates all.
 */
import type { Worker } from 'node:worker_threads'
import { startWorker } from './workerStart.js'
import { WorkerFailureError } from './errors.js'
import type { WorkerInit } from './protocol.js'
import type { SharedMemory } from '../mvmemory/sharedMemory.js'

export { WorkerFailureError } from './errors.js'

interface Slot<R> {
  worker: Worker
  ready: Promise<void>
  pending?: { seq: number; resolve: (r: R) => void }
  dead?: string
}

export interface WorkerPoolOptions<R> {
  /** The worker module (see workerStart.ts). */
  url: URL
  count: number
  /** workerData of worker `index`. */
  init(index: number): unknown
  /** Called when a worker fails (aborts the block in every thread). */
  onFailure(): void
  /** The reply a request pending on a failed worker resolves with. */
  failReply(seq: number, why: string): R
}

export class WorkerPool<R extends { type: string }> {
  private readonly slots: Array<Slot<R>> = []
  private closed = false

  constructor(private readonly opts: WorkerPoolOptions<R>) {}

  /** Starts every worker and waits until each has answered `ready`. */
  async start(): Promise<void> {
    for (let i = 0; i < this.opts.count; i++) this.slots.push(this.spawn(i))
    await Promise.all(this.slots.map((s) => s.ready))
  }

  get size(): number {
    return this.slots.length
  }

  private spawn(index: number): Slot<R> {
    const worker = startWorker(this.opts.url, this.opts.init(index))
    const slot: Slot<R> = { worker, ready: Promise.resolve() }
    slot.ready = new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        slot.dead = why
        this.opts.onFailure()
        const p = slot.pending
        slot.pending = undefined
        p?.resolve(this.opts.failReply(p.seq, why))
        reject(new WorkerFailureError(why))
      }
      worker.on('message', (m: R) => {
        if (m?.type === 'ready') return resolve()
        const p = slot.pending
        if (p === undefined) return
        slot.pending = undefined
        p.resolve(m)
      })
      worker.on('error', (e) => fail(`worker ${index} crashed: ${e.message}`))
      worker.on('exit', (code) => {
        if (!this.closed) fail(`worker ${index} exited with code ${code}`)
      })
    })
    slot.ready.catch(() => {})
    return slot
  }

  /** Whether a worker failed since the last heal. */
  anyDead(): boolean {
    return this.slots.some((s) => s.dead !== undefined)
  }

  /** Marks worker `index` dead (e.g. it answered garbage): it is replaced at the next heal. */
  markDead(index: number, why: string): void {
    this.slots[index]!.dead ??= why
  }

  /** Replaces dead workers so the pool is usable again. */
  async heal(): Promise<void> {
    for (let i = 0; i < this.slots.length; i++) {
      if (this.slots[i]!.dead !== undefined) {
        await this.slots[i]!.worker.terminate().catch(() => {})
        this.slots[i] = this.spawn(i)
      }
    }
    await Promise.all(this.slots.map((s) => s.ready))
  }

  /** Sends `msg` (request number `seq`) to every worker; one reply promise per worker. */
  request(seq: number, msg: unknown): Array<Promise<R>> {
    return this.slots.map(
      (slot) =>
        new Promise<R>((resolve) => {
          slot.pending = { seq, resolve }
          slot.worker.postMessage(msg)
        }),
    )
  }

  /** Sends `msg` to every live worker; no reply is expected. */
  broadcast(msg: unknown): void {
    for (const slot of this.slots) if (slot.dead === undefined) slot.worker.postMessage(msg)
  }

  /** Workers whose reply is still pending are marked dead and terminated; returns how many. */
  abandonPending(why: string): number {
    let n = 0
    for (const slot of this.slots) {
      if (slot.pending !== undefined) {
        slot.dead = why
        slot.pending = undefined
        void slot.worker.terminate()
        n++
      }
    }
    return n
  }

  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.slots.map((s) => s.worker.terminate()))
  }
}

/** A failed worker's reply in the engines' protocols (Block-STM, planner). */
export interface EngineErrorReply {
  type: 'error'
  seq: number
  aborted: boolean
  name: string
  message: string
}

/**
 * The pool of an engine whose workers map `mem` and load `vmModule` (WorkerInit): a failure
 * aborts the block in `mem`, and a pending request resolves with an error reply.
 */
export function createEnginePool<R extends { type: string }>(url: URL, threads: number, mem: SharedMemory, vmModule: string): WorkerPool<R | EngineErrorReply> {
  const init: Omit<WorkerInit, 'workerIndex'> = { buffer: mem.buffer as SharedArrayBuffer, vmModule }
  return new WorkerPool<R | EngineErrorReply>({
    url,
    count: threads,
    init: (workerIndex) => ({ ...init, workerIndex }) satisfies WorkerInit,
    onFailure: () => mem.abort(),
    failReply: (seq, why) => ({ type: 'error', seq, aborted: false, name: 'WorkerFailureError', message: why }),
  })
}
