/**
 * Location keys as JS strings for use in Maps: one char per byte, char code = byte value
 * (ISO-8859-1 read as code points 0–255). Sorting these strings sorts the keys by their bytes.
 *
 * Invariant: `stringToKey(keyToString(k))` equals `k` byte for byte, for every byte value and
 * every length, on every Node release the package accepts (`engines`: >= 20).
 *
 * Not `TextDecoder('latin1')`: under the WHATWG Encoding Standard that label means
 * windows-1252, which maps bytes 0x80–0x9F to other code points (0x80 → U+20AC …), and
 * Node releases differ in whether they follow it (20.0–20.18.2 and 22.0–22.12 do; later
 * ones decode ISO-8859-1), so keys holding those bytes would not come back unchanged.
 * Node's Buffer `latin1` encoding is ISO-8859-1 on every release.
 *
 * Speed (this is on the hot path: every read and write of an incarnation converts its key).
 * `npx tsx scripts/key-string-bench.ts`, Node 20.20.2, load 2.6 on 2 cores, ns per key
 * (1,000 distinct keys × 200 rounds, best of 7, all in one process):
 *
 *   key bytes                          21    53    64   100   256  1024
 *   before: fromCharCode (< 64 bytes),
 *           TextDecoder (≥ 64)         99   190   359   524  1287  5008
 *   Buffer.from(…).toString('latin1') 136   138   138   140   149   204
 *   latin1Slice (chosen)               54    55    56    57    65   122
 *
 * `Buffer.prototype.latin1Slice` is what `buf.toString('latin1')` calls, applied to the key
 * without wrapping it in a Buffer first; where a release lacks it, the documented
 * `Buffer.from(…).toString('latin1')` is used.
 */
import type { LocationKey } from './types.js'

type Latin1Slice = (this: Uint8Array, start: number, end: number) => string
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: Latin1Slice }).latin1Slice

export const keyToString: (key: LocationKey) => string =
  typeof latin1Slice === 'function'
    ? (key) => latin1Slice.call(key, 0, key.length)
    : (key) => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')

export function stringToKey(s: string): LocationKey {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
  return out
}

export function compareKeys(a: LocationKey, b: LocationKey): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
  return a.length - b.length
}
