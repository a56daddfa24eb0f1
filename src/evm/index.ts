/**
 * Block-level API of the EVM binding: `createEvmExecutor({ engine, threads })`.
 *
 * `executeBlock` does what @ethereumjs runBlock does, with the transactions run by a
 * Block-STM engine (or the sequential one); the engine is given the block (`announce`)
 * before the pre-block state is built, so that its workers start recovering senders:
 *   1. pre-block system operations on the calling thread (EIP-4788 beacon root, EIP-2935
 *      parent hash), folded into the engine's base state;
 *   2. the transactions through the engine (`txvm.ts` in every thread);
 *   3. block validity in block order, as runBlock checks it: a transaction whose gas limit
 *      exceeds the gas left in the block, or an invalid transaction, rejects the whole block
 *      with an {@link InvalidBlockError} (no state is returned);
 *   4. post-block operations on the calling thread over the final writes: withdrawals
 *      (Shanghai), block rewards (proof of work; uncles are not available), EIP-7685 requests
 *      (Prague);
 *   5. receipts, logs bloom, receipts root (null before Byzantium: those receipts embed
 *      intermediate state roots that a partial pre-state cannot produce) and the post-state.
 */
import { type Block, createBlock } from '@ethereumjs/block'
import { type Common, Hardfork } from '@ethereumjs/common'
import { isBlob4844Tx } from '@ethereumjs/tx'
import { Account, Address, bigIntToBytes, bigIntToAddressBytes, setLengthLeft, bytesToHex, equalsBytes } from '@ethereumjs/util'
import { Bloom, runBlock, type TxReceipt } from '@ethereumjs/vm'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor, type ExecutionStats } from '../executor/engine.js'
import type { LocationKey, LocationValue } from '../executor/types.js'
import type { TracedBlockResult } from '../executor/blockstm.js'
import type { TraceEvent } from '../executor/executor.js'
import { LatencyBaseState, MapBaseState } from '../executor/baseState.js'
import type { EvmPredictorName } from '../planner/predictors.js'
import { ChainMismatchError, InvalidBlockError, MissingBlockHashError, UnsupportedBlockError } from './errors.js'
import { chainRulesOf, commonFromRules, registerLocalCommon, resolveBlockHashes, type BlockHashes, type ChainRules, type GetBlockHash } from './chain.js'
import { orderedTrieRoot } from './orderedTrie.js'
import { OverlayView, assemblePostState, preStateEntries } from './state.js'
import { createBindingVM, type EvmBlockPayload, type EvmTxOutput } from './txvm.js'
import { createSenderTable } from './senderTable.js'
import { encodeBlock } from './blockRlp.js'
import { decodeReceiptTail, encodeReceiptWithTail, type Log } from './receipts.js'
import type { PostState, PreState } from './types.js'

export * from './errors.js'
export * from './keys.js'
export * from './fixtures.js'
export { blockHashFor, chainRulesOf, commonFor, commonFromRules, mainnetCommon, resolveBlockHashes, type BlockHashes, type ChainRules, type GetBlockHash } from './chain.js'
export { assemblePostState, postStateToJSON, preStateEntries } from './state.js'
export type { EvmTxOutput, EvmBlockPayload } from './txvm.js'
export type { AccountState, PreState, PostState } from './types.js'

export type EngineName = 'sequential' | 'blockstm' | 'static-batch'

export interface EvmExecutorOptions {
  engine?: EngineName
  /** Worker threads for blockstm (default 1). */
  threads?: number
  /** Concurrent executions per thread (blockstm only). */
  lanes?: number
  /** Signature recovery back-end (default 'native', falling back to the default when it does not load). */
  crypto?: 'native' | 'default'
  /** Record fee-recipient credits as commutative deltas (default true). */
  coinbaseDelta?: boolean
  /** blockstm: blocks with fewer transactions run sequentially (engine default when absent). */
  minParallelTxs?: number
  /**
   * blockstm: a block whose chain of sender waits (from `senderHints`) covers at least this
   * fraction of its transactions runs on the calling thread while the workers recover its
   * senders (engine default 0.75 when absent; Infinity disables).
   */
  chainFallbackRatio?: number
  /** static-batch: how transactions' access sets are predicted (default 'address'). */
  predictor?: EvmPredictorName
  /**
   * Simulates a slow state source: the first read of each pre-block location in a block waits
   * this many microseconds (as a disk or network store would). Use `lanes` > 1 with blockstm
   * so that the waits overlap.
   */
  readLatencyUs?: number
  /** blockstm: record a timeline of every task (returned as `trace`). */
  trace?: boolean
}

