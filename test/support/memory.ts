/**
 * Test support: a shared memory laid out for one block by the executor's own layout code
 * (`BlockLayout`: header, location table holding the pre-block state, scheduler records),
 * plus small helpers to drive the multi-version memory directly.
 */
import { SharedMemory } from '../../src/mvmemory/sharedMemory.js'
import { BlockLayout } from '../../src/executor/layout.js'
import { MapBaseState } from '../../src/executor/baseState.js'
import { KIND_DELTA_ADD, KIND_VALUE, MVMemory, ReadResult, type WriteOp } from '../../src/mvmemory/mvMemory.js'
import { Scheduler } from '../../src/scheduler/scheduler.js'
import { ReadSetCapture } from '../../src/validation/readSet.js'
import { encodeNumeric } from '../../src/mvmemory/numeric.js'

let seq = 0

export interface Block {
  mem: SharedMemory
  mv: MVMemory
  scheduler: Scheduler
}

export function layoutBlock(
  txCount: number,
  base: Array<[Uint8Array, Uint8Array]> = [],
  opts: { bytes?: number; shared?: boolean; mem?: SharedMemory } = {},
): Block {
  const mem = opts.mem ?? SharedMemory.create(opts.bytes ?? 8 * 1024 * 1024, opts.shared ?? true)
  new BlockLayout(mem).prepare({ txCount, payload: null, base: new MapBaseState(base) }, ++seq)
  return { mem, mv: new MVMemory(mem), scheduler: new Scheduler(mem) }
}

export const key = (...bytes: number[]) => Uint8Array.from(bytes)
export const num = (n: number | bigint) => encodeNumeric(BigInt(n))

export const value = (k: Uint8Array, v: Uint8Array): WriteOp => ({ key: k, kind: KIND_VALUE, bytes: v })
export const delta = (k: Uint8Array, amount: number | bigint): WriteOp => {
  const a = BigInt(amount)
  if (a < 0n) throw new RangeError('deltas are non-negative')
  return { key: k, kind: KIND_DELTA_ADD, bytes: encodeNumeric(a) }
}

/** Records an incarnation with the given writes and an empty read-set; returns wroteNew. */
export function record(b: Block, tx: number, inc: number, writes: WriteOp[], reads?: ReadSetCapture): boolean {
  const readsAt = (reads ?? new ReadSetCapture()).publish(b.mem)
  return b.mv.record(tx, inc, writes, readsAt)
}

/** Reads `k` as transaction `tx` sees it (a fresh result, value included). */
export function readAs(b: Block, k: Uint8Array, tx: number, withValue = true): ReadResult {
  const r = new ReadResult()
  b.mv.read(b.mv.table.findOrInsert(k), tx, r, withValue)
  return r
}
