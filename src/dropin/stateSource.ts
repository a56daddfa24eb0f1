/**
 * The caller's state manager as the engine's pre-block state: a lazy `BaseState` whose
 * locations (keys.ts: account existence, nonce, balance, code hash, code, storage epoch,
 * slots) are read from any `StateManagerInterface` — a MerkleStateManager over a database, a
 * caching one, an RPC-backed one — when a transaction first needs them.
 *
 * Invariants:
 * - one read of the state manager per account (getAccount, shared by its field locations),
 *   per code and per slot, per block; answers are kept for the block (`values`), so that a
 *   location already fetched is answered synchronously;
 * - values follow the binding's encodings (keys.ts): absent for a missing account, a zero
 *   nonce or balance, empty code and zero slots; every pre-block storage epoch is 0; the
 *   STORAGE flag is set when the account's storage root is not the empty trie's;
 * - `set` (the pre-block system operations' writes) overrides the state manager for the block;
 * - nothing is ever written to the state manager here (commit.ts does that, after the block).
 */
import { Address, KECCAK256_NULL, KECCAK256_RLP, bytesToBigInt, equalsBytes, type Account } from '@ethereumjs/util'
import type { StateManagerInterface } from '@ethereumjs/common'
import type { BaseState, LocationKey, LocationValue } from '../executor/types.js'
import { keyToString } from '../executor/keys.js'
import { BaseStateReadError } from '../executor/baseState.js'
import type { MerkleDirect } from './merkleDirect.js'
import { EXISTS_VALUE, TAG_BALANCE, TAG_CODE, TAG_CODEHASH, TAG_EPOCH, TAG_EXISTS, TAG_NONCE, TAG_SLOT, TAG_STORAGE, encodeNumeric, encodeSlot } from '../evm/keys.js'

/** How the block read the caller's state. */
export interface SourceStats {
  /** Locations read from the state manager. */
  locations: number
  /** State manager calls (getAccount per account, getCode, getStorage). */
  calls: number
  /** Wall time with at least one state manager call in flight (ms). */
  busyMs: number
}

export class StateManagerSource implements BaseState {
  readonly lazy = true
  private readonly values = new Map<string, LocationValue | undefined>()
  private readonly pending = new Map<string, Promise<LocationValue | undefined>>()
  private readonly accounts = new Map<string, Promise<Account | undefined>>()
  private inFlight = 0
  private busySince = 0
  readonly stats: SourceStats = { locations: 0, calls: 0, busyMs: 0 }
  /** The first failed read of the block (the block fails with it). */
  failure: BaseStateReadError | undefined

  /**
   * `direct`: the state manager's tries read directly (merkleDirect.ts) for accounts and
   * slots, when it is a plain MerkleStateManager; otherwise its interface methods.
   */
  constructor(
    private readonly sm: StateManagerInterface,
    private readonly direct?: MerkleDirect,
  ) {}

  get(key: LocationKey): LocationValue | undefined | Promise<LocationValue | undefined> {
    const s = keyToString(key)
    if (this.values.has(s)) return this.values.get(s)
    let p = this.pending.get(s)
    if (p === undefined) {
      this.stats.locations++
      p = this.load(key).then(
        (v) => {
          this.values.set(s, v)
          this.pending.delete(s)
          return v
        },
        (e: unknown) => {
          const err = e instanceof BaseStateReadError ? e : new BaseStateReadError(key, e)
          this.failure ??= err
          throw err
        },
      )
      this.pending.set(s, p)
    }
    return p
  }

  set(key: LocationKey, value: LocationValue): void {
    this.values.set(keyToString(key), value)
  }

  entries(): Iterable<[LocationKey, LocationValue]> {
    throw new Error('StateManagerSource is lazy: it is read location by location, never enumerated')
  }

  private async load(key: LocationKey): Promise<LocationValue | undefined> {
    const address = new Address(key.slice(1, 21))
    switch (key[0]) {
      case TAG_EXISTS:
        return (await this.account(address)) !== undefined ? EXISTS_VALUE : undefined
      case TAG_NONCE: {
        const a = await this.account(address)
        return a !== undefined && a.nonce !== 0n ? encodeNumeric(a.nonce) : undefined
      }
      case TAG_BALANCE: {
        const a = await this.account(address)
        return a !== undefined && a.balance !== 0n ? encodeNumeric(a.balance) : undefined
      }
      case TAG_CODEHASH: {
        const a = await this.account(address)
        return a !== undefined && !equalsBytes(a.codeHash, KECCAK256_NULL) ? a.codeHash : undefined
      }
      case TAG_CODE: {
        const a = await this.account(address)
        if (a === undefined || equalsBytes(a.codeHash, KECCAK256_NULL)) return undefined
        const code = await this.call(() => this.sm.getCode(address))
        return code.length > 0 ? code : undefined
      }
      case TAG_EPOCH:
        return undefined
      case TAG_STORAGE: {
        // Whether the account's storage is non-empty (EIP-7610's collision check).
        const a = await this.account(address)
        return a !== undefined && !equalsBytes(a.storageRoot, KECCAK256_RLP) ? EXISTS_VALUE : undefined
      }
      case TAG_SLOT: {
        // A state manager may refuse storage reads of a missing account: none to read then.
        const a = await this.account(address)
        if (a === undefined) return undefined
        const slot = key.slice(21, 53)
        const d = this.direct
        const v = bytesToBigInt(await this.call(() => (d !== undefined ? d.getStorage(address, a.storageRoot, slot) : this.sm.getStorage(address, slot))))
        return v !== 0n ? encodeSlot(0, v) : undefined
      }
      default:
        throw new TypeError(`unknown location tag ${key[0]}`)
    }
  }

  private account(address: Address): Promise<Account | undefined> {
    const id = address.toString()
    let p = this.accounts.get(id)
    if (p === undefined) {
      const d = this.direct
      p = this.call(() => (d !== undefined ? d.getAccount(address) : this.sm.getAccount(address)))
      this.accounts.set(id, p)
    }
    return p
  }

  private async call<T>(f: () => Promise<T>): Promise<T> {
    this.stats.calls++
    if (this.inFlight++ === 0) this.busySince = performance.now()
    try {
      return await f()
    } finally {
      if (--this.inFlight === 0) this.stats.busyMs += performance.now() - this.busySince
    }
  }
}
