/**
 * Conversions between Ethereum states and engine locations (see keys.ts for the encoding).
 *
 * - `preStateEntries`: a PreState as location entries for the engine's MapBaseState. Every
 *   listed account gets EXISTS, one with a non-zero slot STORAGE; zero fields and empty code are
 *   left absent.
 * - `OverlayView`: a plain sequential IncarnationView (writes in a Map over a base), used on the
 *   calling thread for the system operations before and after the transactions.
 * - `assemblePostState`: the post-state of every account in the pre-state or touched by a
 *   write, complete (balance, nonce, code, every non-zero slot known), or null when it no
 *   longer exists. Slots are visible only at the account's final storage epoch.
 */
import { Account, Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import type { StateManagerInterface } from '@ethereumjs/common'
import type { IncarnationView, LocationKey, LocationValue } from '../executor/types.js'
import type { BaseState } from '../executor/baseState.js'
import { keyToString } from '../executor/keys.js'
import { decodeNumeric, encodeNumeric } from '../mvmemory/numeric.js'
import type { AccountState, PostState, PreState } from './types.js'
import {
  EXISTS_VALUE,
  TAG_BALANCE,
  TAG_CODE,
  TAG_EPOCH,
  TAG_EXISTS,
  TAG_NONCE,
  TAG_SLOT,
  balanceKey,
  codeHashKey,
  codeKey,
  decodeBool,
  decodeSlot,
  encodeSlot,
  existsKey,
  nonceKey,
  slotKey,
  storageFlagKey,
} from './keys.js'
import { keccak256 as keccak_256 } from './keccak.js'

export function hexToBytesStrict(hex: string): Uint8Array {
  const h = hex.startsWith('0x') ? hex.slice(2) : hex
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) throw new TypeError(`not a hex byte string: ${hex}`)
  return Uint8Array.from(Buffer.from(h, 'hex'))
}

/**
 * Writes every account of `pre` (nonce, balance, code, storage) into an @ethereumjs state
 * manager (the references and the `ethereumjs` bench engine load pre-states this way).
 */
export async function putPreState(sm: Pick<StateManagerInterface, 'putAccount' | 'putCode' | 'putStorage'>, pre: PreState): Promise<void> {
  for (const [addr, acc] of pre) {
    const a = new Address(hexToBytes(addr as `0x${string}`))
    await sm.putAccount(a, new Account(acc.nonce, acc.balance))
    if (acc.code.length > 0) await sm.putCode(a, acc.code)
    for (const [k, v] of acc.storage) await sm.putStorage(a, slotBytes(k), hexToBytes(`0x${v.toString(16).padStart(64, '0')}`))
  }
}

/**
 * The genesis of a VM over a caller's state manager: `pre` written inside a checkpoint, then
 * committed and flushed to the manager's database.
 */
export async function commitPreState(sm: Pick<StateManagerInterface, 'checkpoint' | 'commit' | 'putAccount' | 'putCode' | 'putStorage'> & { flush(): Promise<void> }, pre: PreState): Promise<void> {
  await sm.checkpoint()
  await putPreState(sm, pre)
  await sm.commit()
  await sm.flush()
}

/** 32-byte slot bytes from a 0x-prefixed hex slot (any length up to 64 digits). */
export function slotBytes(slot: string): Uint8Array {
  const b = hexToBytesStrict(slot)
  if (b.length > 32) throw new TypeError(`storage slot longer than 32 bytes: ${slot}`)
  const out = new Uint8Array(32)
  out.set(b, 32 - b.length)
  return out
}

export function slotHex(slot: Uint8Array): string {
  return '0x' + Buffer.from(slot).toString('hex').padStart(64, '0')
}

export function* preStateEntries(pre: PreState): Iterable<[LocationKey, LocationValue]> {
  for (const [address, acc] of pre) {
    const a = hexToBytesStrict(address)
    yield [existsKey(a), EXISTS_VALUE]
    if (acc.nonce !== 0n) yield [nonceKey(a), encodeNumeric(acc.nonce)]
    if (acc.balance !== 0n) yield [balanceKey(a), encodeNumeric(acc.balance)]
    if (acc.code.length > 0) {
      yield [codeKey(a), acc.code]
      yield [codeHashKey(a), keccak_256(acc.code)]
    }
    let storage = false
    for (const [slot, value] of acc.storage) {
      if (value === 0n) continue
      storage = true
      yield [slotKey(a, slotBytes(slot)), encodeSlot(0, value)]
    }
    if (storage) yield [storageFlagKey(a), EXISTS_VALUE]
  }
}

