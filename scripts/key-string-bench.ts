/**
 * Measures the cost of turning a location key into a Map string (src/executor/keys.ts)
 * against the conversion used before (fromCharCode below 64 bytes, TextDecoder('latin1')
 * from 64 on), in one process, for keys of several lengths. Every variant is checked to
 * agree with the exact conversion on the keys it converts (the old one may differ on bytes
 * 0x80–0x9F on releases whose TextDecoder follows windows-1252).
 *
 *   npx tsx scripts/key-string-bench.ts
 */
import { keyToString } from '../src/executor/keys.js'

const decoder = new TextDecoder('latin1')
const before = (k: Uint8Array): string => (k.length < 64 ? String.fromCharCode.apply(null, k as unknown as number[]) : decoder.decode(k))
const viaBuffer = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1')

const variants: Record<string, (k: Uint8Array) => string> = { before, 'Buffer.from().toString': viaBuffer, 'keyToString (now)': keyToString }
console.log(`node ${process.version}; ns per key, best of 7 rounds of 200 × 1,000 distinct keys`)
console.log(['bytes', ...Object.keys(variants)].join('\t'))
for (const len of [21, 53, 64, 100, 256, 1024]) {
  const keys = Array.from({ length: 1000 }, (_, i) => Uint8Array.from({ length: len }, (_, j) => (i * 31 + j * 7) & 255))
  const row: string[] = [String(len)]
  for (const f of Object.values(variants)) {
    let best = Infinity
    let sink = 0
    for (let r = 0; r < 7; r++) {
      const t0 = performance.now()
      for (let n = 0; n < 200; n++) for (const k of keys) sink += f(k).length
      best = Math.min(best, performance.now() - t0)
    }
    if (sink !== 7 * 200 * 1000 * len) throw new Error('wrong string length')
    row.push(((best * 1e6) / (200 * 1000)).toFixed(0))
  }
  console.log(row.join('\t'))
}
