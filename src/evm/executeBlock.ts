/**
 * `executeBlock`: one block through an engine, as @ethereumjs runBlock executes it, written as
 * named steps (like runBlock's `applyTransactions`, `assignWithdrawals`):
 *
 *   0. {@link checkChain}: the block belongs to the chain of the Common it runs with (the
 *      caller's, used as given: chain.ts), else a {@link ChainMismatchError}; the BLOCKHASH
 *      window (the 256 hashes before the block) is resolved from the caller's table and/or
 *      async `getBlockHash` on this thread, since workers cannot call back into the caller;
 *   1. {@link buildPayload}: the engine's payload (the block as RLP, rules, BLOCKHASH table,
 *      sender table, sender hints), announced to the engine before anything else so that its
 *      workers start recovering senders while this thread builds the pre-block state;
 *   2. {@link applyPreBlockOperations}: EIP-4788 beacon root and EIP-2935 parent hash on the
 *      calling thread, folded into the engine's base state;
 *   3. {@link validateBlobGas} and {@link validateBlockSize}: block-data validity that runBlock
 *      checks before any transaction (blob gas within the per-block limit, which each BPO fork
 *      sets; from Osaka the block's RLP within `maxRlpBlockSize`, EIP-7934);
 *   4. {@link applyTransactions}: the transactions through the engine (txvm.ts in every thread);
 *   5. {@link assembleReceipts}: block validity in block order (a transaction whose gas limit
 *      exceeds the gas left in the block, or an invalid transaction, rejects the whole block
 *      with an {@link InvalidBlockError}: no state is returned), receipts, logs bloom and the
 *      receipts root (null before Byzantium: those receipts embed intermediate state roots
 *      that a partial pre-state cannot produce);
 *   6. {@link applyPostBlockOperations} over the final writes: {@link assignWithdrawals}
 *      (Shanghai), {@link assignBlockRewards} (proof of work; uncles as the block gives them),
 *      {@link applyRequests} (EIP-7685, Prague: the requests, returned with the result and
 *      compared with the header's `requestsHash`);
 *   7. {@link blockResult}: the result, with the header comparison and a lazily assembled
 *      post-state.
 *
 * Invariants: the steps run in this order on every block; a step that throws leaves nothing
 * applied (the system VM is given back only after step 6).
 */
import { type Block, createBlock } from '@ethereumjs/block'
import { type Common, Hardfork } from '@ethereumjs/common'
import { isBlob4844Tx } from '@ethereumjs/tx'
import { Account, Address, type CLRequest, CLRequestType, bigIntToBytes, bigIntToAddressBytes, setLengthLeft, equalsBytes } from '@ethereumjs/util'
import { Bloom, runBlock, type TxReceipt } from '@ethereumjs/vm'
import type { BlockExecutor } from '../executor/types.js'
import type { LocationKey, LocationValue } from '../executor/types.js'
import type { TracedBlockResult } from '../executor/blockstm.js'
import { LatencyBaseState, MapBaseState, type BaseState } from '../executor/baseState.js'
import { ChainMismatchError, InvalidBlockError, MissingBlockHashError, UnsupportedBlockError } from './errors.js'
import { chainRulesOf, registerLocalCommon, resolveBlockHashes, type BlockHashes } from './chain.js'
import { hintCriticalPath, prevSameSenderFromHints } from './hints.js'
import { orderedTrieRoot } from './orderedTrie.js'
import { depositRequest, requestsHash } from './requests.js'
import { OverlayView, assemblePostState, preStateEntries } from './state.js'
import type { EvmBlockPayload, EvmTxOutput } from './txvm.js'
import { createSenderTable } from './senderTable.js'
import { encodeBlock } from './blockRlp.js'
import { decodeReceiptTail, encodeReceiptWithTail } from './receipts.js'
import type { SystemVM, SystemVMs } from './systemVMs.js'
import type { EvmBlockResult, EvmExecutorOptions, EvmTxResult, ExecuteBlockArgs, PostState } from './types.js'

const BEACON_ROOTS_ADDRESS = new Address(Uint8Array.from(Buffer.from('000f3df6d732807ef1319fb7b8bb8522d0beac02', 'hex')))
const PRE_BYZANTIUM_NOTE =
  'pre-Byzantium receipts embed the state root after each transaction, which a partial pre-state cannot produce'

type Writes = Array<[LocationKey, LocationValue]>