export interface ExecuteBlockArgs {
  block: Block
  /**
   * The chain's rules, used as given (chain id, hardfork, EIPs, parameters, custom chains,
   * its `customCrypto` on the calling thread); defaults to the block's own Common. Its chain
   * id must be the block's ({@link ChainMismatchError} otherwise).
   */
  common?: Common
  preState: PreState
  /**
   * Hashes BLOCKHASH may read (the 256 blocks before this one). A transaction that asks for a
   * hash supplied neither here nor by `getBlockHash` fails the block with a
   * {@link MissingBlockHashError}; no hash is ever invented.
   */
  blockHashes?: BlockHashes
  /**
   * An async source of block hashes (like a blockchain), asked on the calling thread before
   * execution for the numbers of the 256-block window that `blockHashes` lacks.
   */
  getBlockHash?: GetBlockHash
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
  /** Comparison with the block header (receiptsRoot: null when not computable). */
  headerMatch: { gasUsed: boolean; logsBloom: boolean; receiptsRoot: boolean | null }
  stats: ExecutionStats
  /** The engine's timeline, when `trace` was asked for (blockstm). */
  trace?: TraceEvent[]
}

export interface EvmExecutor {
  readonly engine: EngineName
  readonly threads: number
  executeBlock(args: ExecuteBlockArgs): Promise<EvmBlockResult>
  close(): Promise<void>
}

const BEACON_ROOTS_ADDRESS = new Address(Uint8Array.from(Buffer.from('000f3df6d732807ef1319fb7b8bb8522d0beac02', 'hex')))
const PRE_BYZANTIUM_NOTE =
  'pre-Byzantium receipts embed the state root after each transaction, which a partial pre-state cannot produce'

function vmModulePath(): string {
  const self = import.meta.url
  return new URL(self.endsWith('.ts') ? './txvm.ts' : './txvm.js', self).href
}

async function makeEngine(opts: EvmExecutorOptions): Promise<BlockExecutor> {
  const vmModule = vmModulePath()
  const engine = opts.engine ?? 'sequential'
  if (engine === 'sequential') return createSequentialExecutor({ vmModule })
  if (engine === 'static-batch') {
    const { createEvmStaticBatchEngine } = await import('../planner/evm.js')
    return createEvmStaticBatchEngine({ threads: opts.threads ?? 1, predictor: opts.predictor ?? 'address' })
  }
  if (engine !== 'blockstm') throw new RangeError(`unknown engine '${String(engine)}' (sequential, blockstm or static-batch)`)
  return createBlockSTMExecutor({
    threads: opts.threads ?? 1,
    vmModule,
    ...(opts.lanes !== undefined ? { lanes: opts.lanes } : {}),
    ...(opts.minParallelTxs !== undefined ? { minParallelTxs: opts.minParallelTxs } : {}),
    ...(opts.chainFallbackRatio !== undefined ? { chainFallbackRatio: opts.chainFallbackRatio } : {}),
  })
}

function prevSameSenderFromHints(hints: Array<string | undefined> | undefined, n: number): Int32Array | undefined {
  if (hints === undefined || hints.length !== n || hints.some((h) => h === undefined)) return undefined
  const prev = new Int32Array(n)
  const last = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const s = hints[i]!
    prev[i] = last.get(s) ?? -1
    last.set(s, i)
  }
  return prev
}

/**
 * The longest chain of the waits the transaction VM declares up front (txvm.ts): each
 * transaction waits for its sender's previous one, and one sent by the fee recipient (with
 * `coinbase` given) for every lower one. Computed from the sender hints, before execution.
 */
function hintCriticalPath(prev: Int32Array, hints: Array<string | undefined>, coinbase: string | undefined): number {
  const depth = new Int32Array(prev.length)
  let longest = 0
  for (let i = 0; i < prev.length; i++) {
    let d = prev[i]! >= 0 ? depth[prev[i]!]! + 1 : 1
    if (coinbase !== undefined && hints[i] === coinbase) d = Math.max(d, longest + 1)
    depth[i] = d
    if (d > longest) longest = d
  }
  return longest
}

