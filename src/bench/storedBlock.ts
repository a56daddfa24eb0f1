/**
 * A generated ERC-20 block whose pre-state is stored in a fresh on-disk state store (the drop-in
 * benchmarks' setup: scripts/dropin-bench.ts, scripts/dropin-repeat.ts). The pre-state is
 * committed under a default Mainnet Common of the block's hardfork (no custom crypto);
 * `dispose()` closes the store and removes its directory.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Common, Mainnet } from '@ethereumjs/common'
import { generateWorkload, type Workload } from '../workloads/index.js'
import { commitPreState } from '../evm/state.js'
import { openStateStore, type StateStore } from '../dropin/store.js'

export interface StoredBlock {
  workload: Workload
  store: StateStore
  /** A Mainnet Common of the block's hardfork, as a user configures one by default. */
  common: Common
  /** The stored state root of the block's pre-state. */
  root: Uint8Array
  dispose(): Promise<void>
}

export async function storedErc20Block(opts: { txs: number; accounts: number; seed?: number }): Promise<StoredBlock> {
  const workload = await generateWorkload({ kind: 'erc20', txs: opts.txs, accounts: opts.accounts, seed: opts.seed ?? 1 })
  const dir = mkdtempSync(join(tmpdir(), 'stored-block-'))
  const store = await openStateStore(dir)
  const dispose = async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const common = new Common({ chain: Mainnet, hardfork: workload.common.hardfork() })
    const sm = await store.stateManager(common)
    await commitPreState(sm, workload.preState)
    return { workload, store, common, root: await sm.getStateRoot(), dispose }
  } catch (e) {
    await dispose()
    throw e
  }
}
