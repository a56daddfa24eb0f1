/**
 * Block executors: the public, VM-agnostic entry points of the engine.
 *
 * - `createSequentialExecutor`: transactions in block order on the calling thread.
 * - `createBlockSTMExecutor`: Block-STM over `threads` worker threads sharing the
 *   multi-version memory and the scheduler in SharedArrayBuffers (threads = 1 runs the same
 *   algorithm on the calling thread).
 *
 * Both load the transaction VM from `vmModule` (a module path or file URL exporting
 * `createTransactionVM(payload, lane)`) and return identical results for the same block.
 */
import type { LocationKey, LocationValue, TransactionVMModule } from './types.js'
import type { BaseState } from './baseState.js'
import type { FetchStats } from './baseFetcher.js'
import { runSequentialJob } from './sequential.js'
import { pathToFileURL } from 'node:url'

export interface BlockJob {
  /** Number of transactions, indexed 0..txCount-1. */
  txCount: number
  /** Passed to `createTransactionVM` in every thread; must be structured-cloneable. */
  payload: unknown
  /** The pre-block state. */
  base: BaseState
  /**
   * The number of transactions on the longest chain of dependencies the caller knows before
   * execution (e.g. each transaction waits for its sender's previous one), when it knows it:
   * a block that is mostly one chain cannot gain from running its transactions in parallel
   * (see `BlockSTMOptions.chainFallbackRatio`).
   */
  criticalPath?: number
}

export interface ExecutionStats {
  engine: string
  threads: number
  /** Incarnations executed (≥ txCount). */
  executions: number
  validations: number
  /** Incarnations aborted by validation. */
  aborts: number
  /** Executions that stopped on an ESTIMATE and were suspended until their blocker finished. */
  dependencyWaits: number
  wallMs: number
  /** Set when the engine fell back to another strategy, with the reason. */
  fallback?: string
  /** A lazy base state under Block-STM: locations fetched through the calling thread and the time spent on them. */
  fetch?: FetchStats
}

export interface BlockResult<O> {
  outputs: O[]
  /**
   * The block's state diff: every location whose value after the block differs from its
   * pre-block value (absent counts as different from any value), sorted by key bytes.
   */
  writes: Array<[LocationKey, LocationValue]>
  stats: ExecutionStats
}

export interface BlockExecutor {
  readonly engine: string
  readonly threads: number
  execute<O>(job: BlockJob): Promise<BlockResult<O>>
  /**
   * Optional: the caller is about to `execute` a job with this payload (the same object) and
   * is still preparing its pre-block state. An engine may start work that needs only the
   * payload meanwhile (Block-STM: its workers run the VM module's `prefetch`). Announcing a
   * payload that is then not executed is harmless.
   */
  announce?(payload: unknown): void
  close(): Promise<void>
}

export function moduleUrl(vmModule: string): string {
  return vmModule.startsWith('file:') ? vmModule : pathToFileURL(vmModule).href
}

export async function loadVMModule<O>(vmModule: string): Promise<TransactionVMModule<O>> {
  const mod = (await import(moduleUrl(vmModule))) as TransactionVMModule<O>
  if (typeof mod.createTransactionVM !== 'function') {
    throw new TypeError(`${vmModule} does not export createTransactionVM(payload, lane)`)
  }
  return mod
}

export function createSequentialExecutor(opts: { vmModule: string }): BlockExecutor {
  let modP: Promise<TransactionVMModule> | undefined
  return {
    engine: 'sequential',
    threads: 1,
    async execute<O>(job: BlockJob): Promise<BlockResult<O>> {
      modP ??= loadVMModule(opts.vmModule)
      const mod = (await modP) as TransactionVMModule<O>
      return runSequentialJob(mod, job, { engine: 'sequential', threads: 1, start: performance.now() })
    },
    async close() {},
  }
}

export { createBlockSTMExecutor, type BlockSTMOptions } from './blockstm.js'