type SystemVM = Awaited<ReturnType<typeof createBindingVM>> & { common: Common }

/**
 * The VMs that run an executor's pre- and post-block system operations, kept across blocks
 * with the same rules (building one costs about a millisecond: a Common and a VM). A VM is
 * taken for one block and given back only when that block completed, so concurrent blocks
 * never share one and a block that failed half-way leaves nothing behind.
 */
class SystemVMs {
  private readonly free = new Map<string, SystemVM[]>()
  private readonly cryptoIds = new WeakMap<object, number>()
  private nextId = 0

  async take(rules: ChainRules, crypto: 'native' | 'default', callerCrypto: Common['customCrypto']): Promise<[string, SystemVM]> {
    let id = this.cryptoIds.get(callerCrypto)
    if (id === undefined) this.cryptoIds.set(callerCrypto, (id = this.nextId++))
    const key = `${rules.key}|${crypto}|${id}`
    const vm = this.free.get(key)?.pop()
    if (vm !== undefined) return [key, vm]
    const common = await commonFromRules(rules, crypto, callerCrypto)
    return [key, { ...(await createBindingVM(common)), common }]
  }

  give(key: string, vm: SystemVM): void {
    let list = this.free.get(key)
    if (list === undefined) this.free.set(key, (list = []))
    if (list.length < 4) list.push(vm)
  }
}

export function createEvmExecutor(opts: EvmExecutorOptions = {}): EvmExecutor {
  const engineName = opts.engine ?? 'sequential'
  let engine: Promise<BlockExecutor> | undefined
  const systemVMs = new SystemVMs()
  return {
    engine: engineName,
    threads: engineName === 'sequential' ? 1 : (opts.threads ?? 1),
    async executeBlock(args) {
      engine ??= makeEngine(opts)
      return executeBlock(await engine, systemVMs, opts, args)
    },
    async close() {
      if (engine !== undefined) await (await engine).close()
    },
  }
}

