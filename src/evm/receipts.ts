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
 * byte array instead of a graph of small arrays.
 *
 * `test/evm-receipts.test.ts` checks `encodeReceiptWithTail` against @ethereumjs/vm's
 * `encodeReceipt`.
 */
import { RLP } from '@ethereumjs/rlp'
import { bigIntToBytes } from '@ethereumjs/util'

export type Log = [address: Uint8Array, topics: Uint8Array[], data: Uint8Array]

/** The encoding of a 256-byte string: 0xb9, then the length in two bytes. */
const BLOOM_HEADER = [0xb9, 0x01, 0x00]
const BLOOM_BYTES = 256
const TAIL_LOGS_AT = BLOOM_HEADER.length + BLOOM_BYTES

/** `rlp(bloom) ‖ rlp(logs)`. */
export function encodeReceiptTail(bloom: Uint8Array, logs: Log[]): Uint8Array {
  if (bloom.length !== BLOOM_BYTES) throw new RangeError(`a bloom has ${BLOOM_BYTES} bytes, got ${bloom.length}`)
  const encodedLogs = RLP.encode(logs)
  const tail = new Uint8Array(TAIL_LOGS_AT + encodedLogs.length)
  tail.set(BLOOM_HEADER, 0)
  tail.set(bloom, BLOOM_HEADER.length)
  tail.set(encodedLogs, TAIL_LOGS_AT)
  return tail
}

/** The bloom and the logs a tail carries (views into it, not copies). */
export function decodeReceiptTail(tail: Uint8Array): { bloom: Uint8Array; logs: Log[] } {
  if (tail.length <= TAIL_LOGS_AT || tail[0] !== BLOOM_HEADER[0] || tail[1] !== BLOOM_HEADER[1] || tail[2] !== BLOOM_HEADER[2]) {
    throw new Error('invariant broken: not a receipt tail')
  }
  const dec = new ViewDecoder(tail, TAIL_LOGS_AT)
  const logs = dec.item()
  if (!Array.isArray(logs) || !dec.atEnd()) throw new Error('invariant broken: receipt tail without exactly one list of logs')
  return { bloom: tail.subarray(BLOOM_HEADER.length, TAIL_LOGS_AT), logs: logs as unknown as Log[] }
}

type Decoded = Uint8Array | Decoded[]

/**
 * An RLP decoder that returns views into its input: `RLP.decode` copies every list's bytes
 * before decoding its items (and every string), quadratic in the depth and slow on blocks
 * with many logs. The tail comes from `encodeReceiptTail` in this process, so this checks
 * bounds, not canonical form.
 */
class ViewDecoder {
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
  ) {}

  item(): Decoded {
    const b = this.bytes
    const first = b[this.pos]
    if (first === undefined) throw new Error('invariant broken: receipt tail ends early')
    if (first < 0x80) return b.subarray(this.pos, ++this.pos)
    const isList = first >= 0xc0
    const short = isList ? first - 0xc0 : first - 0x80 // payload length, or 55 + bytes of the length
    let len: number
    if (short <= 55) {
      len = short
      this.pos++
    } else len = this.length(short - 55)
    const end = this.pos + len
    if (end > b.length) throw new Error('invariant broken: receipt tail ends early')
    if (!isList) {
      const v = b.subarray(this.pos, end)
      this.pos = end
      return v
    }
    const items: Decoded[] = []
    while (this.pos < end) items.push(this.item())
    if (this.pos !== end) throw new Error('invariant broken: receipt tail item overruns its list')
    return items
  }

  atEnd(): boolean {
    return this.pos === this.bytes.length
  }

  /** Reads the `k`-byte length after the prefix byte and moves past both. */
  private length(k: number): number {
    let len = 0
    for (let i = 1; i <= k; i++) len = len * 256 + this.bytes[this.pos + i]!
    this.pos += 1 + k
    return len
  }
}

/**
 * `encodeReceipt({ status, cumulativeBlockGasUsed, bitvector, logs }, type)` of @ethereumjs/vm,
 * from the tail: status 1 is the byte 0x01, status 0 the empty string; the cumulative gas is
 * `bigIntToBytes` (so 0 is one zero byte, as there).
 */
export function encodeReceiptWithTail(status: 0 | 1, cumulativeGasUsed: bigint, tail: Uint8Array, type: number): Uint8Array {
  const gas = bigIntToBytes(cumulativeGasUsed)
  const gasSize = gas.length === 1 && gas[0]! < 0x80 ? 1 : 1 + gas.length // < 56 bytes: one-byte header
  const payload = 1 + gasSize + tail.length
  const listHeader = payload < 56 ? 1 : payload < 0x100 ? 2 : payload < 0x10000 ? 3 : payload < 0x1000000 ? 4 : 5
  const typed = type === 0 ? 0 : 1
  const out = new Uint8Array(typed + listHeader + payload)
  let p = 0
  if (typed) out[p++] = type
  if (listHeader === 1) out[p++] = 0xc0 + payload
  else {
    const k = listHeader - 1
    out[p++] = 0xf7 + k
    for (let i = k - 1; i >= 0; i--) out[p + i] = (payload >>> (8 * (k - 1 - i))) & 0xff
    p += k
  }
  out[p++] = status === 1 ? 0x01 : 0x80
  if (gasSize === 1) out[p++] = gas[0]!
  else {
    out[p++] = 0x80 + gas.length
    out.set(gas, p)
    p += gas.length
  }
  out.set(tail, p)
  return out
}
