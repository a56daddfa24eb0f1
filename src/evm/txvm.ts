/**
 * The transaction VM module the engine loads in every thread: `createTransactionVM(payload, lane)`.
 *
 * Invariants:
 * - The payload ({@link EvmBlockPayload}) is structured-cloneable: the block as RLP, its
 *   hardfork, BLOCKHASH table, and flags. The decoded block is cached per payload object (all
 *   lanes of a thread share it); its transactions are decoded when the thread first needs
 *   them (lazyBlock.ts), and senders recovered lazily, each once per block across all
 *   threads when the payload carries a sender table (senderTable.ts).
 * - One @ethereumjs VM per lane (runTx is not re-entrant), reused across blocks with the same
 *   rules; its {@link BlockSTMStateManager} is re-pointed at each incarnation's view.
 * - `execute` is deterministic in the values it reads. It first declares the dependency on the
 *   previous transaction of the same sender (`view.dependOn`), then runs runTx. A view error
 *   the EVM swallowed is rethrown; a read answered asynchronously inside a synchronous getter
 *   is awaited and the transaction rerun with the same reads.
 * - An invalid transaction (nonce, balance, intrinsic gas, per-tx gas limit, signature...) yields
 *   an output with `valid: false` and writes nothing; the block-level API rejects the block.
 * - The fee-recipient credit is a commutative balance delta unless the transaction really read
 *   the fee recipient (see stateManager.ts).
 */
import { Mainnet, type Common } from '@ethereumjs/common'
import type { Block } from '@ethereumjs/block'
import { type VM, createVM, runTx } from '@ethereumjs/vm'
import { EthereumJSError, bytesToHex, type Account, type Address } from '@ethereumjs/util'
import type { IncarnationView, TransactionVM } from '../executor/types.js'
import { BlockSTMStateManager, LazyAccount, PendingRead } from './stateManager.js'
import { enableJumpAnalysisCache } from './jumpAnalysis.js'
import { SenderTable } from './senderTable.js'
import { decodeBlockLazily, type LazyTransactions } from './lazyBlock.js'
import { blockHashChain, commonFromRules, localCommonOf, lookupBlockHash, type BlockHashes, type BlockHashSource, type ChainRules } from './chain.js'
import { encodeReceiptTail, type Log } from './receipts.js'
import { getKZG, kzgLoadFailure, nativeEcrecover } from './crypto.js'
import { keccak256 } from './keccak.js'

export interface EvmBlockPayload {
  /** The block, RLP-serialized. */
  blockRlp: Uint8Array
  /**
   * The caller's chain (chain.ts): config, hardfork, EIPs, parameters. Without it, Mainnet at
   * `hardfork` with `eips`.
   */
  rules?: ChainRules
  hardfork: string
  eips?: number[]
  /**
   * BLOCKHASH table: the hashes the caller supplied. A number it lacks is never invented: the
   * transaction's output reports it (`missingBlockHash`) and the block is rejected.
   */
  blockHashes: Array<[bigint, Uint8Array]>
  /** Per tx: the previous tx index with the same sender, or -1 (a scheduling hint). Computed in the worker when absent. */
  prevSameSender?: Int32Array
  /** 'native': secp256k1 native binding when it loads; 'default': @ethereumjs's noble. */
  crypto?: 'native' | 'default'
  /** Record fee-recipient credits as deltas (default true). */
  coinbaseDelta?: boolean
  /** runTx's `skipNonce` / `skipBalance` for every transaction (runBlock's options of those names). */
  skipNonce?: boolean
  skipBalance?: boolean
  /**
   * Senders recovered once per block and shared by every thread ({@link createSenderTable};
   * fresh for each run). Without it each thread recovers the senders it needs itself.
   */
  senderTable?: SharedArrayBuffer
}