async function executeBlock(engine: BlockExecutor, systemVMs: SystemVMs, opts: EvmExecutorOptions, args: ExecuteBlockArgs): Promise<EvmBlockResult> {
  const { block, preState } = args
  const common = args.common ?? block.common
  const header = block.header
  const n = block.transactions.length
  checkChain(block, common)
  if (common.gteHardfork(Hardfork.Dao) && header.number === common.hardforkBlock(Hardfork.Dao)) {
    throw new UnsupportedBlockError('the DAO fork block (irregular state change) is not supported')
  }
  const crypto = opts.crypto ?? 'native'
  // The engine's payload first: announced to the engine, its workers recover senders while
  // this thread builds the pre-block state.
  const rules = chainRulesOf(common)
  const hashes = await resolveBlockHashes(header.number, args.blockHashes, args.getBlockHash)
  const payload: EvmBlockPayload = {
    blockRlp: encodeBlock(block),
    rules,
    hardfork: rules.hardfork,
    eips: rules.eips,
    blockHashes: [...hashes],
    crypto,
    coinbaseDelta: opts.coinbaseDelta ?? true,
    senderTable: createSenderTable(n),
  }
  const prev = prevSameSenderFromHints(args.senderHints, n)
  if (prev !== undefined) payload.prevSameSender = prev
  const criticalPath = prev !== undefined ? hintCriticalPath(prev, args.senderHints!, payload.coinbaseDelta ? header.coinbase.toString() : undefined) : undefined
  registerLocalCommon(payload, common)
  engine.announce?.(payload)

  const [sysKey, sys] = await systemVMs.take(rules, crypto, common.customCrypto)
  const sysCommon = sys.common
  sys.chain.hashes = hashes
  sys.chain.missing = undefined
  sys.sm.setCoinbase(undefined)

  // 1. Pre-block system operations.
  const base = new MapBaseState(preStateEntries(preState))
  const preView = new OverlayView(base)
  sys.sm.begin(preView, -1)
  if (common.isActivatedEIP(4788) && header.parentBeaconBlockRoot !== undefined) {
    if ((await sys.sm.getCode(BEACON_ROOTS_ADDRESS)).length > 0) {
      const len = BigInt(sys.vm.common.param('historicalRootsLength'))
      const idx = header.timestamp % len
      await sys.sm.putStorage(BEACON_ROOTS_ADDRESS, setLengthLeft(bigIntToBytes(idx), 32), bigIntToBytes(header.timestamp))
      await sys.sm.putStorage(BEACON_ROOTS_ADDRESS, setLengthLeft(bigIntToBytes(idx + len), 32), header.parentBeaconBlockRoot)
    }
  }
  if (common.isActivatedEIP(2935)) {
    const history = new Address(bigIntToAddressBytes(sys.vm.common.param('historyStorageAddress')))
    if ((await sys.sm.getCode(history)).length > 0) {
      const key = setLengthLeft(bigIntToBytes((header.number - 1n) % sys.vm.common.param('historyServeWindow')), 32)
      await sys.sm.putStorage(history, key, header.parentHash)
    }
  }
  sys.sm.flush(preView)
  const preWrites = [...preView.writes.values()]
  for (const [k, v] of preWrites) base.set(k, v)

  // Block-data validity that runBlock checks before running any transaction (its
  // validateData): the blob gas of the block's blob transactions within the per-block limit.
  if (common.isActivatedEIP(4844)) {
    const limit = sys.vm.common.getBlobGasSchedule().maxBlobGasPerBlock
    const perBlob = sys.vm.common.param('blobGasPerBlob')
    let blobGas = 0n
    for (let i = 0; i < n; i++) {
      const tx = block.transactions[i]!
      if (!isBlob4844Tx(tx)) continue
      blobGas += BigInt(tx.numBlobs()) * perBlob
      if (blobGas > limit) throw new InvalidBlockError(`tx causes total blob gas of ${blobGas} to exceed maximum blob gas per block of ${limit}`, i)
    }
  }

  // 2. Transactions (the payload built above).
  const engineBase = opts.readLatencyUs !== undefined && opts.readLatencyUs > 0 ? new LatencyBaseState(base, opts.readLatencyUs) : base
  const res: TracedBlockResult<EvmTxOutput> = await engine.execute<EvmTxOutput>({
    txCount: n,
    payload,
    base: engineBase,
    ...(criticalPath !== undefined ? { criticalPath } : {}),
    ...(opts.trace === true ? { trace: true } : {}),
  })

  // 3. Validity, receipts, bloom (block order).
  const byzantium = common.gteHardfork(Hardfork.Byzantium)
  const bloom = new Bloom(undefined, common)
  const receipts: TxReceipt[] = []
  const results: EvmTxResult[] = []
  const encodedReceipts: Uint8Array[] = []
  let gasUsed = 0n
  let cumulative = 0n
  let blobGasPrice: bigint | undefined
  for (let i = 0; i < n; i++) {
    const tx = block.transactions[i]!
    const out = res.outputs[i]!
    if (header.gasLimit < tx.gasLimit + gasUsed) throw new InvalidBlockError('tx has a higher gas limit than the block', i)
    if (!out.valid) throw new InvalidBlockError(out.error ?? 'invalid transaction', i)
    if (out.missingBlockHash !== undefined) throw new MissingBlockHashError(out.missingBlockHash, header.number, i)
    gasUsed += out.blockGasSpent
    cumulative += out.gasUsed
    const tail = decodeReceiptTail(out.receiptTail)
    bloom.or(new Bloom(tail.bloom, common))
    const baseReceipt = { cumulativeBlockGasUsed: cumulative, bitvector: tail.bloom, logs: tail.logs }
    let receipt: TxReceipt
    if (!byzantium) receipt = { stateRoot: new Uint8Array(32), ...baseReceipt }
    else if (out.blobGasUsed !== undefined) {
      blobGasPrice ??= header.getBlobGasPrice()
      receipt = { status: out.status, blobGasUsed: out.blobGasUsed, blobGasPrice, ...baseReceipt } as TxReceipt
    } else receipt = { status: out.status, ...baseReceipt }
    receipts.push(receipt)
    if (byzantium) encodedReceipts.push(encodeReceiptWithTail(out.status, cumulative, out.receiptTail, tx.type))
    const r: EvmTxResult = { status: out.status, gasUsed: out.gasUsed, logs: tail.logs, returnValue: out.returnValue }
    if (out.createdAddress !== undefined) r.createdAddress = out.createdAddress
    if (out.error !== undefined) r.error = out.error
    results.push(r)
  }
  const receiptsRoot = byzantium ? orderedTrieRoot(encodedReceipts) : null

  // 4. Post-block operations over the final writes.
  const postView = new OverlayView(base)
  for (const [k, v] of res.writes) postView.write(k, v)
  sys.sm.begin(postView, n)
  const journal = sys.vm.evm.journal
  journal.cleanJournal()
  if (common.isActivatedEIP(4895)) {
    for (const w of block.withdrawals ?? []) await reward(sys.vm.evm.stateManager, journal, w.address, w.amount * 1_000_000_000n)
    await journal.cleanup()
  }
  if (common.consensusType() === 'pow') {
    const minerReward = sys.vm.common.param('minerReward')
    for (const ommer of block.uncleHeaders) {
      let r = ((8n - (header.number - ommer.number)) * minerReward) / 8n
      if (r < 0n) r = 0n
      await reward(sys.vm.evm.stateManager, journal, ommer.coinbase, r)
    }
    const minerTotal = minerReward + (minerReward / 32n) * BigInt(block.uncleHeaders.length)
    await reward(sys.vm.evm.stateManager, journal, header.coinbase, minerTotal)
  }
  if (common.isActivatedEIP(7685)) {
    // The requests system calls (EIP-7002/7251) through runBlock on a transaction-less copy of
    // the block: its pre-block operations rewrite the same values and there is nothing else to apply.
    const bare = createBlock({ header: header.toJSON(), transactions: [], withdrawals: [] } as never, { common: sysCommon })
    await runBlock(sys.vm, { block: bare, generate: true, skipBlockValidation: true, skipHeaderValidation: true })
  }
  sys.sm.flush(postView)
  if (sys.chain.missing !== undefined) throw new MissingBlockHashError(sys.chain.missing, header.number)
  systemVMs.give(sysKey, sys)

  const stateDiff = [...preWrites, ...postView.writes.values()]
  let postState: PostState | undefined
  return {
    number: header.number,
    hardfork: common.hardfork(),
    txCount: n,
    gasUsed,
    logsBloom: bloom.bitvector,
    receiptsRoot,
    ...(byzantium ? {} : { receiptsRootNote: PRE_BYZANTIUM_NOTE }),
    receipts,
    results,
    stateDiff,
    get postState(): PostState {
      postState ??= assemblePostState(preState, stateDiff)
      return postState
    },
    headerMatch: {
      gasUsed: gasUsed === header.gasUsed,
      logsBloom: equalsBytes(bloom.bitvector, header.logsBloom),
      receiptsRoot: receiptsRoot === null ? null : equalsBytes(receiptsRoot, header.receiptTrie),
    },
    stats: res.stats,
    ...(res.trace !== undefined ? { trace: res.trace } : {}),
  }
}

/** The block must belong to the chain of `common` (checked before anything runs). */
function checkChain(block: Block, common: Common): void {
  const id = common.chainId()
  if (block.common.chainId() !== id) {
    throw new ChainMismatchError(`block ${block.header.number} was built for chain ${block.common.chainId()} (${block.common.chainName()}), executed with a Common of chain ${id} (${common.chainName()})`)
  }
  for (let i = 0; i < block.transactions.length; i++) {
    const tx = block.transactions[i]!
    const txChain = 'chainId' in tx ? (tx as { chainId: bigint }).chainId : tx.common.chainId()
    if (txChain !== id && (tx.type !== 0 || tx.supports(155))) {
      throw new ChainMismatchError(`block ${block.header.number}: transaction ${i} is signed for chain ${txChain}, the Common is of chain ${id} (${common.chainName()})`)
    }
  }
}

async function reward(
  sm: { getAccount(a: Address): Promise<Account | undefined> },
  journal: { putAccount(a: Address, acc: Account): Promise<void> },
  address: Address,
  amount: bigint,
): Promise<void> {
  const acc = (await sm.getAccount(address)) ?? new Account()
  acc.balance += amount
  await journal.putAccount(address, acc)
}