/** A base state the pre-block operations write into (a MapBaseState, or the drop-in's lazy state over the caller's state manager). */
export interface WritableBaseState extends BaseState {
  set(key: LocationKey, value: LocationValue): void
}

export async function executeBlock(engine: BlockExecutor, systemVMs: SystemVMs, opts: EvmExecutorOptions, args: ExecuteBlockArgs): Promise<EvmBlockResult> {
  const { block, preState } = args
  const common = args.common ?? block.common
  const header = block.header
  if (common.gteHardfork(Hardfork.Dao) && header.number === common.hardforkBlock(Hardfork.Dao)) {
    throw new UnsupportedBlockError('the DAO fork block (irregular state change) is not supported')
  }
  checkChain(block, common)
  const crypto = opts.crypto ?? 'native'
  const hashes = await resolveBlockHashes(header.number, args.blockHashes, args.getBlockHash)
  const { payload, criticalPath } = buildPayload(block, common, opts, args, hashes)
  validateBlockSize(common, payload)
  registerLocalCommon(payload, common)
  engine.announce?.(payload)

  const [sysKey, sys] = await systemVMs.take(payload.rules!, crypto, common.customCrypto)
  sys.chain.hashes = hashes
  sys.chain.missing = undefined
  sys.sm.setCoinbase(undefined)

  const base = new MapBaseState(preStateEntries(preState))
  const preWrites = await applyPreBlockOperations(sys, common, block, base)
  validateBlobGas(sys, common, block)
  const res = await applyTransactions<EvmTxOutput>(engine, block.transactions.length, payload, base, opts, criticalPath)
  const receipts = assembleReceipts(block, common, res.outputs)
  const post = await applyPostBlockOperations(sys, common, block, base, res.writes, receipts)
  if (sys.chain.missing !== undefined) throw new MissingBlockHashError(sys.chain.missing, header.number)
  systemVMs.give(sysKey, sys)
  return blockResult(block, common, args, [...preWrites, ...post.writes], receipts, res, post.requests)
}

/**
 * Step 0: the block must belong to the chain of `common` (checked before anything runs), or a
 * {@link ChainMismatchError}: the block's own Common and every transaction's chain id.
 */
