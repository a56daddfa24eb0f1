/**
 * Block validation before execution, by @ethereumjs/blockchain itself (`Blockchain.validateBlock`):
 *
 *   - the header against its parent: number, timestamp, gas limit bounds, base fee (with the
 *     first London block of a transition), excess blob gas, requestsHash present from Prague,
 *     and before the merge the ethash difficulty (`header.ethashCanonicalDifficulty`);
 *   - uncles: each a valid header whose parent is a recent ancestor (2 to 7 blocks back), not an
 *     ancestor itself, not already included by an ancestor; proof-of-stake blocks have none;
 *   - block data (`block.validateData`: transaction validity and signatures, transactions trie,
 *     uncle hash, withdrawals root) and blob transactions against the parent;
 *   - the gas limit below 2^63 (runBlock's own check) and, from Osaka, the block's RLP size
 *     (EIP-7934; @ethereumjs 10.1.3 does not activate it, see evm/executeBlock.ts).
 *
 * The chain of a test holds every imported block (side chains included); its canonical head is
 * the block of highest total difficulty (proof of work) or the last imported one (proof of stake),
 * as @ethereumjs/blockchain's `putBlock` decides. Proof-of-work seals are not verified (the tests
 * use the NoProof seal engine): the ethash consensus object is given no ethash instance, and
 * only its difficulty rule runs.
 */
import type { Block } from '@ethereumjs/block'
import { type Blockchain, EthashConsensus, createBlockchain } from '@ethereumjs/blockchain'
import type { Common } from '@ethereumjs/common'
import { maxRlpBlockSize } from '../evm/executeBlock.js'

export interface TestChain {
  /** Throws the reason when `block` is invalid on top of its (imported) parent. */
  validate(block: Block): Promise<void>
  /** Records an executed block (after `validate` and execution succeeded). */
  put(block: Block): Promise<void>
  /** Total difficulty of an imported block. */
  totalDifficulty(hash: Uint8Array): Promise<bigint>
  /** The canonical head's hash. */
  headHash(): Promise<Uint8Array>
  readonly blockchain: Blockchain
}

/** A chain holding `genesis`, validating with `common`'s schedule (the network's Common). */
export async function createTestChain(common: Common, genesis: Block): Promise<TestChain> {
  // validateDifficulty is the only member of the consensus object used (validateConsensus: false).
  const ethash = new EthashConsensus({ cacheDB: undefined } as never)
  const blockchain = await createBlockchain({
    common,
    genesisBlock: genesis,
    validateBlocks: false,
    validateConsensus: false,
    consensusDict: { ethash },
  })
  return {
    blockchain,
    async validate(block) {
      if (block.header.gasLimit >= 0x8000000000000000n) throw new Error('gas limit not below 2^63')
      if (block.common.consensusType() === 'pos' && block.uncleHeaders.length > 0) throw new Error('uncles in a proof-of-stake block')
      await blockchain.validateBlock(block)
      // EIP-7934 (Osaka): the block's RLP within the limit (see maxRlpBlockSize for why not runBlock's validateBlockSize).
      const max = maxRlpBlockSize(block.common)
      if (max !== undefined && BigInt(block.serialize().length) > max) throw new Error(`block size exceeds maximum RLP block size limit of ${max} bytes`)
    },
    async put(block) {
      await blockchain.putBlock(block)
    },
    totalDifficulty(hash) {
      return blockchain.getTotalDifficulty(hash)
    },
    async headHash() {
      return (await blockchain.getCanonicalHeadBlock()).hash()
    },
  }
}
