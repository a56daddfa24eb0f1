/**
 * The reference side of a client's day (dropinDay.ts) in a process of its own, so that the
 * day's memory figures are the runner's alone: plain runBlock on an in-memory
 * MerkleStateManager (whose trie database keeps every node it ever wrote) over the same cast
 * pre-state. Protocol over the IPC channel: the parent sends `{ rlp, number }` (the block's
 * RLP as hex) per block; this process answers `{ stateRoot, ms }` or `{ error }`.
 */
import { createBlockFromRLP } from '@ethereumjs/block'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'
import { castCommon, castPreState } from '../reliability/evmBlocks.js'
import { commitPreState } from '../evm/state.js'
import { tableBlockHashChain } from '../evm/chain.js'

export interface ReferenceRequest {
  rlp: string
  number: string
}
export type ReferenceReply = { stateRoot: string; ms: number } | { error: string }

const common = await castCommon()
const sm = new MerkleStateManager({ common: common.copy() })
await commitPreState(sm, castPreState())
const hashes = new Map<bigint, Uint8Array>()
const blockchain = tableBlockHashChain(() => hashes)
const vm = await createVM({ common: common.copy(), stateManager: sm, blockchain: blockchain as never })

process.on('message', (m: ReferenceRequest) => {
  void (async (): Promise<ReferenceReply> => {
    try {
      const block = createBlockFromRLP(hexToBytes(m.rlp as `0x${string}`), { common: common.copy() })
      const t = performance.now()
      const r = await runBlock(vm, { block, generate: true, skipBlockValidation: true })
      const ms = performance.now() - t
      hashes.set(BigInt(m.number), block.hash())
      return { stateRoot: bytesToHex(r.stateRoot), ms }
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) }
    }
  })().then((reply) => process.send!(reply))
})
process.send!({ ready: true })
