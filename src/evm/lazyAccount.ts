/**
 * Lazy accounts: an @ethereumjs `Account` whose nonce, balance, code hash and storage emptiness are read from the
 * incarnation's view only when the EVM asks for them, so that touching an account does not
 * read (and conflict on) fields the transaction never uses.
 *
 * Invariants: a LazyAccount behaves like a copy taken when the state manager handed it out
 * (snapshot semantics: fields known then are copied in eagerly, the others are read as of
 * that time); a field set on it is never read; `isEmpty` reads the balance only when the
 * answer depends on it.
 */
import { Account, KECCAK256_NULL, KECCAK256_RLP, equalsBytes } from '@ethereumjs/util'
import { TAG_BALANCE, TAG_CODEHASH, TAG_NONCE } from './keys.js'

/** The account fields a state manager serves to its lazy accounts (stateManager.ts). */
export interface AccountFieldSource {
  /** The value of a field (nonce, balance, code hash) as of the account's creation. */
  snapshotField(addr: string, addrBytes: Uint8Array, tag: number): unknown
  /** The current balance with pending credits folded in. */
  creditedBalance(addr: string, addrBytes: Uint8Array): bigint
  /** The credit pending for `addr` (0n when none). */
  pendingCredit(addr: string): bigint
  /** Whether the account's storage is empty (EIP-7610; see keys.ts, STORAGE). */
  storageEmpty(addr: string, addrBytes: Uint8Array): boolean
}

/**
 * The storage root a lazy account reports for non-empty storage. The binding computes no
 * storage roots; the EVM compares the root only with the empty one (the EIP-7610 collision).
 */
export const NON_EMPTY_STORAGE_ROOT = new Uint8Array(32).fill(0xff)

/** The fields of an account the state manager reads lazily, in the order it copies them. */
export const FIELD_TAGS = [TAG_NONCE, TAG_BALANCE, TAG_CODEHASH] as const

/**
 * An Account whose nonce, balance and code hash are fetched on first access. Fields already
 * known to the incarnation when it was created are copied in eagerly (snapshot semantics).
 */
export class LazyAccount extends Account {
  /** For a delta account: the pending coinbase delta when it was handed out. */
  deltaBase: bigint | undefined
  /**
   * The balance includes credits pending in the state manager (this object was credited, or
   * handed out while a credit was pending): reading it folds them in, instead of returning the
   * snapshot value.
   */
  credited = false
  constructor(
    readonly sm: AccountFieldSource,
    readonly addr: string,
    readonly addrBytes: Uint8Array,
  ) {
    super(null as unknown as bigint, null as unknown as bigint, null as unknown as Uint8Array, null as unknown as Uint8Array, null as unknown as number, 0)
  }
  override get nonce(): bigint {
    if (this._nonce === null) this._nonce = this.sm.snapshotField(this.addr, this.addrBytes, TAG_NONCE) as bigint
    return this._nonce
  }
  override set nonce(v: bigint) {
    this._nonce = v
  }
  override get balance(): bigint {
    if (this._balance === null) {
      this._balance = this.credited
        ? this.sm.creditedBalance(this.addr, this.addrBytes)
        : (this.sm.snapshotField(this.addr, this.addrBytes, TAG_BALANCE) as bigint)
    }
    return this._balance
  }
  override set balance(v: bigint) {
    this._balance = v
  }
  override get codeHash(): Uint8Array {
    if (this._codeHash === null) this._codeHash = this.sm.snapshotField(this.addr, this.addrBytes, TAG_CODEHASH) as Uint8Array
    return this._codeHash
  }
  override set codeHash(v: Uint8Array) {
    this._codeHash = v
  }
  /** Empty or not, read when the EVM asks (it does for the EIP-7610 collision check only). */
  override get storageRoot(): Uint8Array {
    if (this._storageRoot === null) this._storageRoot = this.sm.storageEmpty(this.addr, this.addrBytes) ? KECCAK256_RLP : NON_EMPTY_STORAGE_ROOT
    return this._storageRoot
  }
  override set storageRoot(v: Uint8Array) {
    this._storageRoot = v
  }
  override get codeSize(): number {
    if (this._codeSize === null) this._codeSize = this.isContract() ? -1 : 0
    return this._codeSize
  }
  override set codeSize(v: number) {
    this._codeSize = v
  }
  override isContract(): boolean {
    return !equalsBytes(this.codeHash, KECCAK256_NULL)
  }
  /**
   * EIP-161 emptiness without reading the balance where the answer is known without it: a
   * contract, an account with a nonce or with a pending credit is not empty. (The base class
   * reads the balance first, which would make every touched account conflict with every
   * change of its balance.)
   */
  override isEmpty(): boolean {
    if (!equalsBytes(this.codeHash, KECCAK256_NULL) || this.nonce !== 0n) return false
    if (this._balance === null && this.credited && this.sm.pendingCredit(this.addr) > 0n) return false
    return this.balance === 0n
  }
}

