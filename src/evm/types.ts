/**
 * Types of the EVM binding: the Ethereum-level state (shared with the workload generators and
 * the command line) and the block-level API (`createEvmExecutor`'s options, arguments and
 * results). Types only: this module has no run-time code.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { TxReceipt } from '@ethereumjs/vm'
import type { CLRequest, CLRequestType } from '@ethereumjs/util'
import type { ExecutionStats } from '../executor/types.js'
import type { TraceEvent } from '../executor/executor.js'
import type { LocationKey, LocationValue } from '../executor/types.js'
import type { Log } from './receipts.js'
import type { SchedulerKind } from '../scheduler/types.js'

/** One account of a pre- or post-state. */
export interface AccountState {
  balance: bigint
  nonce: bigint
  /** Empty for an account without code. */
  code: Uint8Array
  /** Storage slot (0x-prefixed, 64 lower-case hex digits) to non-zero value. */
  storage: Map<string, bigint>
}

/**
 * A state: lower-case 0x-prefixed address to account. In a pre-state an absent address does
 * not exist. In a post-state `null` marks an account that no longer exists.
 */
export type PreState = Map<string, AccountState>
export type PostState = Map<string, AccountState | null>

// ------------------------------------------------------------------ the block-level API

/** BLOCKHASH table: block number → hash (missing numbers hash as keccak256 of the decimal string). */
export type BlockHashTable = Map<bigint, Uint8Array>

/** How the static-batch planner predicts transactions' access sets (see predictors.ts). */
export type EvmPredictorName = 'address' | 'address-optimistic' | 'access-list' | 'oracle'

/** The engines `createEvmExecutor` offers (derived from the options union). */
export type EngineName = NonNullable<EvmExecutorOptions['engine']>

/** Options every engine honours. */
export interface EvmCommonOptions {
  /** Signature recovery back-end (default 'native', falling back to the default when it does not load). */
  crypto?: 'native' | 'default'
  /** Record fee-recipient credits as commutative deltas (default true). */
  coinbaseDelta?: boolean
  /**
   * Simulates a slow state source: the first read of each pre-block location in a block waits
   * this many microseconds (as a disk or network store would). Use `lanes` > 1 with blockstm
   * so that the waits overlap.
   */
  readLatencyUs?: number
}

/** `engine: 'sequential'` (the default): transactions in block order on the calling thread. */
export interface SequentialEngineOptions extends EvmCommonOptions {
  engine?: 'sequential'
}

/** `engine: 'blockstm'`: Block-STM over worker threads. */
export interface BlockSTMEngineOptions extends EvmCommonOptions {
  engine: 'blockstm'
  /** Worker threads (default 1: the algorithm on the calling thread). */
  threads?: number
  /** Concurrent executions per thread. */
  lanes?: number
  /** Blocks with fewer transactions run sequentially (engine default when absent). */
  minParallelTxs?: number
  /**
   * A block whose chain of sender waits (from `senderHints`) covers at least this fraction of
   * its transactions runs on the calling thread while the workers recover its senders (engine
   * default 0.75 when absent; Infinity disables).
   */
  chainFallbackRatio?: number
  /** Record a timeline of every task (returned as `trace`). */
  trace?: boolean
  /** The Block-STM scheduler, 'v1' or 'v2' (engine default when absent; see BlockSTMOptions.scheduler). */
  scheduler?: SchedulerKind
  /** The calling thread executes too, as one of `threads` (see BlockSTMOptions.callerExecutes). */
  callerExecutes?: boolean
}

/** `engine: 'static-batch'`: the research planner (predicted batches, repaired). */
export interface StaticBatchEngineOptions extends EvmCommonOptions {
  engine: 'static-batch'
  /** Worker threads (default 1). */
  threads?: number
  /** How transactions' access sets are predicted (default 'address'). */
  predictor?: EvmPredictorName
}

/**
 * Options of `createEvmExecutor`, keyed on `engine`: an option of one engine given with
 * another engine does not type-check (and is not silently ignored). To add an option, add it
 * to its engine's interface above; to add an engine, add an interface with its `engine`
 * literal and list it here (and in `engines.ts`, which builds it).
 */
export type EvmExecutorOptions = SequentialEngineOptions | BlockSTMEngineOptions | StaticBatchEngineOptions

export interface ExecuteBlockArgs {
  block: Block
  /**
   * The chain's rules, used as given (chain id, hardfork, EIPs, parameters, custom chains made
   * with createCustomCommon, and its `customCrypto` on the calling thread); defaults to the
   * block's own Common. Its chain id must be the block's (`ChainMismatchError` otherwise).
   */
  common?: Common
  preState: PreState
  /**
   * Hashes BLOCKHASH may read (the 256 blocks before this one). A transaction that asks for a
   * hash supplied neither here nor by `getBlockHash` fails the block with a
   * `MissingBlockHashError` naming the number; no hash is ever invented.
   */
  blockHashes?: BlockHashTable
  /**
   * An async source of block hashes (like a blockchain): asked on the calling thread, before
   * execution, for each number of the 256-block window that `blockHashes` lacks.
   */
  getBlockHash?: (number: bigint) => Promise<Uint8Array | undefined> | Uint8Array | undefined
  /** Per-transaction sender addresses as given by the source (a scheduling hint only). */
  senderHints?: Array<string | undefined>
}

export interface EvmTxResult {
  status: 0 | 1
  gasUsed: bigint
  logs: Log[]
  returnValue: Uint8Array
  createdAddress?: string
  error?: string
}

export interface EvmBlockResult {
  number: bigint
  hardfork: string
  txCount: number
  gasUsed: bigint
  logsBloom: Uint8Array
  /** null before Byzantium (see `receiptsRootNote`). */
  receiptsRoot: Uint8Array | null
  receiptsRootNote?: string
  receipts: TxReceipt[]
  results: EvmTxResult[]
  /**
   * The block's state changes as locations (see keys.ts) with their values after the block:
   * system operations, transactions, rewards and withdrawals.
   */
  stateDiff: Array<[LocationKey, LocationValue]>
  /**
   * Every account of the pre-state or touched by the block, complete after the block (null:
   * no longer exists). Assembled on first access from the pre-state and `stateDiff` (a large
   * pre-state costs time that callers who need only receipts should not pay): do not modify
   * the pre-state before reading it.
   */
  readonly postState: PostState
  /**
   * EIP-7685 (Prague): the block's requests in type order (deposits, withdrawals,
   * consolidations; see requests.ts) and their commitment; absent before Prague.
   */
  requests?: CLRequest<CLRequestType>[]
  requestsHash?: Uint8Array
  /**
   * Comparison with the block header (receiptsRoot: null when not computable; requestsHash:
   * null before Prague or when the header carries none).
   */
  headerMatch: { gasUsed: boolean; logsBloom: boolean; receiptsRoot: boolean | null; requestsHash: boolean | null }
  stats: ExecutionStats
  /** The engine's timeline, when `trace` was asked for (blockstm). */
  trace?: TraceEvent[]
}

export interface EvmExecutor {
  readonly engine: EngineName
  readonly threads: number
  executeBlock(args: ExecuteBlockArgs): Promise<EvmBlockResult>
  /**
   * Starts the engine now instead of at the first block: Block-STM's worker threads start and
   * load the EVM while the caller prepares its first block (a cold process then loses less
   * time to start-up). Optional; `close()` stops what it started.
   */
  start(): Promise<void>
  close(): Promise<void>
}
