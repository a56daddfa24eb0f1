/**
 * A drop-in for @ethereumjs/vm 10.1.3 `runBlock(vm, opts)` whose transactions run on the
 * Block-STM engine: `runBlockParallel(vm, opts)`, and `createParallelRunner({ threads, lanes })`
 * whose `.runBlock(vm, opts)` keeps the worker pool across blocks.
 *
 * The contract is runBlock's, step by step:
 *   1. options: runBlock's (an unsupported one — `blockAccessList` — throws
 *      UnsupportedOptionError before anything runs); `beforeBlock` is emitted, `setHardfork`
 *      and `root` (with `clearCache`) are applied as runBlock applies them;
 *   2. blocks the binding cannot run faithfully (before Byzantium, whose receipts carry a
 *      state root per transaction; the DAO fork block; EIP-7864/7928/8037) are handed to
 *      runBlock itself (reported in `stats.fallback`);
 *   3. under a checkpoint of the VM's journal (hence of `vm.stateManager`): runBlock's block
 *      validation unless skipped, then the binding's named steps (src/evm/executeBlock.ts)
 *      over a lazy pre-state read from `vm.stateManager` (stateSource.ts: the first read of
 *      each location in the block, through the engine's fetch path, many executions in
 *      flight per thread); block hashes from `vm.blockchain`, as BLOCKHASH reads them;
 *   4. the state diff is written into `vm.stateManager` (commit.ts), EIP-7685 requests are
 *      assembled, the state root computed; with `generate` the header fields are generated,
 *      otherwise checked in runBlock's order with runBlock's messages;
 *   5. any failure reverts the checkpoint (the state manager is as before) and is rethrown:
 *      an invalid block as BlockRejectedError carrying runBlock's message, a failed state
 *      read as BaseStateReadError; success commits it and emits `afterBlock`.
 *
 * Statistics (`stats`): the engine's (executions, aborts, fetch path), the state source's
 * (locations and calls to the state manager, time they were in flight) and where the time
 * went (execution, commit, state root).
 */
import { Block, createBlockHeader, genRequestsRoot } from '@ethereumjs/block'
import { Hardfork, type Common } from '@ethereumjs/common'
import { bytesToHex, createAddressFromString, equalsBytes, type PrefixedHexString } from '@ethereumjs/util'
import { Bloom, runBlock, type RunBlockOpts, type RunBlockResult, type RunTxResult, type VM } from '@ethereumjs/vm'
import { sha256 } from '@noble/hashes/sha2.js'
import type { BlockExecutor, ExecutionStats, LocationKey, LocationValue } from '../executor/types.js'
import type { TracedBlockResult } from '../executor/blockstm.js'
import { makeEngine } from '../evm/engines.js'
import { SystemVMs } from '../evm/systemVMs.js'
import { orderedTrieRoot } from '../evm/orderedTrie.js'
import {
  applyPostBlockOperations,
  applyPreBlockOperations,
  applyTransactions,
  assembleReceipts,
  buildPayload,
  checkChain,
  validateBlobGas,
  type BlockReceipts,
} from '../evm/executeBlock.js'
import { registerLocalCommon, resolveBlockHashes, type BlockHashes } from '../evm/chain.js'
import { InvalidBlockError, MissingBlockHashError } from '../evm/errors.js'
import type { EvmTxOutput } from '../evm/txvm.js'
import type { EvmExecutorOptions } from '../evm/types.js'
import { StateManagerSource, type SourceStats } from './stateSource.js'
import { commitDiff, groupByAccount } from './commit.js'
import { MerkleDirect, whyNotDirect } from './merkleDirect.js'
import { BlockRejectedError, RunnerStateError, UnsupportedOptionError } from './errors.js'

export interface ParallelRunnerOptions {
  /** Worker threads (default 2). */
  threads?: number
  /** Executions in flight per thread (default 4): while some wait for the state, others run. */
  lanes?: number
  /**
   * Sender recovery and the other signature checks in the engine: 'native' (secp256k1's native
   * binding when it loads; identical results) or 'default' (the caller's Common's). Default 'native'.
   */
  crypto?: 'native' | 'default'
  /** Scheduler of the Block-STM engine (default the engine's). */
  scheduler?: 'v1' | 'v2'
}

