/**
 * Types of the static-batch planner: what a predictor says about each transaction, the plan
 * built from it, and the statistics a planner run reports.
 *
 * A *conflict token* is a string naming a piece of state. Two tokens conflict when they are
 * equal, or when one is a whole-object token `X` and the other a part of it `X/…` (e.g. a whole
 * contract and one of its storage slots): the part before the first `/` is the parent.
 */
import type { BlockJob, ExecutionStats } from '../executor/types.js'
import type { MaybePromise } from '../executor/types.js'

/** The predicted (or recorded) accesses of one transaction. */
export interface TxAccess {
  /** Tokens read. */
  reads: string[]
  /** Tokens written (a write implies nothing about reads: list both when both happen). */
  writes: string[]
  /** Tokens changed by commutative deltas only (conflict with reads and writes, never with other deltas). */
  deltas?: string[]
  /** The transaction's work (gas, µs…) when known: weights the critical path. */
  work?: number
}

/** A predictor: per-transaction accesses of a block (one entry per transaction). */
export type Predict = (job: BlockJob) => MaybePromise<TxAccess[]>

/**
 * Which pairs of accesses order two transactions:
 * - 'all' (default, the static-batch design): write–write, write→read and read→write;
 * - 'raw': only an earlier write (or delta) followed by a later read — all a multi-version
 *   memory needs, since a transaction never sees a higher transaction's writes.
 */
export type ConflictRule = 'all' | 'raw'

export interface Plan {
  /** batches[b] = transaction indices of batch b, ascending. */
  batches: number[][]
  /** Batch index of every transaction. */
  batchOf: Int32Array
  /** Longest chain of conflicting transactions, by count (= number of batches). */
  criticalPath: number
  /** Longest chain by work (sum of `work` along the chain); undefined when no work is known. */
  criticalPathWork?: number
  /** Sum of `work` over all transactions; undefined when no work is known. */
  totalWork?: number
}

/** What a static-batch run reports in addition to the engine statistics. */
export interface PlannerStats {
  predictor: string
  conflicts: ConflictRule
  batches: number
  criticalPath: number
  criticalPathWork?: number
  totalWork?: number
  /** Largest batch. */
  maxBatch: number
  /** Transactions whose predicted independence was wrong (failed validation or waited on a same-batch transaction). */
  mispredictions: number
  /** Re-executions those mispredictions cost (run serially between batches). */
  reexecutions: number
  /** Time spent re-executing mispredicted transactions (serial). */
  reexecMs: number
  /** Time spent predicting and grouping. */
  planMs: number
  /** Time spent validating batches (serial, between batches). */
  validateMs: number
}

export interface PlannerExecutionStats extends ExecutionStats {
  planner: PlannerStats
}
