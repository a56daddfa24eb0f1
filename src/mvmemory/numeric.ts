/**
 * Numeric values of delta-capable locations: unsigned big-endian integers of any length.
 * An absent or empty value is 0. Folded results are written minimally (0 is the empty array),
 * so that sequential and parallel engines produce byte-identical values.
 */

const EMPTY = new Uint8Array(0)

export function decodeNumeric(value: Uint8Array | undefined): bigint {
  if (value === undefined || value.length === 0) return 0n
  let n = 0n
  let i = 0
  // 6 bytes at a time keep the intermediate inside a safe JS number.
  for (; i + 6 <= value.length; i += 6) {
    const chunk =
      value[i]! * 0x10000000000 +
      value[i + 1]! * 0x100000000 +
      ((value[i + 2]! << 24) >>> 0) +
      (value[i + 3]! << 16) +
      (value[i + 4]! << 8) +
      value[i + 5]!
    n = (n << 48n) | BigInt(chunk)
  }
  for (; i < value.length; i++) n = (n << 8n) | BigInt(value[i]!)
  return n
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/**
 * The minimal big-endian bytes of `n` (0: the empty array). Values that fit a safe integer
 * (every mock value, most credits) are split with number arithmetic; larger ones go through
 * their hexadecimal string. (The string path for every value cost ~0.3 µs per call, twice
 * per mock transaction on the lanes' hot path.)
 */
export function encodeNumeric(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError(`numeric location would become negative (${n})`)
  if (n === 0n) return EMPTY
  if (n <= MAX_SAFE) {
    let x = Number(n)
    let len = 0
    for (let y = x; y >= 1; y = Math.floor(y / 256)) len++
    const out = new Uint8Array(len)
    for (let i = len - 1; i >= 0; i--) {
      out[i] = x % 256
      x = Math.floor(x / 256)
    }
    return out
  }
  let hex = n.toString(16)
  if (hex.length & 1) hex = '0' + hex
  const out = new Uint8Array(hex.length >> 1)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16)
  return out
}

/** Applies `delta` to the numeric `value`. */
export function foldDelta(value: Uint8Array | undefined, delta: bigint): Uint8Array {
  return encodeNumeric(decodeNumeric(value) + delta)
}
