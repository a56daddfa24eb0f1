/**
 * The RLP encoding of a block, byte for byte what `block.serialize()` returns, written in one
 * pass into one buffer.
 *
 * Why: the Block-STM engine sends each block to its workers as RLP, and the calling thread
 * encodes it before any worker can start. `block.serialize()` turns every integer field of
 * every transaction into its own byte array (`bigIntToUnpaddedBytes`), encodes each
 * transaction, then copies everything once more into the block's list: ~15 µs per
 * transaction, 20 ms for a 1,400-transaction block. Here integers are written straight into
 * the output and each byte is copied once.
 *
 * Transactions of type 0, 1 and 2 are encoded field by field (their `raw()` layouts, with
 * integers as bigints); any other type is taken from its own `serialize()`. The header,
 * uncles and withdrawals come from their `raw()` arrays. `test/evm-block-rlp.test.ts`
 * compares the result with `block.serialize()` on every fixture block.
 */
import type { Block } from '@ethereumjs/block'
import type { TypedTransaction } from '@ethereumjs/tx'

/** A node of the tree to encode: a byte string, an integer (minimal big-endian bytes), a list, or a typed envelope. */
type Item = Uint8Array | bigint | Item[] | TypedEnvelope

/** `type ‖ rlp(list)`, encoded as a byte string (EIP-2718 transactions inside a block). */
class TypedEnvelope {
  constructor(
    readonly type: number,
    readonly list: Item[],
  ) {}
}

const EMPTY = new Uint8Array(0)
const TWO_53 = 2n ** 53n

/** Encodes `block` exactly as `block.serialize()`. */
export function encodeBlock(block: Block): Uint8Array {
  const txs: Item[] = new Array(block.transactions.length)
  for (let i = 0; i < txs.length; i++) txs[i] = txItem(block.transactions[i]!)
  const items: Item[] = [block.header.raw(), txs, block.uncleHeaders.map((u) => u.raw())]
  if (block.withdrawals !== undefined) items.push(block.withdrawals.map((w) => w.raw()))
  const enc = new RlpWriter()
  return enc.encode(items)
}

function txItem(tx: TypedTransaction): Item {
  const t = tx as unknown as Record<string, unknown>
  const to = tx.to !== undefined ? tx.to.bytes : EMPTY
  const sig = (v: bigint | undefined): bigint | Uint8Array => v ?? EMPTY
  switch (tx.type) {
    case 0:
      return [tx.nonce, t.gasPrice as bigint, tx.gasLimit, to, tx.value, tx.data, sig(tx.v), sig(tx.r), sig(tx.s)]
    case 1:
      return new TypedEnvelope(1, [t.chainId as bigint, tx.nonce, t.gasPrice as bigint, tx.gasLimit, to, tx.value, tx.data, t.accessList as Item[], sig(tx.v), sig(tx.r), sig(tx.s)])
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
        t.accessList as Item[],
        sig(tx.v),
        sig(tx.r),
        sig(tx.s),
      ])
    default:
      return tx.serialize()
  }
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

  encode(item: Item): Uint8Array {
    const total = this.size(item)
    this.out = new Uint8Array(total)
    this.write(item)
    if (this.pos !== total) throw new Error(`invariant broken: RLP size ${total}, wrote ${this.pos}`)
    return this.out
  }

  /** Encoded size of `item`; records what the write pass needs. */
  private size(item: Item): number {
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

  private write(item: Item): void {
    const out = this.out
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