/** What one transaction produced (structured-cloneable). */
export interface EvmTxOutput {
  valid: boolean
  /** Why the transaction is invalid (valid: false) or how execution failed (status 0). */
  error?: string
  status: 0 | 1
  /** Gas charged to the sender (receipt gas). */
  gasUsed: bigint
  /** Gas counted towards the block's gasUsed. */
  blockGasSpent: bigint
  /** The receipt's bloom and logs, encoded where the transaction ran (receipts.ts). */
  receiptTail: Uint8Array
  returnValue: Uint8Array
  createdAddress?: string
  blobGasUsed?: bigint
  type: number
  /** The first block number this execution asked BLOCKHASH for that the table lacks. */
  missingBlockHash?: bigint
}

interface BlockContext {
  block: Block
  /** The block's transactions, each decoded when this thread first needs it. */
  txs: LazyTransactions
  senders: SenderTable | undefined
  hashes: BlockHashes
  prev: Int32Array | undefined
  /** Lazily computed prev-same-sender table (when the payload has none). */
  scanned: number
  lastBySender: Map<string, number>
  lazyPrev: number[]
  /** The fee recipient's address (lower-case hex), whose own transactions wait for lower ones. */
  coinbase: string
  /** Per transaction: its sender (lower-case hex), null when it does not recover; filled on first use. */
  senderHex: Array<string | null | undefined>
}

interface Lane {
  key: string
  vm: VM
  sm: BlockSTMStateManager
  chain: BlockHashSource
}

const contexts = new WeakMap<object, Promise<BlockContext>>()
const lanes = new Map<number, Lane>()

function laneKey(p: EvmBlockPayload): string {
  return `${p.rules?.key ?? `mainnet|${p.hardfork}|${(p.eips ?? []).join(',')}`}|${p.crypto ?? 'native'}`
}

/**
 * The payload's Common: on the calling thread, built with the caller's crypto functions
 * (registered by the block-level API); in a worker, rebuilt from the rules it carries.
 */
function payloadCommon(p: EvmBlockPayload): Promise<Common> {
  const rules = p.rules ?? { chain: Mainnet, hardfork: p.hardfork, eips: p.eips ?? [] }
  return commonFromRules(rules, p.crypto ?? 'native', localCommonOf(p)?.customCrypto)
}

async function contextFor(p: EvmBlockPayload): Promise<BlockContext> {
  let c = contexts.get(p)
  if (c === undefined) {
    c = (async () => {
      const common = await payloadCommon(p)
      const { block, txs } = decodeBlockLazily(p.blockRlp, common)
      return {
        block,
        txs,
        senders: p.senderTable !== undefined ? new SenderTable(p.senderTable, txs) : undefined,
        hashes: new Map(p.blockHashes),
        prev: p.prevSameSender,
        scanned: 0,
        lastBySender: new Map(),
        lazyPrev: [],
        coinbase: block.header.coinbase.toString(),
        senderHex: [],
      }
    })()
    contexts.set(p, c)
  }
  return c
}

/** Creates a VM whose state manager is a BlockSTMStateManager (shared with the system phases). */
export async function createBindingVM(common: Common): Promise<{ vm: VM; sm: BlockSTMStateManager; chain: BlockHashSource }> {
  const sm = new BlockSTMStateManager()
  const chain: BlockHashSource = { hashes: undefined, missing: undefined }
  const vm = await createVM({ common, stateManager: sm, blockchain: blockHashChain((n) => lookupBlockHash(chain, n)) as never })
  await enableJumpAnalysisCache(vm.evm)
  const evm = vm.evm as unknown as {
    runCall: (opts: { message?: unknown }) => Promise<unknown>
    _addToBalance: (toAccount: Account, message: { to: Address; value: bigint }) => Promise<void>
    journal: { putAccount(address: Address, account: Account): Promise<void> }
  }
  // Value transfers credit the recipient without reading its balance when nothing else in
  // the incarnation has read it (a commutative delta: payments to one hot address do not
  // conflict); a zero-value call then reads no balance at all.
  const addToBalance = evm._addToBalance.bind(evm)
  evm._addToBalance = async (toAccount, message) => {
    if (toAccount instanceof LazyAccount && toAccount._balance === null && toAccount.addr === message.to.toString()) {
      if (message.value === 0n || sm.canCredit(toAccount.addr)) {
        sm.credit(toAccount, message.value)
        await evm.journal.putAccount(message.to, toAccount)
        return
      }
    }
    return addToBalance(toAccount, message)
  }
  const runCall = evm.runCall.bind(evm)
  evm.runCall = async (opts) => {
    const r = await runCall(opts)
    if (opts.message === undefined) sm.enterPostExecution()
    return r
  }
  return { vm, sm, chain }
}