export function checkChain(block: Block, common: Common): void {
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

/** Step 1: the engine's payload and, from the sender hints, the longest chain of sender waits. */
export function buildPayload(
  block: Block,
  common: Common,
  opts: EvmExecutorOptions,
  args: ExecuteBlockArgs,
  hashes: BlockHashes = args.blockHashes ?? new Map(),
): { payload: EvmBlockPayload; criticalPath: number | undefined } {
  const n = block.transactions.length
  const rules = chainRulesOf(common)
  const payload: EvmBlockPayload = {
    blockRlp: encodeBlock(block),
    rules,
    hardfork: rules.hardfork,
    eips: rules.eips,
    blockHashes: [...hashes],
    crypto: opts.crypto ?? 'native',
    coinbaseDelta: opts.coinbaseDelta ?? true,
    senderTable: createSenderTable(n),
  }
  const prev = prevSameSenderFromHints(args.senderHints, n)
  if (prev !== undefined) payload.prevSameSender = prev
  const criticalPath =
    prev !== undefined ? hintCriticalPath(prev, args.senderHints!, payload.coinbaseDelta ? block.header.coinbase.toString() : undefined) : undefined
  return { payload, criticalPath }
}

/**
 * Step 2: the pre-block system operations (EIP-4788 beacon root, EIP-2935 parent hash) on the
 * calling thread; their writes are folded into `base` and returned (they belong to the state diff).
 */
export async function applyPreBlockOperations(sys: SystemVM, common: Common, block: Block, base: WritableBaseState): Promise<Writes> {
  const header = block.header
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
  return preWrites
}

/**
 * Step 3: block-data validity that runBlock checks before running any transaction (its
 * validateData): the blob gas of the block's blob transactions within the per-block limit.
 */
export function validateBlobGas(sys: SystemVM, common: Common, block: Block): void {
  if (!common.isActivatedEIP(4844)) return
  const limit = sys.vm.common.getBlobGasSchedule().maxBlobGasPerBlock
  const perBlob = sys.vm.common.param('blobGasPerBlob')
  let blobGas = 0n
  for (let i = 0; i < block.transactions.length; i++) {
    const tx = block.transactions[i]!
    if (!isBlob4844Tx(tx)) continue
    blobGas += BigInt(tx.numBlobs()) * perBlob
    if (blobGas > limit) throw new InvalidBlockError(`tx causes total blob gas of ${blobGas} to exceed maximum blob gas per block of ${limit}`, i)
  }
}

/** EIP-7934's MAX_RLP_BLOCK_SIZE: MAX_BLOCK_SIZE (10 MiB) less SAFETY_MARGIN (2 MiB). */
export const MAX_RLP_BLOCK_SIZE = 8_388_608n

/**
 * The EIP-7934 block size limit under `common`, or undefined where it does not apply.
 * @ethereumjs/common 10.1.3 defines EIP-7934 but activates it in no hardfork and defines no
 * `maxRlpBlockSize` parameter; the EIP is part of Osaka, so it applies from Osaka (or where a
 * Common activates it) with the parameter when a Common has one, else the EIP's value.
 */
export function maxRlpBlockSize(common: Common): bigint | undefined {
  if (!common.isActivatedEIP(7934) && !common.gteHardfork(Hardfork.Osaka)) return undefined
  try {
    return common.param('maxRlpBlockSize')
  } catch {
    return MAX_RLP_BLOCK_SIZE
  }
}

/** Step 1b (Osaka, EIP-7934): the block's RLP (the payload's bytes, equal to `block.serialize()`) within the limit; before the engine is told of the block. */
export function validateBlockSize(common: Common, payload: EvmBlockPayload): void {
  const max = maxRlpBlockSize(common)
  if (max === undefined) return
  const size = BigInt(payload.blockRlp.length)
  if (size > max) throw new InvalidBlockError(`block size exceeds maximum RLP block size limit: ${size} bytes > ${max} bytes`)
}

/** Step 4: the block's transactions through the engine, over `base` (slowed down by `readLatencyUs` when asked). */
export function applyTransactions<O>(
  engine: BlockExecutor,
  txCount: number,
  payload: EvmBlockPayload,
  base: BaseState,
  opts: EvmExecutorOptions,
  criticalPath: number | undefined,
): Promise<TracedBlockResult<O>> {
  const engineBase = opts.readLatencyUs !== undefined && opts.readLatencyUs > 0 ? new LatencyBaseState(base, opts.readLatencyUs) : base
  const trace = opts.engine === 'blockstm' && opts.trace === true
  return engine.execute<O>({
    txCount,
    payload,
    base: engineBase,
    ...(criticalPath !== undefined ? { criticalPath } : {}),
    ...(trace ? { trace: true } : {}),
  })
}

/** What {@link assembleReceipts} derives from the transactions' outputs, in block order. */
export interface BlockReceipts {
  gasUsed: bigint
  bloom: Bloom
  receipts: TxReceipt[]
  results: EvmTxResult[]
  receiptsRoot: Uint8Array | null
}

/**
 * Step 5: validity, receipts and bloom in block order. Throws {@link InvalidBlockError} for a
 * transaction whose gas limit exceeds the gas left in the block or that is invalid.
 */
export function assembleReceipts(block: Block, common: Common, outputs: EvmTxOutput[]): BlockReceipts {
  const header = block.header
  const byzantium = common.gteHardfork(Hardfork.Byzantium)
  const bloom = new Bloom(undefined, common)
  const receipts: TxReceipt[] = []
  const results: EvmTxResult[] = []
  const encodedReceipts: Uint8Array[] = []
  let gasUsed = 0n
  let cumulative = 0n
  let blobGasPrice: bigint | undefined
  for (let i = 0; i < block.transactions.length; i++) {
    const tx = block.transactions[i]!
    const out = outputs[i]!
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
  return { gasUsed, bloom, receipts, results, receiptsRoot }
}

type SystemStateManager = SystemVM['vm']['evm']['stateManager']
type SystemJournal = SystemVM['vm']['evm']['journal']

/**
 * Step 6: the post-block operations on the calling thread over the block's final writes
 * (`writes` on top of `base`); returns their writes together with the transactions' ones, and
 * the block's EIP-7685 requests (Prague).
 */
export async function applyPostBlockOperations(
  sys: SystemVM,
  common: Common,
  block: Block,
  base: BaseState,
  writes: Writes,
  receipts: BlockReceipts,
): Promise<{ writes: Writes; requests?: CLRequest<CLRequestType>[] }> {
  const postView = new OverlayView(base)
  for (const [k, v] of writes) postView.write(k, v)
  sys.sm.begin(postView, block.transactions.length)
  const journal = sys.vm.evm.journal
  journal.cleanJournal()
  if (common.isActivatedEIP(4895)) await assignWithdrawals(sys.vm.evm.stateManager, journal, block)
  if (common.consensusType() === 'pow') await assignBlockRewards(sys, journal, block)
  const requests = common.isActivatedEIP(7685) ? await applyRequests(sys, common, block, receipts) : undefined
  sys.sm.flush(postView)
  return { writes: [...postView.writes.values()], ...(requests !== undefined ? { requests } : {}) }
}

/** Withdrawals (EIP-4895): each amount (in gwei) credited to its address. */
export async function assignWithdrawals(sm: SystemStateManager, journal: SystemJournal, block: Block): Promise<void> {
  for (const w of block.withdrawals ?? []) await reward(sm, journal, w.address, w.amount * 1_000_000_000n)
  await journal.cleanup()
}

/** Proof-of-work rewards: each uncle's miner, then the block's miner (with the uncle inclusion bonus). */
export async function assignBlockRewards(sys: SystemVM, journal: SystemJournal, block: Block): Promise<void> {
  const header = block.header
  const sm = sys.vm.evm.stateManager
  const minerReward = sys.vm.common.param('minerReward')
  for (const ommer of block.uncleHeaders) {
    let r = ((8n - (header.number - ommer.number)) * minerReward) / 8n
    if (r < 0n) r = 0n
    await reward(sm, journal, ommer.coinbase, r)
  }
  const minerTotal = minerReward + (minerReward / 32n) * BigInt(block.uncleHeaders.length)
  await reward(sm, journal, header.coinbase, minerTotal)
}

/**
 * EIP-7685 requests (requests.ts): the deposits from the transactions' logs (EIP-6110), then
 * the system calls (EIP-7002/7251) through runBlock on a transaction-less copy of the block (its
 * pre-block operations rewrite the same values, and its own deposit request, from no
 * transactions, is replaced by the block's).
 */
export async function applyRequests(sys: SystemVM, common: Common, block: Block, receipts: BlockReceipts): Promise<CLRequest<CLRequestType>[]> {
  const deposits = common.isActivatedEIP(6110) ? depositRequest(common, receipts.results.flatMap((r) => r.logs)) : undefined
  const bare = createBlock({ header: block.header.toJSON(), transactions: [], withdrawals: [] } as never, { common: sys.common })
  const r = await runBlock(sys.vm, { block: bare, generate: true, skipBlockValidation: true, skipHeaderValidation: true })
  const system = (r.requests ?? []).filter((q) => q.type !== CLRequestType.Deposit)
  return deposits !== undefined ? [deposits, ...system] : system
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

/** Step 7: the block's result, compared with its header; the post-state is assembled on first access. */
export function blockResult(
  block: Block,
  common: Common,
  args: ExecuteBlockArgs,
  stateDiff: Writes,
  r: BlockReceipts,
  res: TracedBlockResult<EvmTxOutput>,
  requests?: CLRequest<CLRequestType>[],
): EvmBlockResult {
  const header = block.header
  const byzantium = r.receiptsRoot !== null
  const reqHash = requests !== undefined ? requestsHash(requests) : undefined
  let postState: PostState | undefined
  return {
    number: header.number,
    hardfork: common.hardfork(),
    txCount: block.transactions.length,
    gasUsed: r.gasUsed,
    logsBloom: r.bloom.bitvector,
    receiptsRoot: r.receiptsRoot,
    ...(byzantium ? {} : { receiptsRootNote: PRE_BYZANTIUM_NOTE }),
    receipts: r.receipts,
    results: r.results,
    stateDiff,
    ...(requests !== undefined ? { requests, requestsHash: reqHash! } : {}),
    get postState(): PostState {
      postState ??= assemblePostState(args.preState, stateDiff)
      return postState
    },
    headerMatch: {
      gasUsed: r.gasUsed === header.gasUsed,
      logsBloom: equalsBytes(r.bloom.bitvector, header.logsBloom),
      receiptsRoot: r.receiptsRoot === null ? null : equalsBytes(r.receiptsRoot, header.receiptTrie),
      requestsHash: reqHash === undefined || header.requestsHash === undefined ? null : equalsBytes(reqHash, header.requestsHash),
    },
    stats: res.stats,
    ...(res.trace !== undefined ? { trace: res.trace } : {}),
  }
}
