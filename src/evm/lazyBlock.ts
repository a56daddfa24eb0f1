/**
 * A block decoded from RLP whose transactions are decoded one by one, on first use.
 *
 * Why: every thread of the engine decodes the block it is sent, and decoding a transaction
 * (RLP, field checks, a frozen object) costs 20–40 µs: decoded eagerly, a 1,400-transaction
 * block kept each worker busy 30–60 ms before its first execution, for transactions most of
 * which the other thread executes. Decoded lazily, each thread decodes the transactions it
 * executes (or recovers a sender for), when it first needs them.
 *
 * Invariants:
 * - the header, uncles and withdrawals are decoded up front, exactly as `createBlockFromRLP`
 *   decodes them (same options, same checks, including EIP-7934's size limit);
 * - `block.transactions` has the block's length from the start (error messages quote it)
 *   and holds each transaction once decoded; read transactions through {@link LazyTransactions.tx},
 *   never through the array, whose undecoded entries are holes;
 * - a transaction is decoded at most once per block object, with the block's Common, as
 *   `createBlockFromBytesArray` decodes it.
 */
import { type Block, createBlockFromBytesArray } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { RLP } from '@ethereumjs/rlp'
import { createTxFromBlockBodyData, type TypedTransaction } from '@ethereumjs/tx'
import { EthereumJSErrorWithoutCode } from '@ethereumjs/util'

/** A block's transactions by index, each decoded on first use. */
export interface TransactionSource {
  readonly count: number
  tx(i: number): TypedTransaction
}

export class LazyTransactions implements TransactionSource {
  readonly count: number
  constructor(
    private readonly raw: ReadonlyArray<Uint8Array | Uint8Array[]>,
    private readonly decoded: TypedTransaction[],
    private readonly common: Common,
  ) {
    this.count = raw.length
  }

  tx(i: number): TypedTransaction {
    let t = this.decoded[i]
    if (t === undefined) {
      if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`transaction index ${i} is outside the block (${this.count} transactions)`)
      t = createTxFromBlockBodyData(this.raw[i]!, { common: this.common })
      this.decoded[i] = t
    }
    return t
  }
}

/** Decodes `rlp` as `createBlockFromRLP(rlp, { common })` would, except its transactions. */
export function decodeBlockLazily(rlp: Uint8Array, common: Common): { block: Block; txs: LazyTransactions } {
  if (common.isActivatedEIP(7934)) {
    const max = common.param('maxRlpBlockSize')
    if (BigInt(rlp.length) > BigInt(max)) throw EthereumJSErrorWithoutCode(`Block size exceeds limit: ${rlp.length} > ${max}`)
  }
  const values = RLP.decode(rlp)
  if (!Array.isArray(values)) throw EthereumJSErrorWithoutCode('Invalid serialized block input. Must be array')
  const [header, txsData, ...rest] = values as [Uint8Array[], Array<Uint8Array | Uint8Array[]>, ...unknown[]]
  if (!Array.isArray(txsData)) throw EthereumJSErrorWithoutCode('Invalid serialized block input: transactions must be a list')
  const block = createBlockFromBytesArray([header, [], ...rest] as never, { common })
  // The block keeps the array it was built with (frozen is the block, not the array).
  const decoded = block.transactions as TypedTransaction[]
  decoded.length = txsData.length
  return { block, txs: new LazyTransactions(txsData, decoded, block.common) }
}
