/**
 * Runs one ethereum/tests BlockchainTest through a backend:
 *
 *   - `engine`: our EVM executor (`createEvmExecutor`, sequential or blockstm). Each block is
 *     validated against its parent (validate.ts), executed on the full state of its parent and
 *     checked as runBlock checks it: gasUsed, receiptsRoot, logsBloom and the state root of
 *     the complete post-state (stateRoot.ts). An {@link InvalidBlockError}, a failed check or
 *     any other error rejects the block.
 *   - `reference`: plain @ethereumjs, `createVM` over a MerkleStateManager and `runBlock` with
 *     block validation (validateData, then gasUsed/receiptTrie/bloom/stateRoot against the
 *     header), preceded by the same parent checks (@ethereumjs/blockchain's validateHeader).
 *
 * Chain rules (both backends): blocks are imported in file order; a block whose RLP does not
 * decode, whose parent is not an imported block, or that fails validation or execution is
 * rejected and the chain goes on from the blocks already imported. The head is the last
 * imported block. A test passes when every block without `expectException` is imported, every
 * block with one is rejected, the head's hash is `lastblockhash`, and the head's state equals
 * `postState` (same accounts, fields and non-zero slots) or has root `postStateHash`.
 *
 * A test whose network is not a proof-of-stake fork (Paris and later), or whose seal engine is
 * not NoProof, is skipped: proof-of-work difficulty, seals and uncle ancestry are not checked.
 */
import { type Block, createBlockFromRLP } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex, equalsBytes, hexToBytes } from '@ethereumjs/util'
import { createVM, paramsVM, runBlock } from '@ethereumjs/vm'
import { parsePreState } from '../evm/fixtures.js'
import type { BlockHashes } from '../evm/chain.js'
import type { EvmExecutor } from '../evm/index.js'
import { putPreState } from '../evm/state.js'
import { commonFor } from '../evm/chain.js'
import type { PreState } from '../evm/types.js'
import { networkHardfork, type EthTest } from './fixtures.js'
import { diffStates, postToPre, stateRoot } from './stateRoot.js'
import { validateBlock, validateHeaderAgainstParent } from './validate.js'

export type BlockOutcome = 'accepted' | 'rejected'

export interface EthTestResult {
  file: string
  name: string
  status: 'passed' | 'failed' | 'skipped'
  /** Why it failed or was skipped. */
  reason?: string
  /** Outcome of every block, in file order (empty when skipped). */
  blocks: BlockOutcome[]
  /** Why each rejected block was rejected (undefined for accepted ones). */
  rejections: Array<string | undefined>
  ms: number
}

export type Backend = { kind: 'engine'; executor: EvmExecutor } | { kind: 'reference' }

const POS_FORKS = new Set(['paris', 'shanghai', 'cancun', 'prague', 'osaka'])

interface ChainEntry<S> {
  block: Block
  state: S
  /** Number → hash of this block and all its ancestors. */
  hashes: BlockHashes
}

interface StateOps<S> {
  /** Validates and executes `block` on `parent`'s state; throws the rejection reason. */
  apply(block: Block, parent: ChainEntry<S>): Promise<S>
  /** Why the final state differs from the expectation (undefined when it matches). */
  checkFinal(state: S, test: EthTest): Promise<string | undefined>
}

const commons = new Map<string, Promise<Common>>()
function commonForNetwork(hardfork: string, crypto: 'native' | 'default'): Promise<Common> {
  const key = `${hardfork}|${crypto}`
  let c = commons.get(key)
  if (c === undefined) {
    c = commonFor(hardfork, undefined, crypto)
    commons.set(key, c)
  }
  return c
}

function errMsg(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e)
  return m.split('\n')[0]!.replace(/\s*\(block number=.*$/, '').slice(0, 300)
}

function hex(b: Uint8Array): string {
  return bytesToHex(b)
}

function engineOps(executor: EvmExecutor, common: Common): StateOps<PreState> {
  return {
    async apply(block, parent) {
      await validateBlock(block, parent.block)
      const r = await executor.executeBlock({ block, common, preState: parent.state, blockHashes: parent.hashes })
      const h = block.header
      if (r.gasUsed !== h.gasUsed) throw new Error(`invalid gasUsed: ${r.gasUsed}, header ${h.gasUsed}`)
      if (r.receiptsRoot !== null && !equalsBytes(r.receiptsRoot, h.receiptTrie)) throw new Error(`invalid receiptTrie: ${hex(r.receiptsRoot)}, header ${hex(h.receiptTrie)}`)
      if (!equalsBytes(r.logsBloom, h.logsBloom)) throw new Error('invalid logsBloom')
      const post = postToPre(r.postState)
      const root = await stateRoot(post)
      if (!equalsBytes(root, h.stateRoot)) throw new Error(`invalid stateRoot: ${hex(root)}, header ${hex(h.stateRoot)}`)
      return post
    },
    async checkFinal(state, test) {
      if (test.postState !== undefined) return diffStates(state, parsePreState(test.postState, test.file))
      const root = await stateRoot(state)
      return hex(root) === test.postStateHash!.toLowerCase() ? undefined : `post-state root ${hex(root)}, want ${test.postStateHash}`
    },
  }
}