async function laneFor(p: EvmBlockPayload, lane: number, ctx: BlockContext): Promise<Lane> {
  const key = laneKey(p)
  let l = lanes.get(lane)
  if (l === undefined || l.key !== key) {
    const { vm, sm, chain } = await createBindingVM(ctx.block.common)
    l = { key, vm, sm, chain }
    lanes.set(lane, l)
  }
  return l
}

function senderOf(ctx: BlockContext, i: number): string | undefined {
  const known = ctx.senderHex[i]
  if (known !== undefined) return known ?? undefined
  // The address from the recovered key with the binding's keccak (WebAssembly): the
  // transaction's own getSenderAddress() hashes with @noble/hashes on every call, 10-40 µs.
  let hex: string | null = null
  if (ctx.senders === undefined || ctx.senders.ensure(i)) {
    try {
      hex = bytesToHex(keccak256(ctx.txs.tx(i).getSenderPublicKey()).subarray(12))
    } catch {
      hex = null
    }
  }
  ctx.senderHex[i] = hex
  return hex ?? undefined
}

function prevSameSender(ctx: BlockContext, i: number): number {
  if (ctx.prev !== undefined) return ctx.prev[i] ?? -1
  if (ctx.senders !== undefined && ctx.scanned <= i) ctx.senders.ensureRange(ctx.scanned, i)
  for (; ctx.scanned <= i; ctx.scanned++) {
    const j = ctx.scanned
    const s = senderOf(ctx, j)
    ctx.lazyPrev[j] = s === undefined ? -1 : (ctx.lastBySender.get(s) ?? -1)
    if (s !== undefined) ctx.lastBySender.set(s, j)
  }
  return ctx.lazyPrev[i]!
}

/** Runs transaction `i` of the block on `lane`'s VM against `view`. */
/** runTx options a payload may set for every transaction. */
interface RunTxFlags {
  skipNonce?: boolean
  skipBalance?: boolean
}

async function executeTx(l: Lane, ctx: BlockContext, i: number, view: IncarnationView, coinbaseDelta: boolean, runTxFlags: RunTxFlags): Promise<EvmTxOutput> {
  const { block } = ctx
  const tx = ctx.txs.tx(i)
  const { vm, sm } = l
  sm.setCoinbase(coinbaseDelta ? block.header.coinbase : undefined)
  sm.begin(view, i)
  for (;;) {
    l.chain.missing = undefined
    vm.evm.journal.cleanJournal()
    ;(vm.evm as unknown as { transientStorage?: { clear(): void } }).transientStorage?.clear()
    let res: Awaited<ReturnType<typeof runTx>> | undefined
    let err: unknown
    try {
      res = await runTx(vm, { tx, block, skipHardForkValidation: true, ...runTxFlags })
    } catch (e) {
      err = e
    }
    const captured = sm.takeCapturedError()
    if (captured instanceof PendingRead) {
      await captured.promise
      sm.restart()
      continue
    }
    if (captured !== undefined) throw captured
    // A KZG setup that failed to load looks like a failed precompile call to the EVM (crypto.ts).
    const kzgError = kzgLoadFailure()
    if (kzgError !== undefined) throw kzgError
    if (err !== undefined) {
      if (err instanceof EthereumJSError) {
        return {
          valid: false,
          error: err.message,
          status: 0,
          gasUsed: 0n,
          blockGasSpent: 0n,
          receiptTail: EMPTY_RECEIPT_TAIL,
          returnValue: new Uint8Array(0),
          type: tx.type,
        }
      }
      throw err
    }
    sm.flush()
    const r = res!
    const ex = r.execResult
    const out: EvmTxOutput = {
      valid: true,
      status: ex.exceptionError === undefined ? 1 : 0,
      gasUsed: r.totalGasSpent,
      blockGasSpent: r.blockGasSpent ?? r.totalGasSpent,
      receiptTail: encodeReceiptTail(r.bloom.bitvector, (ex.logs ?? []) as Log[]),
      returnValue: ex.returnValue,
      type: tx.type,
    }
    if (ex.exceptionError !== undefined) out.error = ex.exceptionError.error
    if (r.createdAddress !== undefined) out.createdAddress = r.createdAddress.toString()
    if (r.blobGasUsed !== undefined) out.blobGasUsed = r.blobGasUsed
    if (l.chain.missing !== undefined) out.missingBlockHash = l.chain.missing
    return out
  }
}

