/**
 * Scheduler v2 (placeholder: behaves as v1 until its own algorithm lands).
 */
import type { SharedMemory } from '../mvmemory/sharedMemory.js'
import { Scheduler } from './scheduler.js'
import type { SchedulerKind } from './types.js'

export class SchedulerV2 extends Scheduler {
  override readonly kind: SchedulerKind = 'v2'
  static override layout(_mem: SharedMemory, _txCount: number): void {}
}