/** Where one block's time went (ms), and how the state was read. */
export interface ParallelRunStats {
  /** The engine's statistics (executions, validations, aborts, fallback, fetch path); absent when runBlock ran the block. */
  engine?: ExecutionStats
  /** The caller's state manager as the block read it. */
  source?: SourceStats
  /** Set when the block was handed to runBlock, with the reason. */
  fallback?: string
  /** Pre-block operations, transactions, receipts, post-block operations. */
  executeMs: number
  /** Writing the state diff into the state manager. */
  commitMs: number
  /** The state manager's getStateRoot(). */
  stateRootMs: number
  totalMs: number
  /** Accounts written into the state manager. */
  accountsWritten: number
  /**
   * How the state manager was read and written: 'trie' — a plain MerkleStateManager's tries
   * directly (merkleDirect.ts), 'interface' — its StateManagerInterface methods, for the
   * reason in `interfaceReason`. Absent when runBlock ran the block.
   */
  access?: 'trie' | 'interface'
  interfaceReason?: string
}

/** runBlock's result; `results` hold the fields listed in the README (no gas refund or amount spent). */
export interface ParallelRunBlockResult extends RunBlockResult {
  stats: ParallelRunStats
}

export interface ParallelRunner {
  readonly threads: number
  readonly lanes: number
  /** runBlock(vm, opts) with the transactions on this runner's workers. One block at a time. */
  runBlock(vm: VM, opts: RunBlockOpts): Promise<ParallelRunBlockResult>
  close(): Promise<void>
}

const SUPPORTED = new Set([
  'block',
  'root',
  'clearCache',
  'generate',
  'skipBlockValidation',
  'skipHardForkValidation',
  'skipHeaderValidation',
  'skipNonce',
  'skipBalance',
  'setHardfork',
  'reportPreimages',
  'validateBlockSize',
])

function checkOptions(opts: RunBlockOpts): void {
  if (opts === null || typeof opts !== 'object' || opts.block === undefined) throw new TypeError('runBlockParallel: opts.block is required')
  if (opts.blockAccessList !== undefined) throw new UnsupportedOptionError('blockAccessList', 'block-level access lists (EIP-7928, Amsterdam draft) are not produced by the parallel engine yet')
  for (const k of Object.keys(opts)) {
    if (!SUPPORTED.has(k) && (opts as unknown as Record<string, unknown>)[k] !== undefined) throw new UnsupportedOptionError(k, 'not an option of runBlock 10.1.3 that the drop-in knows')
  }
}

/** Why runBlock itself must run this block (undefined: the engine runs it). */
function runBlockOnly(common: Common, block: Block): string | undefined {
  if (!common.gteHardfork(Hardfork.Byzantium)) return 'before Byzantium, receipts carry the state root after each transaction'
  if (common.hardforkIsActiveOnBlock(Hardfork.Dao, block.header.number) && block.header.number === common.hardforkBlock(Hardfork.Dao)) return 'the DAO fork block (irregular state change)'
  for (const eip of [7864, 7928, 8037]) if (common.isActivatedEIP(eip)) return `EIP-${eip} is active`
  return undefined
}

function errorMsg(msg: string, vm: VM, block: Block): string {
  return `${msg} (${vm.errorStr()} -> ${'errorStr' in block ? block.errorStr() : 'block'})`
}

/** The rules the block runs under after `setHardfork`, without touching the caller's Common. */
function rulesAfterSetHardfork(vm: VM, block: Block, setHardfork: boolean): Common {
  if (!setHardfork) return vm.common
  const c = vm.common.copy()
  c.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
  return c
}