async function referenceOps(common: Common, pre: PreState): Promise<{ ops: StateOps<Uint8Array>; genesisRoot: Uint8Array }> {
  const sm = new MerkleStateManager({ common })
  let hashes: BlockHashes = new Map()
  const blockchain = {
    getBlock: async (n: number | bigint) => {
      const h = hashes.get(BigInt(n))
      if (h === undefined) throw new Error(`no block ${n} in the chain`)
      return { hash: () => h }
    },
    shallowCopy() {
      return this
    },
  }
  const vm = await createVM({ common: common.copy(), stateManager: sm, blockchain: blockchain as never })
  await sm.checkpoint()
  await putPreState(sm, pre)
  await sm.commit()
  await sm.flush()
  const genesisRoot = await sm.getStateRoot()
  const ops: StateOps<Uint8Array> = {
    async apply(block, parent) {
      validateHeaderAgainstParent(block, parent.block)
      block.validateUncles()
      block.validateBlobTransactions(parent.block.header)
      hashes = parent.hashes
      const r = await runBlock(vm, { block, root: parent.state, skipHeaderValidation: true })
      return r.stateRoot
    },
    async checkFinal(state, test) {
      const want = test.postState !== undefined ? await stateRoot(parsePreState(test.postState, test.file)) : hexToBytes(test.postStateHash as `0x${string}`)
      return equalsBytes(state, want) ? undefined : `post-state root ${hex(state)}, want ${hex(want)}`
    },
  }
  return { ops, genesisRoot }
}

/** Runs one test; never throws for a problem of the test itself (it fails instead). */
export async function runEthTest(test: EthTest, backend: Backend): Promise<EthTestResult> {
  const start = performance.now()
  const result: EthTestResult = { file: test.file, name: test.name, status: 'passed', blocks: [], rejections: [], ms: 0 }
  const done = (status: EthTestResult['status'], reason?: string): EthTestResult => {
    result.status = status
    if (reason !== undefined) result.reason = reason
    result.ms = performance.now() - start
    return result
  }
  const hardfork = networkHardfork(test.network)
  if (hardfork === undefined) return done('skipped', `unsupported network ${test.network}`)
  if (!POS_FORKS.has(hardfork)) return done('skipped', `pre-merge network ${test.network} (proof-of-work rules are not checked)`)
  if (test.sealEngine !== undefined && test.sealEngine !== 'NoProof') return done('skipped', `seal engine ${test.sealEngine}`)
  try {
    const common = await commonForNetwork(hardfork, backend.kind === 'engine' ? 'native' : 'default')
    const pre = parsePreState(test.pre, test.file)
    let genesis: Block
    try {
      genesis = createBlockFromRLP(hexToBytes(test.genesisRLP as `0x${string}`), { common })
    } catch (e) {
      return done('failed', `genesis RLP does not decode: ${errMsg(e)}`)
    }
    if (test.genesisBlockHeader.hash !== undefined && hex(genesis.hash()) !== test.genesisBlockHeader.hash.toLowerCase()) {
      return done('failed', `genesis hash ${hex(genesis.hash())}, want ${test.genesisBlockHeader.hash}`)
    }
    if (backend.kind === 'engine') {
      const root = await stateRoot(pre)
      if (!equalsBytes(root, genesis.header.stateRoot)) return done('failed', `pre-state root ${hex(root)} differs from the genesis stateRoot ${hex(genesis.header.stateRoot)}`)
      return await walk(test, common, genesis, pre, engineOps(backend.executor, common), done, result)
    }
    const { ops, genesisRoot } = await referenceOps(common, pre)
    if (!equalsBytes(genesisRoot, genesis.header.stateRoot)) return done('failed', `pre-state root ${hex(genesisRoot)} differs from the genesis stateRoot ${hex(genesis.header.stateRoot)}`)
    return await walk(test, common, genesis, genesisRoot, ops, done, result)
  } catch (e) {
    return done('failed', `error: ${errMsg(e)}`)
  }
}

async function walk<S>(
  test: EthTest,
  common: Common,
  genesis: Block,
  genesisState: S,
  ops: StateOps<S>,
  done: (status: EthTestResult['status'], reason?: string) => EthTestResult,
  result: EthTestResult,
): Promise<EthTestResult> {
  const chain = new Map<string, ChainEntry<S>>()
  const genesisEntry: ChainEntry<S> = { block: genesis, state: genesisState, hashes: new Map([[genesis.header.number, genesis.hash()]]) }
  chain.set(hex(genesis.hash()), genesisEntry)
  let head = genesisEntry
  let firstFailure: string | undefined
  for (const [i, b] of test.blocks.entries()) {
    let reason: string | undefined
    let block: Block | undefined
    try {
      block = createBlockFromRLP(hexToBytes(b.rlp as `0x${string}`), { common })
    } catch (e) {
      reason = `RLP does not decode: ${errMsg(e)}`
    }
    if (block !== undefined) {
      const parent = chain.get(hex(block.header.parentHash))
      if (parent === undefined) reason = `unknown parent ${hex(block.header.parentHash)}`
      else if (chain.has(hex(block.hash()))) reason = 'block already imported'
      else {
        try {
          const state = await ops.apply(block, parent)
          const hashes = new Map(parent.hashes)
          hashes.set(block.header.number, block.hash())
          const entry: ChainEntry<S> = { block, state, hashes }
          chain.set(hex(block.hash()), entry)
          head = entry
        } catch (e) {
          reason = errMsg(e)
        }
      }
    }
    result.blocks.push(reason === undefined ? 'accepted' : 'rejected')
    result.rejections.push(reason)
    if (firstFailure === undefined) {
      if (reason !== undefined && b.expectException === undefined) firstFailure = `block ${i + 1} rejected: ${reason}`
      if (reason === undefined && b.expectException !== undefined) firstFailure = `block ${i + 1} accepted, expected exception ${b.expectException}`
    }
  }
  if (firstFailure !== undefined) return done('failed', firstFailure)
  if (hex(head.block.hash()) !== test.lastblockhash.toLowerCase()) return done('failed', `head ${hex(head.block.hash())}, want lastblockhash ${test.lastblockhash}`)
  const diff = await ops.checkFinal(head.state, test)
  if (diff !== undefined) return done('failed', `post-state: ${diff}`)
  return done('passed')
}
