/**
 * Runs one ethereum/tests BlockchainTest through a backend:
 *
 *   - `engine`: our EVM executor (`createEvmExecutor`, sequential or blockstm). Each block is
 *     validated against its parent (validate.ts), executed on the full state of its parent and
 *     checked as runBlock checks it: gasUsed, receiptsRoot (from Byzantium: earlier receipts
 *     embed intermediate state roots the executor does not produce), logsBloom, requestsHash
 *     (Prague) and the state root of the complete post-state (stateRoot.ts). An
 *     {@link InvalidBlockError}, a failed check or any other error rejects the block.
 *   - `reference`: plain @ethereumjs, `createVM` over a MerkleStateManager and `runBlock` with
 *     block validation (validateData, then gasUsed/receiptTrie/bloom/stateRoot/requestsHash
 *     against the header), preceded by the same validation against the chain.
 *
 * Networks (networks.ts): every single fork from Frontier to Osaka and the transitions by block
 * number, timestamp and total difficulty; each block is decoded with the Common of its own fork
 * (from its number, timestamp and its parent's total difficulty) on the network's schedule.
 *
 * Chain rules (both backends): blocks are imported in file order; a block whose RLP does not
 * decode, whose parent is not an imported block, or that fails validation or execution is
 * rejected and the chain goes on from the blocks already imported. The head is the canonical
 * head of @ethereumjs/blockchain (highest total difficulty before the merge, the last imported
 * block after). A test passes when every block without `expectException` is imported, every
 * block with one is rejected, the head's hash is `lastblockhash`, and the head's state equals
 * `postState` (same accounts, fields and non-zero slots) or has root `postStateHash`.
 *
 * Skipped, with the reason: an unknown network name, a seal engine other than NoProof (seals are
 * not verified), and a network that schedules the DAO fork's irregular state change.
 */
import { type Block, createBlockFromRLP } from '@ethereumjs/block'
import type { Common, CustomCrypto } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToBigInt, bytesToHex, equalsBytes, hexToBytes } from '@ethereumjs/util'
import { createVM, runBlock, type VM } from '@ethereumjs/vm'
import { parsePreState, type BlockHashes } from '../evm/fixtures.js'
import type { EvmExecutor } from '../evm/index.js'
import { commitPreState } from '../evm/state.js'
import { tableBlockHashChain } from '../evm/chain.js'
import { getKZG, nativeEcrecover } from '../evm/crypto.js'
import { initKeccak, keccak256 } from '../evm/keccak.js'
import type { PreState } from '../evm/types.js'
import type { EthTest } from './fixtures.js'
import { forkAt, parseNetwork, reaches, scheduleCommon, type Network } from './networks.js'
import { diffStates, postToPre, stateRoot } from './stateRoot.js'
import { createTestChain, type TestChain } from './validate.js'

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

export type Backend =
  | { kind: 'engine'; executor: EvmExecutor }
  | { kind: 'reference' }
  /**
   * State kept by the caller (e.g. the drop-in runBlock on a persistent store): `open` puts the
   * test's pre-state (under the first fork's Common) wherever the caller keeps state and
   * returns the operations over it and the genesis state root.
   */
  | { kind: 'custom'; open(common: Common, pre: PreState, test: EthTest): Promise<{ ops: StateOps<Uint8Array>; genesisRoot: Uint8Array }> }

export interface ChainEntry<S> {
  block: Block
  state: S
  /** Number → hash of this block and all its ancestors. */
  hashes: BlockHashes
}

export interface StateOps<S> {
  /** Executes the (validated) `block` on `parent`'s state; throws the rejection reason. */
  apply(block: Block, parent: ChainEntry<S>): Promise<S>
  /** Why the final state differs from the expectation (undefined when it matches). */
  checkFinal(state: S, test: EthTest): Promise<string | undefined>
}

/** The Commons of one network, one per fork it reaches, built once per network and crypto. */
type Commons = (hardfork: string) => Common

