/**
 * Location keys and value encodings of the EVM binding.
 *
 * A key is one tag byte followed by the 20-byte address, and for a storage slot the 32-byte
 * slot. Every account field is its own location so that, e.g., a transaction reading a
 * contract's code does not conflict with one changing its balance.
 *
 * Invariants (kept by the pre-state conversion and by every write the binding makes):
 * - `EXISTS` holds `[1]` for an existing account; absent or empty means the account does not exist.
 * - An account that does not exist has zero nonce and balance, no code, and the empty code hash
 *   (absent locations). Deleting an account writes all of these.
 * - `NONCE`, `BALANCE`, `EPOCH` hold minimal big-endian integers (see mvmemory/numeric.ts);
 *   `BALANCE` may receive commutative deltas.
 * - `CODEHASH` holds the 32-byte hash, or is empty/absent for an account without code.
 * - `EPOCH` is the account's storage epoch: 0 (absent) in the pre-state, raised to
 *   `txIndex + 2` by a transaction that clears the account's storage (destruction, creation).
 * - `SLOT` holds `[n, epoch (n bytes), value (minimal big-endian)]`; a pre-state slot is
 *   `[0, value]`. A slot's value is visible only when its epoch equals the account's current
 *   epoch; otherwise it reads as zero. A slot read therefore consults `EPOCH` and `SLOT`.
 * - `STORAGE` holds `[1]` for an account whose pre-state storage has a non-zero slot (its storage
 *   at epoch 0 is not empty); no transaction writes it. An account's storage is empty (the
 *   EIP-7610 collision check) when its epoch is 0 and `STORAGE` is absent, or its epoch was
 *   raised and the current transaction wrote no non-zero slot at that epoch. Slots written at
 *   the current epoch by an earlier transaction need not be consulted: only code running at the
 *   address writes its storage, and an account that ran code there either still has code or a
 *   nonce (EIP-161), or was destroyed since (which raises the epoch again); before Spurious
 *   Dragon, where a creation may leave storage with neither, CREATE cannot target the same
 *   address twice. So the check reads two locations the engine validates (`EPOCH`, `STORAGE`).
 */
import { decodeNumeric, encodeNumeric } from '../mvmemory/numeric.js'

export const TAG_EXISTS = 0x01
export const TAG_NONCE = 0x02
export const TAG_BALANCE = 0x03
export const TAG_CODEHASH = 0x04
export const TAG_CODE = 0x05
export const TAG_EPOCH = 0x06
export const TAG_SLOT = 0x07
export const TAG_STORAGE = 0x08

export const EXISTS_VALUE = Uint8Array.of(1)
const EMPTY = new Uint8Array(0)

export function accountKey(tag: number, address: Uint8Array): Uint8Array {
  const k = new Uint8Array(21)
  k[0] = tag
  k.set(address, 1)
  return k
}

export const existsKey = (a: Uint8Array) => accountKey(TAG_EXISTS, a)
export const nonceKey = (a: Uint8Array) => accountKey(TAG_NONCE, a)
export const balanceKey = (a: Uint8Array) => accountKey(TAG_BALANCE, a)
export const codeHashKey = (a: Uint8Array) => accountKey(TAG_CODEHASH, a)
export const codeKey = (a: Uint8Array) => accountKey(TAG_CODE, a)
export const epochKey = (a: Uint8Array) => accountKey(TAG_EPOCH, a)
export const storageFlagKey = (a: Uint8Array) => accountKey(TAG_STORAGE, a)

/** `slot` must be 32 bytes. */
export function slotKey(address: Uint8Array, slot: Uint8Array): Uint8Array {
  const k = new Uint8Array(53)
  k[0] = TAG_SLOT
  k.set(address, 1)
  k.set(slot, 21)
  return k
}

export interface SlotValue {
  epoch: number
  value: bigint
}

export function encodeSlot(epoch: number, value: bigint): Uint8Array {
  const e = encodeNumeric(BigInt(epoch))
  const v = encodeNumeric(value)
  const out = new Uint8Array(1 + e.length + v.length)
  out[0] = e.length
  out.set(e, 1)
  out.set(v, 1 + e.length)
  return out
}

export function decodeSlot(raw: Uint8Array | undefined): SlotValue {
  if (raw === undefined || raw.length === 0) return { epoch: 0, value: 0n }
  const n = raw[0]!
  const epoch = n === 0 ? 0 : Number(decodeNumeric(raw.subarray(1, 1 + n)))
  return { epoch, value: decodeNumeric(raw.subarray(1 + n)) }
}

export function encodeBool(b: boolean): Uint8Array {
  return b ? EXISTS_VALUE : EMPTY
}
export function decodeBool(raw: Uint8Array | undefined): boolean {
  return raw !== undefined && raw.length > 0 && raw[0] !== 0
}

export { decodeNumeric, encodeNumeric }

/** Human-readable form of a key, for diagnostics. */
export function describeKey(key: Uint8Array): string {
  const names: Record<number, string> = { 1: 'exists', 2: 'nonce', 3: 'balance', 4: 'codeHash', 5: 'code', 6: 'epoch', 7: 'slot', 8: 'storage' }
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
  const addr = '0x' + hex(key.subarray(1, 21))
  return key[0] === TAG_SLOT ? `${addr}.slot[0x${hex(key.subarray(21))}]` : `${addr}.${names[key[0]!] ?? '?'}`
}