/** The tail of a receipt without logs (an invalid transaction's output). */
const EMPTY_RECEIPT_TAIL = encodeReceiptTail(new Uint8Array(256), [])

/** Senders recovered between two looks at `stop` (~80 µs each with the native binding). */
const PREFETCH_CHUNK = 8

/**
 * The engine's optional prefetch (see TransactionVMModule): recovers into the block's sender
 * table the senders no thread has claimed yet, from `from` on, so that the thread executing
 * those transactions finds them recovered. Nothing without a sender table.
 */
export async function prefetch(payload: unknown, from: number, stop: () => boolean): Promise<void> {
  const ctx = await contextFor(payload as EvmBlockPayload)
  const senders = ctx.senders
  if (senders === undefined) return
  for (let next = from; next >= 0 && !stop(); ) {
    next = senders.prefetch(next, PREFETCH_CHUNK)
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
}

/**
 * The engine's optional warm-up (see TransactionVMModule), run by each worker before its first
 * block: the native ecrecover binding, which the first block would otherwise wait for, and the
 * KZG object every Common carries from Cancun on: a facade whose setup loads on first use,
 * except where the KZG packages do not resolve (a user's bundle), where the setup itself is
 * built now (crypto.ts).
 */
export async function warmUp(): Promise<void> {
  nativeEcrecover()
  await getKZG()
}

export async function createTransactionVM(payload: unknown, lane: number): Promise<TransactionVM<EvmTxOutput>> {
  const p = payload as EvmBlockPayload
  const ctx = await contextFor(p)
  const l = await laneFor(p, lane, ctx)
  l.chain.hashes = ctx.hashes
  const coinbaseDelta = p.coinbaseDelta ?? true
  const runTxFlags: RunTxFlags = {}
  if (p.skipNonce === true) runTxFlags.skipNonce = true
  if (p.skipBalance === true) runTxFlags.skipBalance = true
  return {
    async execute(i: number, view: IncarnationView): Promise<EvmTxOutput> {
      // This transaction's sender first: the threads executing the transactions just below
      // are recovering theirs meanwhile, so the scan below rarely waits for one.
      ctx.senders?.ensure(i)
      const prev = prevSameSender(ctx, i)
      // The fee recipient's own transaction (a mining pool paying out from its coinbase, as
      // in many blocks) reads the balance every lower transaction credits its fee to: run
      // before those have executed, it is bound to be aborted. It waits for every lower
      // transaction up to its previous one, which waited for those below it.
      if (coinbaseDelta && prev < i - 1 && senderOf(ctx, i) === ctx.coinbase) for (let j = i - 1; j > prev; j--) view.dependOn(j)
      if (prev >= 0) view.dependOn(prev)
      l.chain.hashes = ctx.hashes
      return executeTx(l, ctx, i, view, coinbaseDelta, runTxFlags)
    },
  }
}