const commonSets = new Map<string, Promise<Commons>>()
function commonsFor(net: Network, crypto: 'native' | 'default'): Promise<Commons> {
  const key = `${net.name}|${crypto}`
  let c = commonSets.get(key)
  if (c === undefined) {
    c = (async () => {
      await initKeccak()
      const customCrypto: CustomCrypto = { keccak256 }
      if (crypto === 'native') {
        const rec = nativeEcrecover()
        if (rec !== null) customCrypto.ecrecover = rec
      }
      if (reaches(net, 'cancun')) customCrypto.kzg = (await getKZG()) as CustomCrypto['kzg']
      const byFork = new Map<string, Common>()
      return (hardfork: string) => {
        let common = byFork.get(hardfork)
        if (common === undefined) byFork.set(hardfork, (common = scheduleCommon(net, hardfork, customCrypto)))
        return common
      }
    })()
    commonSets.set(key, c)
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

function engineOps(executor: EvmExecutor): StateOps<PreState> {
  return {
    async apply(block, parent) {
      const r = await executor.executeBlock({ block, common: block.common, preState: parent.state, blockHashes: parent.hashes })
      const h = block.header
      if (r.gasUsed !== h.gasUsed) throw new Error(`invalid gasUsed: ${r.gasUsed}, header ${h.gasUsed}`)
      if (r.receiptsRoot !== null && !equalsBytes(r.receiptsRoot, h.receiptTrie)) throw new Error(`invalid receiptTrie: ${hex(r.receiptsRoot)}, header ${hex(h.receiptTrie)}`)
      if (!equalsBytes(r.logsBloom, h.logsBloom)) throw new Error('invalid logsBloom')
      if (r.headerMatch.requestsHash === false) throw new Error(`invalid requestsHash: ${hex(r.requestsHash!)}, header ${hex(h.requestsHash!)}`)
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
  const vmCommon = common.copy()
  const sm = new MerkleStateManager({ common: vmCommon })
  let hashes: BlockHashes = new Map()
  // `hashes` is replaced per block (the parent's table): the chain reads the current one.
  const blockchain = tableBlockHashChain(() => hashes)
  const vm: VM = await createVM({ common: vmCommon, stateManager: sm, blockchain: blockchain as never })
  await commitPreState(sm, pre)
  const genesisRoot = await sm.getStateRoot()
  const ops: StateOps<Uint8Array> = {
    async apply(block, parent) {
      hashes = parent.hashes
      vm.common.setHardfork(block.common.hardfork())
      const r = await runBlock(vm, { block, root: parent.state, skipHeaderValidation: true, validateBlockSize: true })
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
  const net = parseNetwork(test.network)
  if (net === undefined) return done('skipped', `unknown network ${test.network}`)
  if (test.sealEngine !== undefined && test.sealEngine !== 'NoProof') return done('skipped', `seal engine ${test.sealEngine} (seals are not verified)`)
  try {
    const commons = await commonsFor(net, backend.kind === 'engine' ? 'native' : 'default')
    const pre = parsePreState(test.pre, test.file)
    let genesis: Block
    try {
      genesis = createBlockFromRLP(hexToBytes(test.genesisRLP as `0x${string}`), { common: commons(forkAt(net, 0n, 0n, 0n)) })
    } catch (e) {
      return done('failed', `genesis RLP does not decode: ${errMsg(e)}`)
    }
    if (test.genesisBlockHeader.hash !== undefined && hex(genesis.hash()) !== test.genesisBlockHeader.hash.toLowerCase()) {
      return done('failed', `genesis hash ${hex(genesis.hash())}, want ${test.genesisBlockHeader.hash}`)
    }
    const chain = await createTestChain(commons(net.first), genesis)
    if (backend.kind === 'engine') {
      const root = await stateRoot(pre)
      if (!equalsBytes(root, genesis.header.stateRoot)) return done('failed', `pre-state root ${hex(root)} differs from the genesis stateRoot ${hex(genesis.header.stateRoot)}`)
      return await walk(test, net, commons, chain, genesis, pre, engineOps(backend.executor), done, result)
    }
    const { ops, genesisRoot } = backend.kind === 'custom' ? await backend.open(commons(net.first), pre, test) : await referenceOps(commons(net.first), pre)
    if (!equalsBytes(genesisRoot, genesis.header.stateRoot)) return done('failed', `pre-state root ${hex(genesisRoot)} differs from the genesis stateRoot ${hex(genesis.header.stateRoot)}`)
    return await walk(test, net, commons, chain, genesis, genesisRoot, ops, done, result)
  } catch (e) {
    return done('failed', `error: ${errMsg(e)}`)
  }
}

/** Decodes a block with the Common of its fork (from its number, timestamp and parent's total difficulty). */
async function decodeBlock(rlp: Uint8Array, net: Network, commons: Commons, chain: TestChain): Promise<Block> {
  const raw = RLP.decode(rlp) as unknown
  if (!Array.isArray(raw) || !Array.isArray(raw[0]) || raw[0].length < 12) throw new Error('not a block')
  const fields = raw[0] as Uint8Array[]
  const number = bytesToBigInt(fields[8]!)
  const timestamp = bytesToBigInt(fields[11]!)
  let parentTd = 0n
  if (net.transition?.activation.kind === 'td') {
    try {
      parentTd = await chain.totalDifficulty(fields[0]!)
    } catch {
      throw new Error(`unknown parent ${hex(fields[0]!)}`)
    }
  }
  // setHardfork: false keeps the block at its fork; its uncles (defined value: setHardfork) take theirs from the schedule.
  return createBlockFromRLP(rlp, { common: commons(forkAt(net, number, timestamp, parentTd)), setHardfork: false })
}

async function walk<S>(
  test: EthTest,
  net: Network,
  commons: Commons,
  chain: TestChain,
  genesis: Block,
  genesisState: S,
  ops: StateOps<S>,
  done: (status: EthTestResult['status'], reason?: string) => EthTestResult,
  result: EthTestResult,
): Promise<EthTestResult> {
  const imported = new Map<string, ChainEntry<S>>()
  const genesisEntry: ChainEntry<S> = { block: genesis, state: genesisState, hashes: new Map([[genesis.header.number, genesis.hash()]]) }
  imported.set(hex(genesis.hash()), genesisEntry)
  let firstFailure: string | undefined
  for (const [i, b] of test.blocks.entries()) {
    let reason: string | undefined
    let block: Block | undefined
    try {
      block = await decodeBlock(hexToBytes(b.rlp as `0x${string}`), net, commons, chain)
    } catch (e) {
      reason = `RLP does not decode: ${errMsg(e)}`
    }
    if (block !== undefined) {
      const parent = imported.get(hex(block.header.parentHash))
      if (parent === undefined) reason = `unknown parent ${hex(block.header.parentHash)}`
      else if (imported.has(hex(block.hash()))) reason = 'block already imported'
      else {
        try {
          await chain.validate(block)
          const state = await ops.apply(block, parent)
          await chain.put(block)
          const hashes = new Map(parent.hashes)
          hashes.set(block.header.number, block.hash())
          imported.set(hex(block.hash()), { block, state, hashes })
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
  const headHash = hex(await chain.headHash())
  if (headHash !== test.lastblockhash.toLowerCase()) return done('failed', `head ${headHash}, want lastblockhash ${test.lastblockhash}`)
  const head = imported.get(headHash)!
  const diff = await ops.checkFinal(head.state, test)
  if (diff !== undefined) return done('failed', `post-state: ${diff}`)
  return done('passed')
}