export function createParallelRunner(opts: ParallelRunnerOptions = {}): ParallelRunner {
  const threads = opts.threads ?? 2
  const lanes = opts.lanes ?? 4
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be a positive integer, got ${threads}`)
  if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError(`lanes must be a positive integer, got ${lanes}`)
  const evmOpts: EvmExecutorOptions = {
    engine: 'blockstm',
    threads,
    lanes,
    crypto: opts.crypto ?? 'native',
    ...(opts.scheduler !== undefined ? { scheduler: opts.scheduler } : {}),
  }
  let engine: Promise<BlockExecutor> | undefined
  const systemVMs = new SystemVMs()
  let busy = false
  let closed = false

  /**
   * The 256 hashes BLOCKHASH may ask for, from `vm.blockchain.getBlock(number)` as runBlock's
   * BLOCKHASH reads them (not cached across blocks: the canonical chain may change between
   * blocks). A missing block fails this block only if a committed transaction asks for it.
   */
  async function blockHashes(vm: VM, block: Block): Promise<BlockHashes> {
    const chain = vm.blockchain as unknown as { getBlock(n: number): Promise<{ hash(): Uint8Array }> }
    return resolveBlockHashes(block.header.number, undefined, async (n) => {
      try {
        return (await chain.getBlock(Number(n))).hash()
      } catch {
        return undefined
      }
    })
  }

  /** Steps 3's execution: the binding's named steps over the caller's state; the block's state diff. */
  async function execute(vm: VM, block: Block, common: Common, source: StateManagerSource, runOpts: RunBlockOpts) {
    const eng = await (engine ??= makeEngine(evmOpts))
    checkChain(block, common)
    const hashes = await blockHashes(vm, block)
    const { payload, criticalPath } = buildPayload(block, common, evmOpts, { block, preState: new Map() }, hashes)
    if (runOpts.skipNonce === true) payload.skipNonce = true
    if (runOpts.skipBalance === true) payload.skipBalance = true
    registerLocalCommon(payload, common)
    eng.announce?.(payload)
    const [sysKey, sys] = await systemVMs.take(payload.rules!, evmOpts.crypto ?? 'native', common.customCrypto)
    sys.chain.hashes = hashes
    sys.chain.missing = undefined
    sys.sm.setCoinbase(undefined)
    const preWrites = await applyPreBlockOperations(sys, common, block, source)
    validateBlobGas(sys, common, block)
    const res = await applyTransactions<EvmTxOutput>(eng, block.transactions.length, payload, source, evmOpts, criticalPath)
    let receipts: BlockReceipts
    try {
      receipts = assembleReceipts(block, common, res.outputs)
    } catch (e) {
      if (e instanceof InvalidBlockError) {
        const msg = e.reason === 'tx has a higher gas limit than the block' ? errorMsg(e.reason, vm, block) : e.reason
        throw new BlockRejectedError(msg, e.txIndex)
      }
      throw e
    }
    const { writes: postWrites, requests } = await applyPostBlockOperations(sys, common, block, source, res.writes, receipts)
    if (sys.chain.missing !== undefined) throw new MissingBlockHashError(sys.chain.missing, block.header.number)
    systemVMs.give(sysKey, sys)
    return { res, receipts, diff: [...preWrites, ...res.writes, ...postWrites], requests }
  }

  async function runOne(vm: VM, runOpts: RunBlockOpts): Promise<ParallelRunBlockResult> {
    checkOptions(runOpts)
    const t0 = performance.now()
    const sm = vm.stateManager
    const clearCache = runOpts.clearCache ?? true
    const setHardfork = (runOpts.setHardfork ?? (vm as unknown as { _setHardfork: unknown })._setHardfork) === true
    const block = runOpts.block
    const only = runBlockOnly(rulesAfterSetHardfork(vm, block, setHardfork), block)
    if (only !== undefined) {
      const r = await runBlock(vm, runOpts)
      const totalMs = performance.now() - t0
      return { ...r, stats: { fallback: `runBlock: ${only}`, executeMs: totalMs, commitMs: 0, stateRootMs: 0, totalMs, accountsWritten: 0 } }
    }
    await vm._emit('beforeBlock', block)
    if (setHardfork) vm.common.setHardforkBy({ blockNumber: block.header.number, timestamp: block.header.timestamp })
    if (runOpts.root !== undefined) await sm.setStateRoot(runOpts.root, clearCache)
    const common = vm.common
    await vm.evm.journal.checkpoint()
    let result: ParallelRunBlockResult
    let outBlock = block
    let afterCommit: (() => Promise<void>) | undefined
    try {
      if (runOpts.skipBlockValidation !== true) await validateBlock(vm, block, runOpts)
      const direct = MerkleDirect.for(sm)
      const interfaceReason = direct === undefined ? whyNotDirect(sm) : undefined
      const source = new StateManagerSource(sm, direct)
      const tExec = performance.now()
      const { res, receipts, diff, requests } = await execute(vm, block, common, source, runOpts).catch((e: unknown) => {
        // A read of the caller's state failed: that failure, whatever it caused downstream.
        throw source.failure ?? e
      })
      const tCommit = performance.now()
      let accountsWritten: number
      if (direct !== undefined) {
        const grouped = groupByAccount(diff)
        afterCommit = await direct.commit(grouped)
        accountsWritten = grouped.size
      } else {
        accountsWritten = await commitDiff(sm, diff)
      }
      const tRoot = performance.now()
      const stateRoot = await sm.getStateRoot()
      const tEnd = performance.now()
      const requestsHash = requests !== undefined ? genRequestsRoot(requests, common.customCrypto.sha256 ?? sha256) : undefined
      const results = txResults(common, res, receipts)
      if (runOpts.generate === true) {
        const generated = {
          stateRoot,
          logsBloom: receipts.bloom.bitvector,
          gasUsed: receipts.gasUsed,
          receiptTrie: receipts.receiptsRoot!,
          // Built bottom-up (orderedTrie.ts), equal to runBlock's MerklePatriciaTrie insertions.
          transactionsTrie: orderedTrieRoot(block.transactions.map((tx) => tx.serialize())),
          requestsHash,
        }
        // runBlock's generated block: the header with these fields; the block's own transactions,
        // uncles and withdrawals (runBlock re-creates each from its data, to the same values).
        const header = createBlockHeader({ ...block.header, ...generated } as never, { common })
        outBlock = new Block(header, block.transactions, block.uncleHeaders, block.withdrawals, { common })
      } else {
        checkHeader(vm, block, common, receipts, stateRoot, requestsHash)
      }
      const stats: ParallelRunStats = {
        engine: res.stats,
        source: { ...source.stats },
        executeMs: tCommit - tExec,
        commitMs: tRoot - tCommit,
        stateRootMs: tEnd - tRoot,
        totalMs: performance.now() - t0,
        accountsWritten,
        access: direct !== undefined ? 'trie' : 'interface',
        ...(interfaceReason !== undefined ? { interfaceReason } : {}),
      }
      result = {
        receipts: receipts.receipts,
        logsBloom: receipts.bloom.bitvector,
        results,
        stateRoot,
        gasUsed: receipts.gasUsed,
        receiptsRoot: receipts.receiptsRoot!,
        preimages: runOpts.reportPreimages === true ? preimages(vm, block, diff, results) : new Map(),
        ...(requestsHash !== undefined ? { requestsHash, requests } : {}),
        stats,
      }
      await vm.evm.journal.commit()
    } catch (e) {
      await vm.evm.journal.revert()
      throw e
    }
    // The block is committed: the storage nodes its updates replaced may go (pruning only).
    if (afterCommit !== undefined) await afterCommit()
    await vm._emit('afterBlock', { ...result, block: outBlock })
    return result
  }

  return {
    threads,
    lanes,
    async runBlock(vm, runOpts) {
      if (closed) throw new RunnerStateError('the parallel runner is closed')
      if (busy) throw new RunnerStateError('the parallel runner runs one block at a time')
      busy = true
      try {
        return await runOne(vm, runOpts)
      } finally {
        busy = false
      }
    },
    async close() {
      closed = true
      if (engine !== undefined) await (await engine).close()
    },
  }
}

/** runBlock(vm, opts) with the transactions on `threads` workers (a runner for one block). */
export async function runBlockParallel(vm: VM, opts: RunBlockOpts & ParallelRunnerOptions): Promise<ParallelRunBlockResult> {
  const { threads, lanes, crypto, scheduler, ...runOpts } = opts
  const runner = createParallelRunner({
    ...(threads !== undefined ? { threads } : {}),
    ...(lanes !== undefined ? { lanes } : {}),
    ...(crypto !== undefined ? { crypto } : {}),
    ...(scheduler !== undefined ? { scheduler } : {}),
  })
  try {
    return await runner.runBlock(vm, runOpts)
  } finally {
    await runner.close()
  }
}

/** runBlock's block validation (its applyBlock): gas limit bound, the blockchain's header check, the block's data. */
async function validateBlock(vm: VM, block: Block, opts: RunBlockOpts): Promise<void> {
  if (block.header.gasLimit >= BigInt('0x8000000000000000')) throw new BlockRejectedError(errorMsg('Invalid block with gas limit greater than (2^63 - 1)', vm, block))
  if (opts.skipHeaderValidation !== true) {
    const chain = vm.blockchain as unknown as { validateHeader?: (h: Block['header']) => Promise<void> }
    if (typeof chain.validateHeader !== 'function') throw new Error('cannot validate header: blockchain has no `validateHeader` method')
    await chain.validateHeader(block.header)
  }
  await block.validateData(false, true, opts.validateBlockSize ?? false)
}

/** runBlock's header checks, in its order and with its messages. */
function checkHeader(vm: VM, block: Block, common: Common, r: BlockReceipts, stateRoot: Uint8Array, requestsHash: Uint8Array | undefined): void {
  if (common.isActivatedEIP(7685) && !equalsBytes(block.header.requestsHash!, requestsHash!)) throw new BlockRejectedError(errorMsg('invalid requestsHash', vm, block))
  if (!equalsBytes(r.receiptsRoot!, block.header.receiptTrie)) throw new BlockRejectedError(errorMsg('invalid receiptTrie', vm, block))
  if (!equalsBytes(r.bloom.bitvector, block.header.logsBloom)) throw new BlockRejectedError(errorMsg('invalid bloom', vm, block))
  if (r.gasUsed !== block.header.gasUsed) throw new BlockRejectedError(errorMsg('invalid gasUsed', vm, block))
  if (!equalsBytes(stateRoot, block.header.stateRoot)) {
    throw new BlockRejectedError(errorMsg(`invalid block stateRoot, got: ${bytesToHex(stateRoot)}, want: ${bytesToHex(block.header.stateRoot)}`, vm, block))
  }
}

/** runBlock's per-transaction results, from the engine's outputs (fields the binding does not track are absent). */
function txResults(common: Common, res: TracedBlockResult<EvmTxOutput>, r: BlockReceipts): RunTxResult[] {
  return r.results.map((t, i) => {
    const out = res.outputs[i]!
    const receipt = r.receipts[i]!
    const x: Record<string, unknown> = {
      receipt,
      bloom: new Bloom(receipt.bitvector, common),
      totalGasSpent: out.gasUsed,
      blockGasSpent: out.blockGasSpent,
      execResult: {
        returnValue: t.returnValue,
        logs: t.logs,
        executionGasUsed: undefined,
        ...(t.error !== undefined ? { exceptionError: { error: t.error, errorType: 'EVMError' } } : {}),
      },
    }
    if (t.createdAddress !== undefined) x.createdAddress = createAddressFromString(t.createdAddress)
    if (out.blobGasUsed !== undefined) x.blobGasUsed = out.blobGasUsed
    return x as unknown as RunTxResult
  })
}

/**
 * runBlock's `preimages` (reportPreimages): keccak256(address) → address for the fee
 * recipient and the accounts the block touched: senders, recipients, created contracts,
 * withdrawal addresses, and every account whose state it changed.
 */
function preimages(vm: VM, block: Block, diff: Array<[LocationKey, LocationValue]>, results: RunTxResult[]): Map<PrefixedHexString, Uint8Array> {
  const sm = vm.stateManager as { getAppliedKey?: (k: Uint8Array) => Uint8Array }
  if (sm.getAppliedKey === undefined) throw new Error('applyBlock: evm.stateManager.getAppliedKey can not be undefined if reportPreimages is true')
  const addrs = new Map<string, Uint8Array>()
  const add = (a: Uint8Array) => addrs.set(bytesToHex(a), a)
  add(block.header.coinbase.toBytes())
  block.transactions.forEach((tx, i) => {
    add(tx.getSenderAddress().toBytes())
    if (tx.to !== undefined) add(tx.to.toBytes())
    const c = results[i]!.createdAddress
    if (c !== undefined) add(c.toBytes())
  })
  for (const w of block.withdrawals ?? []) add(w.address.toBytes())
  for (const [k] of diff) add(k.slice(1, 21))
  const out = new Map<PrefixedHexString, Uint8Array>()
  for (const a of addrs.values()) out.set(bytesToHex(sm.getAppliedKey(a)), a)
  return out
}
