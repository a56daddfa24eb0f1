/**
 * Seeded pseudo-random numbers for the workload generators: a small fast generator
 * (sfc32) seeded from keccak256 of a label, plus uniform and Zipf-distributed choices.
 * Nothing here uses Math.random, so the same seed always yields the same workload.
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { utf8ToBytes } from '@ethereumjs/util'

export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number

  /** A generator whose stream is fixed by `label` (typically seed + purpose). */
  constructor(label: string) {
    const h = keccak_256(utf8ToBytes(label))
    const v = new DataView(h.buffer, h.byteOffset, h.byteLength)
    this.a = v.getUint32(0)
    this.b = v.getUint32(4)
    this.c = v.getUint32(8)
    this.d = v.getUint32(12)
    for (let i = 0; i < 16; i++) this.nextU32()
  }

  /** Next 32-bit unsigned integer (sfc32). */
  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n)
  }

  /** Uniform bigint in [lo, hi]. */
  bigint(lo: bigint, hi: bigint): bigint {
    const span = hi - lo + 1n
    const r = (BigInt(this.nextU32()) << 32n) | BigInt(this.nextU32())
    return lo + (r % span)
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = this.nextU32() & 0xff
    return out
  }
}

/**
 * Chooses indices in [0, n): uniformly when `s` is 0 or absent, otherwise with probability
 * proportional to 1 / (rank + 1)^s (index 0 is the hottest). Sampling is a binary search
 * in the cumulative weights, so building costs O(n) once and each draw O(log n).
 */
export class Chooser {
  private readonly cumulative?: Float64Array

  constructor(
    readonly n: number,
    readonly s = 0,
  ) {
    if (n < 1) throw new Error('Chooser needs at least one item')
    if (s > 0) {
      const c = new Float64Array(n)
      let sum = 0
      for (let i = 0; i < n; i++) {
        sum += 1 / Math.pow(i + 1, s)
        c[i] = sum
      }
      for (let i = 0; i < n; i++) c[i]! /= sum
      this.cumulative = c
    }
  }

  pick(rng: Rng): number {
    if (this.cumulative === undefined) return rng.int(this.n)
    const u = rng.float()
    const c = this.cumulative
    let lo = 0
    let hi = this.n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (c[mid]! > u) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /** Picks an index different from `avoid` when there is more than one item. */
  pickOther(rng: Rng, avoid: number): number {
    if (this.n === 1) return 0
    for (let tries = 0; tries < 64; tries++) {
      const i = this.pick(rng)
      if (i !== avoid) return i
    }
    return (avoid + 1 + rng.int(this.n - 1)) % this.n
  }
}
