/**
 * Lays out one block in an executor's shared memory: header, location table holding the
 * pre-block state, then the per-transaction records of the scheduler.
 *
 * The table image of a base state is built once and copied into place for later blocks over
 * the same, unchanged base state (same object, same `version`, same fetch latency): one
 * memcpy instead of re-inserting every location. Copying also resets every location's fetch
 * state, so a slow source is fetched at most once per location per block.
 *
 * A lazy base state (`BaseState.lazy`) is never enumerated: the table starts empty, sized for
 * the locations a block of this many transactions may touch, with a fetch queue
 * (fetchQueue.ts) through which the first reader of each location asks the calling thread
 * for its pre-block value.
 */
import type { BlockJob } from './types.js'
import type { BaseState } from './baseState.js'
import { H, HEADER_WORDS, type SharedMemory } from '../mvmemory/sharedMemory.js'
import { LocationTable } from '../mvmemory/locationTable.js'
import { layoutFetchQueue } from './fetchQueue.js'
import { layoutScheduler } from '../scheduler/create.js'
import type { SchedulerKind } from '../scheduler/types.js'

interface BaseImage {
  base: BaseState
  version: number | undefined
  latency: number
  txCapacity: number
  words: Int32Array
  table: number
  mask: number
  count: number
}

export class BlockLayout {
  private image?: BaseImage

  constructor(private readonly mem: SharedMemory) {}

  /**
   * Resets the memory and lays out `job`; `seq` numbers the block; `serialBudget` and
   * `serialFloor` are the scheduler's serial-fallback budget (-1: none) and the floor of its
   * early test (see Scheduler.chargeWaste); `scheduler` the scheduler that runs the block.
   */
  prepare(job: BlockJob, seq: number, serialBudget = -1, serialFloor = 16, scheduler: SchedulerKind = 'v1'): void {
    const mem = this.mem
    const i32 = mem.i32
    i32.fill(0, 0, HEADER_WORDS)
    i32[H.LIMIT] = mem.i32.length
    i32[H.BUMP] = HEADER_WORDS
    i32[H.BLOCK_SEQ] = seq
    i32[H.FETCH_LATENCY_US] = Math.max(0, Math.round(job.base.fetchLatencyUs ?? 0))
    mem.resetThreadState()
    if (job.base.lazy === true) {
      LocationTable.layout(mem, lazyTableCapacity(job.txCount))
      layoutFetchQueue(mem, mem.i32[H.TABLE_MASK]! + 1)
      mem.resetThreadState()
      layoutScheduler(mem, job.txCount, scheduler, serialBudget, serialFloor)
      return
    }
    const img = this.image
    const version = job.base.version
    const latency = i32[H.FETCH_LATENCY_US]!
    if (
      img !== undefined &&
      img.base === job.base &&
      version !== undefined &&
      img.version === version &&
      img.latency === latency &&
      img.txCapacity >= job.txCount
    ) {
      i32.set(img.words, HEADER_WORDS)
      i32[H.BUMP] = HEADER_WORDS + img.words.length
      i32[H.TABLE] = img.table
      i32[H.TABLE_MASK] = img.mask
      i32[H.TABLE_COUNT] = img.count
    } else {
      const entries = job.base.entries()
      let baseCount = 0
      if (Array.isArray(entries)) baseCount = entries.length
      else for (const _ of entries) baseCount++
      const txCapacity = Math.max(job.txCount, 1024)
      LocationTable.layout(mem, baseCount + txCapacity * 32 + 1024)
      const table = new LocationTable(mem)
      for (const [k, v] of job.base.entries()) table.findOrInsert(k, v)
      mem.resetThreadState()
      this.image = {
        base: job.base,
        version,
        latency,
        txCapacity,
        words: i32.slice(HEADER_WORDS, i32[H.BUMP]!),
        table: i32[H.TABLE]!,
        mask: i32[H.TABLE_MASK]!,
        count: i32[H.TABLE_COUNT]!,
      }
    }
    layoutScheduler(mem, job.txCount, scheduler, serialBudget, serialFloor)
  }
}

/**
 * Locations a lazy block's table is sized for: 128 per transaction (an ERC-20 transfer
 * touches about 10, a heavy contract call a few hundred) plus room for small blocks. A block
 * that needs more fails the insert with LocationTableFullError, which the engine treats as
 * a capacity fallback.
 */
export function lazyTableCapacity(txCount: number): number {
  return txCount * 128 + 16 * 1024
}
