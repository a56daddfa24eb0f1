/**
 * Reference execution of a workload with plain @ethereumjs/vm `runBlock` (sequential, no
 * Block-STM): used by the generator to fill the header's gasUsed / receiptsRoot / logsBloom,
 * and by the tests to check that every transaction succeeds and does what it should.
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { runBlock, type RunBlockResult, type VM } from '@ethereumjs/vm'
import type { PreState } from '../evm/types.js'
import { vmFromPreState } from './state.js'

export interface ReferenceResult {
  result: RunBlockResult
  /** The VM after the block (its state manager holds the post-state). */
  vm: VM
}

/** Runs `block` on `preState` with @ethereumjs/vm. Header fields are neither validated nor required. */
export async function executeReference(
  block: Block,
  common: Common,
  preState: PreState,
  onGeneratedBlock?: (block: Block) => void,
): Promise<ReferenceResult> {
  const vm = await vmFromPreState(common, preState)
  if (onGeneratedBlock !== undefined) {
    vm.events.on('afterBlock', (e: { block: Block }, resolve?: (r?: unknown) => void) => {
      onGeneratedBlock(e.block)
      resolve?.()
    })
  }
  const result = await runBlock(vm, {
    block,
    generate: true,
    skipBlockValidation: true,
    skipHeaderValidation: true,
    skipHardForkValidation: true,
  })
  return { result, vm }
}

/** Indices of transactions whose receipt status is not 1 (empty when all succeeded). */
export function failedTxs(result: RunBlockResult): number[] {
  const failed: number[] = []
  result.receipts.forEach((r, i) => {
    if (!('status' in r) || r.status !== 1) failed.push(i)
  })
  return failed
}
