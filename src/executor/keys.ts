/**
 * Location keys as JS strings (one char per byte, latin1) for use in Maps. Sorting these
 * strings sorts the keys by their bytes.
 */
import type { LocationKey } from './types.js'

const decoder = new TextDecoder('latin1')

export function keyToString(key: LocationKey): string {
  return key.length < 64 ? String.fromCharCode.apply(null, key as unknown as number[]) : decoder.decode(key)
}

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
