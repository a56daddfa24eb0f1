/**
 * The value codec of the state manager: location values (the engine's opaque bytes, laid out
 * as keys.ts defines) to the typed values the EVM works with, and back.
 *
 * | tag | typed value | absent value |
 * |---|---|---|
 * | EXISTS, STORAGE | boolean | false |
 * | NONCE, BALANCE | bigint | 0n |
 * | EPOCH | number (storage epoch) | 0 |
 * | CODEHASH | 32 bytes | KECCAK256_NULL (stored as empty bytes) |
 * | CODE | bytes | empty |
 * | SLOT | {@link SlotVal}: epoch and unpadded value | epoch 0, empty |
 *
 * Invariants: `decodeTyped(tag, encodeTyped(tag, v))` equals `v` under `sameTyped`; the
 * typed default of a tag is what an absent location decodes to, except EPOCH and SLOT, which
 * are never deduced (see stateManager.ts).
 */
import { KECCAK256_NULL, equalsBytes, unpadBytes } from '@ethereumjs/util'
import type { LocationValue } from '../executor/types.js'
import {
  TAG_BALANCE,
  TAG_CODE,
  TAG_CODEHASH,
  TAG_EPOCH,
  TAG_EXISTS,
  TAG_NONCE,
  TAG_SLOT,
  TAG_STORAGE,
  decodeBool,
  decodeNumeric,
  decodeSlot,
  encodeBool,
  encodeNumeric,
  encodeSlot,
} from './keys.js'

export const EMPTY = new Uint8Array(0)

/** A storage slot's typed value: the storage epoch it was written in and its unpadded value. */
export interface SlotVal {
  epoch: number
  value: Uint8Array
}

export function decodeTyped(tag: number, raw: LocationValue | undefined): unknown {
  switch (tag) {
    case TAG_EXISTS:
    case TAG_STORAGE:
      return decodeBool(raw)
    case TAG_NONCE:
    case TAG_BALANCE:
      return decodeNumeric(raw)
    case TAG_EPOCH:
      return Number(decodeNumeric(raw))
    case TAG_CODEHASH:
      return raw === undefined || raw.length === 0 ? KECCAK256_NULL : raw
    case TAG_CODE:
      return raw ?? EMPTY
    default: {
      const s = decodeSlot(raw)
      return { epoch: s.epoch, value: raw === undefined ? EMPTY : unpadBytes(raw.subarray(1 + raw[0]!)) } as SlotVal
    }
  }
}

export function encodeTyped(tag: number, v: unknown): LocationValue {
  switch (tag) {
    case TAG_EXISTS:
    case TAG_STORAGE:
      return encodeBool(v as boolean)
    case TAG_NONCE:
    case TAG_BALANCE:
      return encodeNumeric(v as bigint)
    case TAG_EPOCH:
      return encodeNumeric(BigInt(v as number))
    case TAG_CODEHASH:
      return equalsBytes(v as Uint8Array, KECCAK256_NULL) ? EMPTY : (v as Uint8Array)
    case TAG_CODE:
      return v as Uint8Array
    default: {
      const s = v as SlotVal
      const out = encodeSlot(s.epoch, 0n)
      if (s.value.length === 0) return out
      const r = new Uint8Array(out.length + s.value.length)
      r.set(out)
      r.set(s.value, out.length)
      return r
    }
  }
}

export function sameTyped(tag: number, a: unknown, b: unknown): boolean {
  if (tag === TAG_CODEHASH || tag === TAG_CODE) return equalsBytes(a as Uint8Array, b as Uint8Array)
  if (tag === TAG_SLOT) {
    const x = a as SlotVal
    const y = b as SlotVal
    return x.epoch === y.epoch && equalsBytes(x.value, y.value)
  }
  return a === b
}

export function defaultTyped(tag: number): unknown {
  switch (tag) {
    case TAG_EXISTS:
    case TAG_STORAGE:
      return false
    case TAG_NONCE:
    case TAG_BALANCE:
      return 0n
    case TAG_CODEHASH:
      return KECCAK256_NULL
    default:
      return EMPTY
  }
}

