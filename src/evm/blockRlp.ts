/**
 * The RLP encoding of a block, byte for byte what `block.serialize()` returns, written in one
 * pass into one buffer.
 *
 * Why: the Block-STM engine sends each block to its workers as RLP, and the calling thread
 * encodes it before any worker can start. `block.serialize()` turns every integer field of
 * every transaction into its own byte array (`bigIntToUnpaddedBytes`), encodes each
 * transaction, then copies everything once more into the block's list: ~15 µs per
 * transaction, 20 ms for a 1,400-transaction block. Here integers are written straight into
 * the output and each byte is copied once (`rlp.ts`).
 *
 * Transactions of type 0, 1 and 2 are encoded field by field (their `raw()` layouts, with
 * integers as bigints); any other type is taken from its own `serialize()`. The header,
 * uncles and withdrawals come from their `raw()` arrays. `test/evm-block-rlp.test.ts`
 * compares the result with `block.serialize()` on every fixture block.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'
import { TypedEnvelope, encodeRlp, type RlpItem } from './rlp.js'

const EMPTY = new Uint8Array(0)

/** Encodes `block` exactly as `block.serialize()`. */
export function encodeBlock(block: Block): Uint8Array {
  const txs: RlpItem[] = new Array(block.transactions.length)
  for (let i = 0; i < txs.length; i++) txs[i] = txItem(block.transactions[i]!)
  const items: RlpItem[] = [block.header.raw(), txs, block.uncleHeaders.map((u) => u.raw())]
  if (block.withdrawals !== undefined) items.push(block.withdrawals.map((w) => w.raw()))
  return encodeRlp(items)
}

function txItem(tx: TypedTransaction): RlpItem {
  const t = tx as unknown as Record<string, unknown>
  const to = tx.to !== undefined ? tx.to.bytes : EMPTY
  const sig = (v: bigint | undefined): bigint | Uint8Array => v ?? EMPTY
  switch (tx.type) {
    case 0:
      return [tx.nonce, t.gasPrice as bigint, tx.gasLimit, to, tx.value, tx.data, sig(tx.v), sig(tx.r), sig(tx.s)]
    case 1:
      return new TypedEnvelope(1, [t.chainId as bigint, tx.nonce, t.gasPrice as bigint, tx.gasLimit, to, tx.value, tx.data, t.accessList as RlpItem[], sig(tx.v), sig(tx.r), sig(tx.s)])
    case 2:
      return new TypedEnvelope(2, [
        t.chainId as bigint,
        tx.nonce,
        t.maxPriorityFeePerGas as bigint,
        t.maxFeePerGas as bigint,
        tx.gasLimit,
        to,
        tx.value,
        tx.data,
        t.accessList as RlpItem[],
        sig(tx.v),
        sig(tx.r),
        sig(tx.s),
      ])
    default:
      return tx.serialize()
  }
}
