/**
 * BlockchainTests through the drop-in runBlock on the persistent store: each test's genesis
 * state is written into the store's Merkle state, each block imported with
 * `runner.runBlock(vm, { block, root: parentStateRoot })` (every header field checked,
 * state root included; header and uncle validity by the ethtest runner's chain), expected
 * rejections checked, and the final state root compared with the test's post-state.
 *
 * Persistence: the outcome of every finished test is recorded in the store (`test:<file>#<name>`
 * with its status, reason and final state root), and its trie nodes stay there; a later run on
 * the same store reports recorded tests from the store instead of running them again, and
 * runs the others.
 */
import { createVM, type VM } from '@ethereumjs/vm'
import type { Common } from '@ethereumjs/common'
import { bytesToHex, equalsBytes, hexToBytes } from '@ethereumjs/util'
import { listFixtureFiles, loadFixtureFile, type EthTest } from '../ethtest/fixtures.js'
import { runEthTest, type EthTestResult, type StateOps } from '../ethtest/runner.js'
import { stateRoot } from '../ethtest/stateRoot.js'
import { parsePreState, type BlockHashes } from '../evm/fixtures.js'
import { commitPreState } from '../evm/state.js'
import { tableBlockHashChain } from '../evm/chain.js'
import type { PreState } from '../evm/types.js'
import type { ParallelRunner } from './runBlockParallel.js'
import type { StateStore } from './store.js'

export interface ChainRunSummary {
  passed: number
  failed: number
  skipped: number
  /** Tests whose outcome came from the store (run by an earlier invocation). */
  stored: number
  results: Array<EthTestResult & { stored: boolean }>
}

interface StoredOutcome {
  status: EthTestResult['status']
  reason?: string
  /** The head's state root (hex), when the test ran to its end. */
  root?: string
}

/** The ethtest runner's state operations over `store` through `runner` (see the module comment). */
async function openOnStore(store: StateStore, runner: ParallelRunner, common: Common, pre: PreState, heads: Map<string, string>, test: EthTest) {
  const vmCommon = common.copy()
  const sm = await store.stateManager(vmCommon)
  let hashes: BlockHashes = new Map()
  // `hashes` is replaced per block (the parent's table): the chain reads the current one.
  const blockchain = tableBlockHashChain(() => hashes)
  const vm: VM = await createVM({ common: vmCommon, stateManager: sm, blockchain: blockchain as never })
  await commitPreState(sm, pre)
  const genesisRoot = await sm.getStateRoot()
  const key = `${test.file}#${test.name}`
  const ops: StateOps<Uint8Array> = {
    async apply(block, parent) {
      hashes = parent.hashes
      vm.common.setHardfork(block.common.hardfork())
      const r = await runner.runBlock(vm, { block, root: parent.state, skipHeaderValidation: true, validateBlockSize: true })
      return r.stateRoot
    },
    async checkFinal(state, t) {
      heads.set(key, bytesToHex(state))
      const want = t.postState !== undefined ? await stateRoot(parsePreState(t.postState, t.file)) : hexToBytes(t.postStateHash as `0x${string}`)
      return equalsBytes(state, want) ? undefined : `post-state root ${bytesToHex(state)}, want ${bytesToHex(want)}`
    },
  }
  return { ops, genesisRoot }
}

/** Runs the BlockchainTests under `paths` on `store` (see the module comment). */
export async function runChainTests(
  paths: string[],
  store: StateStore,
  runner: ParallelRunner,
  opts: { filter?: RegExp; onResult?: (r: EthTestResult & { stored: boolean }) => void } = {},
): Promise<ChainRunSummary> {
  const summary: ChainRunSummary = { passed: 0, failed: 0, skipped: 0, stored: 0, results: [] }
  const heads = new Map<string, string>()
  for (const file of listFixtureFiles(paths)) {
    for (const test of loadFixtureFile(file)) {
      if (opts.filter !== undefined && !opts.filter.test(test.name) && !opts.filter.test(file)) continue
      const key = `test:${file}#${test.name}`
      const before = store.getMeta<StoredOutcome>(key)
      let r: EthTestResult & { stored: boolean }
      if (before !== undefined) {
        r = { file, name: test.name, status: before.status, blocks: [], rejections: [], ms: 0, stored: true, ...(before.reason !== undefined ? { reason: before.reason } : {}) }
        summary.stored++
      } else {
        const res = await runEthTest(test, { kind: 'custom', open: (common, pre, t) => openOnStore(store, runner, common, pre, heads, t) })
        const root = heads.get(`${test.file}#${test.name}`)
        await store.putMeta(key, { status: res.status, ...(res.reason !== undefined ? { reason: res.reason } : {}), ...(root !== undefined ? { root } : {}) } satisfies StoredOutcome)
        r = { ...res, stored: false }
      }
      summary[r.status]++
      summary.results.push(r)
      opts.onResult?.(r)
    }
  }
  return summary
}

/** The outcome an earlier run recorded for a test (undefined: not run on this store). */
export function storedOutcome(store: StateStore, file: string, name: string): StoredOutcome | undefined {
  return store.getMeta<StoredOutcome>(`test:${file}#${name}`)
}