/** A sequential view: its own writes over a base state. */
export class OverlayView implements IncarnationView {
  readonly writes = new Map<string, [LocationKey, LocationValue]>()
  constructor(private readonly base: BaseState) {}
  read(key: LocationKey): LocationValue | undefined | Promise<LocationValue | undefined> {
    const w = this.writes.get(keyToString(key))
    return w !== undefined ? w[1] : this.base.get(key)
  }
  write(key: LocationKey, value: LocationValue): void {
    this.writes.set(keyToString(key), [key, value])
  }
  async addDeltaAsync(key: LocationKey, amount: bigint): Promise<void> {
    const cur = await this.read(key)
    this.write(key, encodeNumeric(decodeNumeric(cur) + amount))
  }
  addDelta(key: LocationKey, amount: bigint): void {
    const cur = this.read(key)
    if (cur instanceof Promise) throw new Error('OverlayView.addDelta needs a synchronous base state')
    this.write(key, encodeNumeric(decodeNumeric(cur) + amount))
  }
  dependOn(): void {}
}

interface Pending {
  exists?: boolean
  nonce?: bigint
  balance?: bigint
  code?: Uint8Array
  epoch?: number
  slots: Map<string, { epoch: number; value: bigint }>
}

/**
 * Builds the post-state from the pre-state and the final value of every written location
 * (later entries of `writes` win).
 */
export function assemblePostState(pre: PreState, writes: Iterable<[LocationKey, LocationValue]>): PostState {
  const touched = new Map<string, Pending>()
  const get = (addr: string) => {
    let p = touched.get(addr)
    if (p === undefined) touched.set(addr, (p = { slots: new Map() }))
    return p
  }
  for (const [key, value] of writes) {
    const addr = bytesToHex(key.subarray(1, 21))
    const p = get(addr)
    switch (key[0]) {
      case TAG_EXISTS:
        p.exists = decodeBool(value)
        break
      case TAG_NONCE:
        p.nonce = decodeNumeric(value)
        break
      case TAG_BALANCE:
        p.balance = decodeNumeric(value)
        break
      case TAG_CODE:
        p.code = value
        break
      case TAG_EPOCH:
        p.epoch = Number(decodeNumeric(value))
        break
      case TAG_SLOT: {
        const s = decodeSlot(value)
        p.slots.set(slotHex(key.subarray(21)), s)
        break
      }
      default:
        break
    }
  }
  const post: PostState = new Map()
  for (const [addr, acc] of pre) if (!touched.has(addr)) post.set(addr, cloneAccount(acc))
  for (const [addr, p] of touched) {
    const before = pre.get(addr)
    const exists = p.exists ?? before !== undefined
    if (!exists) {
      if (before !== undefined || p.exists === false) post.set(addr, null)
      continue
    }
    const epoch = p.epoch ?? 0
    const storage = new Map<string, bigint>()
    if (epoch === 0 && before !== undefined) for (const [k, v] of before.storage) if (v !== 0n) storage.set(k, v)
    for (const [k, s] of p.slots) {
      if (s.epoch === epoch && s.value !== 0n) storage.set(k, s.value)
      else storage.delete(k)
    }
    post.set(addr, {
      balance: p.balance ?? before?.balance ?? 0n,
      nonce: p.nonce ?? before?.nonce ?? 0n,
      code: p.code ?? before?.code ?? new Uint8Array(0),
      storage: new Map([...storage].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    })
  }
  return new Map([...post].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
}

function cloneAccount(a: AccountState): AccountState {
  return { balance: a.balance, nonce: a.nonce, code: a.code, storage: new Map(a.storage) }
}

/** Post-state in prestateTracer JSON form (null for deleted accounts). */
export function postStateToJSON(post: PostState): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [addr, acc] of post) {
    if (acc === null) {
      out[addr] = null
      continue
    }
    const o: Record<string, unknown> = { balance: '0x' + acc.balance.toString(16), nonce: Number(acc.nonce) }
    if (acc.code.length > 0) o.code = bytesToHex(acc.code)
    if (acc.storage.size > 0) {
      const s: Record<string, string> = {}
      for (const [k, v] of acc.storage) s[k] = '0x' + v.toString(16).padStart(64, '0')
      o.storage = s
    }
    out[addr] = o
  }
  return out
}
