/**
 * Block validation before execution, as @ethereumjs/blockchain (`validateBlock` →
 * `validateHeader`) and runBlock's `applyBlock` do it, built from @ethereumjs/block's own
 * validation methods (@ethereumjs/blockchain is not a dependency of this project):
 *
 *   - header against its parent: number = parent + 1, timestamp > parent's, gas limit bounds
 *     (`header.validateGasLimit`), base fee = `parent.calcNextBaseFee()` (EIP-1559),
 *     excess blob gas = `parent.calcNextExcessBlobGas()` (EIP-4844);
 *   - gas limit below 2^63 (runBlock);
 *   - block data (`block.validateData`: transaction validity and signatures, blob gas used,
 *     transactions trie, uncle hash, withdrawals root);
 *   - blob transactions against the parent (`block.validateBlobTransactions`);
 *   - uncles (`block.validateUncles`): proof-of-stake blocks cannot have any.
 *
 * Every function throws an Error with the reason when the block is invalid.
 */
import type { Block } from '@ethereumjs/block'

export function validateHeaderAgainstParent(block: Block, parent: Block): void {
  const header = block.header
  const ph = parent.header
  if (header.number !== ph.number + 1n) throw new Error(`invalid number: ${header.number}, parent ${ph.number}`)
  if (header.timestamp <= ph.timestamp) throw new Error(`invalid timestamp: ${header.timestamp}, parent ${ph.timestamp}`)
  header.validateGasLimit(ph)
  if (header.common.isActivatedEIP(1559)) {
    const london = header.common.hardforkBlock('london')
    const expected = london === header.number ? header.common.param('initialBaseFee') : ph.calcNextBaseFee()
    if (header.baseFeePerGas !== expected) throw new Error(`invalid base fee: ${header.baseFeePerGas}, want ${expected}`)
  }
  if (header.common.isActivatedEIP(4844)) {
    const expected = ph.calcNextExcessBlobGas(header.common)
    if (header.excessBlobGas !== expected) throw new Error(`invalid excessBlobGas: ${header.excessBlobGas}, want ${expected}`)
  }
}

/** Everything checked before execution. */
export async function validateBlock(block: Block, parent: Block): Promise<void> {
  validateHeaderAgainstParent(block, parent)
  if (block.header.gasLimit >= 0x8000000000000000n) throw new Error('gas limit not below 2^63')
  if (block.common.consensusType() === 'pos' && block.uncleHeaders.length > 0) throw new Error('uncles in a proof-of-stake block')
  block.validateUncles()
  await block.validateData(false, true)
  block.validateBlobTransactions(parent.header)
}
