/**
 * Chooses the scheduler of a block: the calling thread lays it out with its kind in the
 * header word `H.SCHEDULER`; every thread then opens the same kind over the shared memory.
 */
import type { SharedMemory } from '../mvmemory/sharedMemory.js'
import { H } from './words.js'
import { Scheduler } from './scheduler.js'
import { SchedulerV2 } from './schedulerV2.js'
import { SCHEDULER_CODE, SCHEDULER_KINDS, type BlockScheduler, type SchedulerKind } from './types.js'

/** The default scheduler of the engine (see docs/benchmarks.md, "Scheduler v2"). */
export const DEFAULT_SCHEDULER: SchedulerKind = 'v1'

export class UnknownSchedulerError extends RangeError {
  constructor(value: unknown) {
    super(`scheduler must be one of ${SCHEDULER_KINDS.join(', ')}, got ${String(value)}`)
    this.name = 'UnknownSchedulerError'
  }
}

/** Checks a user-supplied scheduler name. */
export function schedulerKind(value: unknown): SchedulerKind {
  if (value === undefined) return DEFAULT_SCHEDULER
  if (typeof value === 'string' && (SCHEDULER_KINDS as readonly string[]).includes(value)) return value as SchedulerKind
  throw new UnknownSchedulerError(value)
}

/** Lays out the scheduler state of a block of `txCount` transactions (after the location table). */
export function layoutScheduler(mem: SharedMemory, txCount: number, kind: SchedulerKind, serialBudget = -1, serialFloor = 16): void {
  Scheduler.layout(mem, txCount, serialBudget, serialFloor)
  mem.i32[H.SCHEDULER] = SCHEDULER_CODE[kind]
  if (kind === 'v2') SchedulerV2.layout(mem, txCount)
}

/** The scheduler of the block laid out in `mem`. */
export function openScheduler(mem: SharedMemory): BlockScheduler {
  return mem.i32[H.SCHEDULER] === SCHEDULER_CODE.v2 ? new SchedulerV2(mem) : new Scheduler(mem)
}
