/**
 * Test helpers of the drop-in: a VM whose MerkleStateManager holds a pre-state (committed,
 * as a database would hold it), and the comparison of runBlockParallel's outcome with
 * runBlock's on two such VMs.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import { createVM, type VM } from '@ethereumjs/vm'
import { putPreState } from '../../src/evm/state.js'
import type { PreState } from '../../src/evm/types.js'
import { tableBlockHashChain, type BlockHashes } from '../../src/evm/chain.js'

export interface StateVM {
  vm: VM
  sm: MerkleStateManager
}

/** A VM over a fresh MerkleStateManager holding `pre`; BLOCKHASH from `hashes` (getBlock throws for a missing one). */
export async function vmWithState(common: Common, pre: PreState, hashes?: BlockHashes): Promise<StateVM> {
  const sm = new MerkleStateManager({ common })
  await putPreState(sm, pre)
  await sm.checkpoint()
  await sm.commit()
  await sm.flush()
  const table: BlockHashes = hashes ?? new Map()
  const vm = await createVM({ common: common.copy(), stateManager: sm, blockchain: tableBlockHashChain(() => table) as never })
  return { vm, sm }
}

/** What two runs are compared on (hex strings, so that a mismatch prints readably). */
export function outcome(r: { stateRoot: Uint8Array; receiptsRoot: Uint8Array; gasUsed: bigint; logsBloom: Uint8Array; receipts: unknown[]; results: Array<{ totalGasSpent: bigint; createdAddress?: { toString(): string } }> }) {
  return {
    stateRoot: bytesToHex(r.stateRoot),
    receiptsRoot: bytesToHex(r.receiptsRoot),
    gasUsed: r.gasUsed,
    logsBloom: bytesToHex(r.logsBloom),
    receipts: JSON.stringify(
      r.receipts.map((x) => {
        const q = x as { status?: number; cumulativeBlockGasUsed: bigint; bitvector: Uint8Array; logs: unknown[]; blobGasUsed?: bigint }
        return [q.status, q.cumulativeBlockGasUsed, q.bitvector, q.logs, q.blobGasUsed]
      }),
      (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? bytesToHex(v) : v),
    ),
    gas: r.results.map((x) => x.totalGasSpent),
    created: r.results.map((x) => x.createdAddress?.toString()),
  }
}

export async function rootOf(sm: MerkleStateManager): Promise<string> {
  return bytesToHex(await sm.getStateRoot())
}

export type { Block }
