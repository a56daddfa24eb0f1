/**
 * The RLP the EVM binding writes and reads on its hot paths, in one place: an encoder that
 * writes a whole tree into one buffer (integers straight from bigints, each byte copied once)
 * and a decoder that returns views into its input.
 *
 * Why not `@ethereumjs/rlp`: its `encode` turns every integer into its own byte array first
 * and copies each list's encoding into its parent's; its `decode` copies every list's bytes
 * before decoding its items (and every string), quadratic in the depth. Both are the
 * reference these are tested against (`test/evm-block-rlp.test.ts`,
 * `test/evm-receipts.test.ts`); the decoder only reads what this process encoded, so it
 * checks bounds, not canonical form.
 */
import { EngineInvariantError } from './errors.js'

/**
 * A node of the tree to encode: a byte string, an integer (its minimal big-endian bytes), a
 * list, a typed envelope, or bytes that are already RLP.
 */
export type RlpItem = Uint8Array | bigint | RlpItem[] | TypedEnvelope | EncodedRlp

/** `type ‖ rlp(list)`, encoded as a byte string (EIP-2718 transactions inside a block). */
export class TypedEnvelope {
  constructor(
    readonly type: number,
    readonly list: RlpItem[],
  ) {}
}

/** Bytes that are already RLP (one item or several in a row), written as they are. */
export class EncodedRlp {
  constructor(readonly bytes: Uint8Array) {}
}

const EMPTY = new Uint8Array(0)
const TWO_53 = 2n ** 53n

/** The RLP encoding of `item`, after the byte `prefix` when given (a typed receipt's type). */
export function encodeRlp(item: RlpItem, prefix?: number): Uint8Array {
  return new RlpWriter().encode(item, prefix)
}

/** The value of a lower-case hex digit's character code (bigint.toString(16) writes lower case). */
function hexDigit(c: number): number {
  return c < 0x3a ? c - 0x30 : c - 0x57
}

/** Bytes of the big-endian length `n` (n > 0). */
function lengthOfLength(n: number): number {
  let k = 0
  while (n > 0) {
    k++
    n = Math.floor(n / 256)
  }
  return k
}

/** Size of the header of a string or list whose payload is `len` bytes (the single-byte string case aside). */
function headerSize(len: number): number {
  return len < 56 ? 1 : 1 + lengthOfLength(len)
}

/**
 * Two passes over the tree: sizes (each list's and envelope's payload length, each large
 * integer's hex digits, in pre-order), then the bytes.
 */
class RlpWriter {
  private readonly sizes: number[] = []
  private readonly hex: string[] = []
  private out = EMPTY
  private pos = 0
  private si = 0
  private hi = 0

  encode(item: RlpItem, prefix?: number): Uint8Array {
    const total = (prefix !== undefined ? 1 : 0) + this.size(item)
    this.out = new Uint8Array(total)
    if (prefix !== undefined) this.out[this.pos++] = prefix
    this.write(item)
    if (this.pos !== total) throw new EngineInvariantError(`RLP size ${total}, wrote ${this.pos}`)
    return this.out
  }

  /** Encoded size of `item`; records what the write pass needs. */
  private size(item: RlpItem): number {
    if (item instanceof EncodedRlp) return item.bytes.length
    if (item instanceof Uint8Array) {
      const n = item.length
      return n === 1 && item[0]! < 0x80 ? 1 : headerSize(n) + n
    }
    if (typeof item === 'bigint') {
      if (item < 0n) throw new RangeError('RLP integers must be non-negative')
      if (item < 0x80n) return 1 // 0 is the empty string, 1..127 a single byte
      if (item < TWO_53) {
        const n = lengthOfLength(Number(item))
        return 1 + n
      }
      let h = item.toString(16)
      if (h.length & 1) h = '0' + h
      this.hex.push(h)
      const n = h.length >> 1
      return headerSize(n) + n
    }
    const at = this.sizes.length
    this.sizes.push(0)
    let payload = 0
    if (item instanceof TypedEnvelope) {
      for (const x of item.list) payload += this.size(x)
      this.sizes[at] = payload
      const content = 1 + headerSize(payload) + payload
      return headerSize(content) + content
    }
    for (const x of item) payload += this.size(x)
    this.sizes[at] = payload
    return headerSize(payload) + payload
  }

  private header(len: number, offset: number): void {
    const out = this.out
    if (len < 56) {
      out[this.pos++] = offset + len
      return
    }
    const k = lengthOfLength(len)
    out[this.pos++] = offset + 55 + k
    for (let i = k - 1; i >= 0; i--) out[this.pos + i] = len & 0xff, (len = Math.floor(len / 256))
    this.pos += k
  }

  private write(item: RlpItem): void {
    const out = this.out
    if (item instanceof EncodedRlp) {
      out.set(item.bytes, this.pos)
      this.pos += item.bytes.length
      return
    }
    if (item instanceof Uint8Array) {
      if (item.length === 1 && item[0]! < 0x80) {
        out[this.pos++] = item[0]!
        return
      }
      this.header(item.length, 0x80)
      out.set(item, this.pos)
      this.pos += item.length
      return
    }
    if (typeof item === 'bigint') {
      if (item === 0n) {
        out[this.pos++] = 0x80
        return
      }
      if (item < 0x80n) {
        out[this.pos++] = Number(item)
        return
      }
      if (item < TWO_53) {
        let v = Number(item)
        const n = lengthOfLength(v)
        out[this.pos++] = 0x80 + n
        for (let i = n - 1; i >= 0; i--) out[this.pos + i] = v % 256, (v = Math.floor(v / 256))
        this.pos += n
        return
      }
      const h = this.hex[this.hi++]!
      const n = h.length >> 1
      this.header(n, 0x80)
      for (let i = 0, j = 0; i < n; i++, j += 2) out[this.pos + i] = (hexDigit(h.charCodeAt(j)) << 4) | hexDigit(h.charCodeAt(j + 1))
      this.pos += n
      return
    }
    const payload = this.sizes[this.si++]!
    if (item instanceof TypedEnvelope) {
      this.header(1 + headerSize(payload) + payload, 0x80)
      out[this.pos++] = item.type
      this.header(payload, 0xc0)
      for (const x of item.list) this.write(x)
      return
    }
    this.header(payload, 0xc0)
    for (const x of item) this.write(x)
  }
}

/** A decoded item: a view into the input, or a list of decoded items. */
export type RlpDecoded = Uint8Array | RlpDecoded[]

/** Reads items one after another from `bytes`, starting at `pos`; each a view into `bytes`. */
export class RlpViewDecoder {
  constructor(
    private readonly bytes: Uint8Array,
    private pos: number,
  ) {}

  item(): RlpDecoded {
    const b = this.bytes
    const first = b[this.pos]
    if (first === undefined) throw new EngineInvariantError('RLP input ends early')
    if (first < 0x80) return b.subarray(this.pos, ++this.pos)
    const isList = first >= 0xc0
    const short = isList ? first - 0xc0 : first - 0x80 // payload length, or 55 + bytes of the length
    let len: number
    if (short <= 55) {
      len = short
      this.pos++
    } else len = this.length(short - 55)
    const end = this.pos + len
    if (end > b.length) throw new EngineInvariantError('RLP input ends early')
    if (!isList) {
      const v = b.subarray(this.pos, end)
      this.pos = end
      return v
    }
    const items: RlpDecoded[] = []
    while (this.pos < end) items.push(this.item())
    if (this.pos !== end) throw new EngineInvariantError('RLP item overruns its list')
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
