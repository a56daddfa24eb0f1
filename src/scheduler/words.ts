/**
 * The scheduler's words in shared memory (both schedulers: scheduler.ts v1, schedulerV2.ts
 * v2), defined here with the scheduler rather than in the memory layer, which only sets
 * their space aside (mvmemory/sharedMemory.ts). test/core-layout.test.ts checks that they
 * overlap no word of the memory layer and fit their records.
 *
 * - {@link SH}: the scheduler's words of the header (word indices into the shared Int32 view).
 * - {@link ST}: the scheduler's words of each per-transaction record (`H.TX_BASE + txIdx *
 *   TX_WORDS`).
 * - {@link H} and {@link T}: the whole header and record as the scheduler sees them (the memory
 *   layer's words and these), which the schedulers index.
 */
import { H as MEMORY_H, HEADER_WORDS, T as MEMORY_T, TX_WORDS } from '../mvmemory/sharedMemory.js'
import type { WordMap } from '../mvmemory/wordMap.js'

/** The scheduler's header words. */
export const SH = {
  EXECUTION_IDX: 8, // transaction index: the next transaction to try executing (execution_idx)
  VALIDATION_IDX: 9, // transaction index: the next transaction to try validating (validation_idx)
  DECREASE_CNT: 10, // counter: bumped whenever either index is decreased (decrease_cnt)
  NUM_ACTIVE: 11, // count: tasks handed out and not finished (num_active_tasks)
  DONE: 12, // flag: 1 once the block is done (done_marker)
  STAT_EXECUTIONS: 14, // count: incarnations executed
  STAT_VALIDATIONS: 15, // count: validations run
  STAT_ABORTS: 16, // count: incarnations aborted by validation
  STAT_DEP_WAITS: 17, // count: executions suspended on a dependency
  SERIAL: 21, // flag: 1 once the block has switched to serial mode (threads stop; the caller finishes it)
  SERIAL_BUDGET: 22, // count: wasted work (SERIAL_WASTE) allowed before that switch (-1: never)
  SERIAL_AT: 23, // transaction index: execution_idx when the switch happened
  SERIAL_WASTE: 24, // count: aborts + dependency waits that cost work, counted against SERIAL_BUDGET
  SERIAL_FLOOR: 25, // count: waste always tolerated before the progress test applies (scales with concurrency)
  SCHEDULER: 27, // code: the block's scheduler, 1 = v1 (scheduler.ts), 2 = v2 (schedulerV2.ts)
  // Scheduler v2 only (schedulerV2.ts):
  COMMIT_IDX: 28, // transaction index: transactions below it are committed (final)
  COMMIT_LOCK: 29, // lock word: held by the one thread committing in order
  COMMIT_ARMED: 30, // flag: set by a thread that found the commit lock held: the holder looks again
  USEFUL_US: 31, // µs of executions finished and not (yet) wasted
  WASTE_US: 32, // µs of executions aborted or stopped on a read
  START_AT: 34, // float64 over words 34-35 (8-byte aligned): epoch ms when the first lane started the block
  STAT_COMMITS: 36, // count: transactions committed
  STALLS: 37, // count: stalls added (statistics)
} as const

/** The scheduler's words of a per-transaction record. */
export const ST = {
  LOCK: 0, // lock word: guards STATUS, INCARNATION, DEP_HEAD
  STATUS: 1, // READY_TO_EXECUTE | EXECUTING | EXECUTED | ABORTING (task.ts)
  INCARNATION: 2, // incarnation number
  DEP_HEAD: 3, // 1 + index of the first transaction waiting on this one, 0 for none
  DEP_NEXT: 4, // 1 + index of the next transaction in the list this one waits in
  // Scheduler v2 only (schedulerV2.ts):
  ABORT_REQ: 9, // 1 + the incarnation aborted while it was executing, 0 for none
  STALL: 10, // count: stalls held on this transaction (it is not handed out while > 0)
  PROPAGATES: 11, // flag: 1 while the transaction holds a stall on each of its aborted dependents
  ABORTED_HEAD: 12, // word index of the list of transactions this one's writes aborted (nodes [tx, next]), 0 for none
  DURATION_US: 13, // µs its last recorded incarnation took (charged as waste if it is aborted)
} as const

export const SH_MAP: WordMap = { record: 'header H', owner: 'scheduler/words.ts', size: HEADER_WORDS, fields: SH, wide: { START_AT: 2 } }
export const ST_MAP: WordMap = { record: 'transaction record T', owner: 'scheduler/words.ts', size: TX_WORDS, fields: ST }

/** The header as the scheduler sees it: the memory layer's words and the scheduler's. */
export const H = { ...MEMORY_H, ...SH } as const
/** The per-transaction record as the scheduler sees it. */
export const T = { ...MEMORY_T, ...ST } as const
export { HEADER_WORDS, TX_WORDS }
