/**
 * A transaction's receipt encoded in two parts, so that the expensive part is done where the
 * transaction executed.
 *
 * A receipt is `type ‖ rlp([status, cumulativeGasUsed, bloom, logs])` (EIP-2718; no type byte
 * for legacy transactions). Only `cumulativeGasUsed` depends on the transactions before it;
 * the bloom and the logs, most of the bytes, do not. The transaction VM encodes them as the
 * receipt's *tail* (`rlp(bloom) ‖ rlp(logs)`) in the thread that executed the transaction
 * (in parallel, under Block-STM), and the thread that assembles the block adds the head.
 * The tail also carries the bloom and the logs to that thread (`decodeReceiptTail`), in one
 * byte array instead of a graph of small arrays (read back as views, `rlp.ts`).
 *
 * `test/evm-receipts.test.ts` checks `encodeReceiptWithTail` against @ethereumjs/vm's
 * `encodeReceipt`.
 */
import { bigIntToBytes } from '@ethereumjs/util'
import { EncodedRlp, RlpViewDecoder, encodeRlp } from './rlp.js'
import { EngineInvariantError } from './errors.js'

export type Log = [address: Uint8Array, topics: Uint8Array[], data: Uint8Array]

/** The encoding of a 256-byte string: 0xb9, then the length in two bytes. */
const BLOOM_HEADER = [0xb9, 0x01, 0x00]
const BLOOM_BYTES = 256
const TAIL_LOGS_AT = BLOOM_HEADER.length + BLOOM_BYTES
const EMPTY = new Uint8Array(0)
const STATUS_OK = Uint8Array.of(1)

/** `rlp(bloom) ‖ rlp(logs)`. */
export function encodeReceiptTail(bloom: Uint8Array, logs: Log[]): Uint8Array {
  if (bloom.length !== BLOOM_BYTES) throw new RangeError(`a bloom has ${BLOOM_BYTES} bytes, got ${bloom.length}`)
  const encodedLogs = encodeRlp(logs)
  const tail = new Uint8Array(TAIL_LOGS_AT + encodedLogs.length)
  tail.set(BLOOM_HEADER, 0)
  tail.set(bloom, BLOOM_HEADER.length)
  tail.set(encodedLogs, TAIL_LOGS_AT)
  return tail
}

/** The bloom and the logs a tail carries (views into it, not copies). */
export function decodeReceiptTail(tail: Uint8Array): { bloom: Uint8Array; logs: Log[] } {
  if (tail.length <= TAIL_LOGS_AT || tail[0] !== BLOOM_HEADER[0] || tail[1] !== BLOOM_HEADER[1] || tail[2] !== BLOOM_HEADER[2]) {
    throw new EngineInvariantError('not a receipt tail')
  }
  const dec = new RlpViewDecoder(tail, TAIL_LOGS_AT)
  const logs = dec.item()
  if (!Array.isArray(logs) || !dec.atEnd()) throw new EngineInvariantError('receipt tail without exactly one list of logs')
  return { bloom: tail.subarray(BLOOM_HEADER.length, TAIL_LOGS_AT), logs: logs as unknown as Log[] }
}

/**
 * `encodeReceipt({ status, cumulativeBlockGasUsed, bitvector, logs }, type)` of @ethereumjs/vm,
 * from the tail: status 1 is the byte 0x01, status 0 the empty string; the cumulative gas is
 * `bigIntToBytes` (so 0 is one zero byte, as there).
 */
export function encodeReceiptWithTail(status: 0 | 1, cumulativeGasUsed: bigint, tail: Uint8Array, type: number): Uint8Array {
  return encodeRlp([status === 1 ? STATUS_OK : EMPTY, bigIntToBytes(cumulativeGasUsed), new EncodedRlp(tail)], type === 0 ? undefined : type)
}
