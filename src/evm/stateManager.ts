/**
 * A StateManagerInterface (@ethereumjs/common v10) over an IncarnationView: the adapter that
 * the EVM calls. Its parts live apart: the value codec (stateValues.ts), lazy accounts
 * (lazyAccount.ts), the write journal (stateJournal.ts) and the commutative credits
 * (credits.ts); this module reads, writes and decides when a credit or delta may be used.
 *
 * One instance serves one lane: `begin(view, txIndex)` re-points it at a new incarnation.
 *
 * Invariants:
 * - Reads: each location is read from the view at most once per incarnation (`readCache`), and
 *   only when its value is needed. Account fields are fetched lazily through {@link LazyAccount}.
 *   An account field whose account is known not to exist (its EXISTS location was read as
 *   absent) is deduced to be zero without a read (see keys.ts for the invariant behind this);
 *   storage epochs are never deduced.
 * - Writes are buffered per location with checkpoint/commit/revert journaling and reach the
 *   view only in `flush()`, which drops every write whose value equals what the incarnation
 *   read (or deduced) for that location, so rewriting an unchanged account creates no conflict.
 * - Snapshot semantics of accounts: a LazyAccount behaves like a copy taken at `getAccount`
 *   time; a field not loaded before `putAccount` is left as it was at that time.
 * - Exceptions thrown by the view (the engine's dependency signal) may be swallowed by the EVM
 *   (e.g. around balance transfers); the first one is recorded and `takeCapturedError()`
 *   hands it back so the caller rethrows it. A view read returning a Promise inside a
 *   synchronous getter is recorded as a {@link PendingRead}: the caller awaits it and reruns
 *   the transaction (the read cache persists, so the rerun is deterministic).
 * - Fee recipient: with `setCoinbase`, once `enterPostExecution()` has been called (after the
 *   top-level message), `getAccount(coinbase)` returns a delta account when the incarnation has
 *   neither read the coinbase balance nor modified the coinbase account; crediting it is then
 *   recorded as a commutative `addDelta` on the balance instead of a read and a write.
 */
import type { StateManagerInterface, AccountFields } from '@ethereumjs/common'
import { Account, Address, KECCAK256_NULL, bytesToUnprefixedHex, equalsBytes, unpadBytes } from '@ethereumjs/util'
import { keccak256 as keccak_256 } from './keccak.js'
import type { IncarnationView, LocationKey, LocationValue } from '../executor/types.js'
import { TAG_BALANCE, TAG_CODE, TAG_CODEHASH, TAG_EPOCH, TAG_EXISTS, TAG_NONCE, TAG_SLOT, TAG_STORAGE, accountKey, slotKey } from './keys.js'
import { EMPTY, decodeTyped, defaultTyped, encodeTyped, sameTyped, type SlotVal } from './stateValues.js'
import { FIELD_TAGS, LazyAccount, type AccountFieldSource } from './lazyAccount.js'
import { StateJournal, type Entry } from './stateJournal.js'
import { PendingCredits } from './credits.js'
import { PendingRead, UnsupportedStateOperationError } from './errors.js'

export { LazyAccount } from './lazyAccount.js'
export { PendingRead, UnsupportedStateOperationError } from './errors.js'

export class BlockSTMStateManager implements StateManagerInterface, AccountFieldSource {
  private view!: IncarnationView
  private epoch = 1
  private readonly readCache = new Map<string, LocationValue | undefined>()
  private entries = new Map<string, Entry>()
  /** Per address: ids of slot entries written in this incarnation. */
  private slotsWritten = new Map<string, Set<string>>()
  private captured: unknown = undefined
  /** Set once the view has answered with a Promise: account fields are then prefetched. */
  asyncMode = false
  private postExecution = false
  private readonly journal: StateJournal = new StateJournal((op) => this.credits.undo(op))
  /** The fee recipient's delta and value credits (see credits.ts). */
  private readonly credits = new PendingCredits(this.journal)

  readonly originalStorageCache = {
    get: (address: Address, key: Uint8Array): Promise<Uint8Array> => this.originalStorage(address, key),
    clear: (): void => {},
  }

  /** Starts incarnation `txIndex` (-1: before the transactions; txCount: after them). */
  begin(view: IncarnationView, txIndex: number): void {
    this.view = view
    this.epoch = txIndex + 2
    this.readCache.clear()
    this.restart()
  }

  /** Forgets buffered writes but keeps what was read (used to rerun after a PendingRead). */
  restart(): void {
    this.entries = new Map()
    this.slotsWritten = new Map()
    this.journal.reset()
    this.captured = undefined
    this.postExecution = false
    this.credits.reset()
  }

  setCoinbase(address: Address | undefined): void {
    this.credits.setCoinbase(address?.toString(), address?.bytes)
  }

  enterPostExecution(): void {
    this.postExecution = true
  }

  takeCapturedError(): unknown {
    const c = this.captured
    this.captured = undefined
    return c
  }

  // ---------------------------------------------------------------- reads

  private entry(id: string, tag: number, make: () => LocationKey): Entry {
    let e = this.entries.get(id)
    if (e === undefined) {
      e = { id, key: make(), tag, readState: 0, readVal: undefined, written: false, cur: undefined }
      this.entries.set(id, e)
    }
    return e
  }

  private accountEntry(addr: string, addrBytes: Uint8Array, tag: number): Entry {
    return this.entry(String.fromCharCode(tag) + addr, tag, () => accountKey(tag, addrBytes))
  }

  private slotEntry(addr: string, addrBytes: Uint8Array, slot: Uint8Array): Entry {
    return this.entry('\x07' + addr + bytesToUnprefixedHex(slot), TAG_SLOT, () => slotKey(addrBytes, slot))
  }

  private viewRead(e: Entry): LocationValue | undefined | Promise<LocationValue | undefined> {
    if (this.readCache.has(e.id)) return this.readCache.get(e.id)
    let r: LocationValue | undefined | Promise<LocationValue | undefined>
    try {
      r = this.view.read(e.key)
    } catch (err) {
      if (this.captured === undefined) this.captured = err
      throw err
    }
    if (r instanceof Promise) {
      this.asyncMode = true
      return r.then(
        (v) => {
          this.readCache.set(e.id, v)
          return v
        },
        (err) => {
          if (this.captured === undefined) this.captured = err
          throw err
        },
      )
    }
    this.readCache.set(e.id, r)
    return r
  }

  /** Deduces a field of an account known (from the view) not to exist. */
  private deduce(e: Entry): boolean {
    if (e.tag === TAG_EXISTS || e.tag === TAG_EPOCH || e.tag === TAG_SLOT) return false
    const ex = this.entries.get('\x01' + e.id.slice(1, 43))
    if (ex === undefined || ex.readState !== 1 || ex.readVal !== false) return false
    e.readState = 2
    e.readVal = defaultTyped(e.tag)
    return true
  }

  /** The value the view gives (synchronously; a Promise is recorded as a PendingRead). */
  private readValSync(e: Entry): unknown {
    if (e.readState !== 0) return e.readVal
    if (this.deduce(e)) return e.readVal
    const r = this.viewRead(e)
    if (r instanceof Promise) {
      const p = new PendingRead(r)
      if (this.captured === undefined) this.captured = p
      throw p
    }
    e.readState = 1
    e.readVal = decodeTyped(e.tag, r)
    return e.readVal
  }

  private async readValAsync(e: Entry): Promise<unknown> {
    if (e.readState !== 0) return e.readVal
    if (this.deduce(e)) return e.readVal
    let r = this.viewRead(e)
    if (r instanceof Promise) r = await r
    if (e.readState === 0) {
      e.readState = 1
      e.readVal = decodeTyped(e.tag, r)
    }
    return e.readVal
  }

  private curSync(e: Entry): unknown {
    return e.written ? e.cur : this.readValSync(e)
  }

  private async curAsync(e: Entry): Promise<unknown> {
    return e.written ? e.cur : this.readValAsync(e)
  }

  /** LazyAccount support: the value of a field as of the account's creation. */
  snapshotField(addr: string, addrBytes: Uint8Array, tag: number): unknown {
    return this.readValSync(this.accountEntry(addr, addrBytes, tag))
  }

  /**
   * LazyAccount support (EIP-7610): whether the account's storage is empty now. Reads the
   * storage epoch and, at epoch 0, the pre-state's STORAGE flag (keys.ts says why slots other
   * transactions wrote need no look); this incarnation's own slot writes count.
   */
  storageEmpty(addr: string, addrBytes: Uint8Array): boolean {
    const epoch = this.curSync(this.accountEntry(addr, addrBytes, TAG_EPOCH)) as number
    const own = this.slotsWritten.get(addr)
    if (own !== undefined) {
      for (const id of own) {
        const e = this.entries.get(id)!
        const s = e.cur as SlotVal
        if (e.written && s.epoch === epoch && s.value.length > 0) return false
      }
    }
    return epoch !== 0 || !(this.readValSync(this.accountEntry(addr, addrBytes, TAG_STORAGE)) as boolean)
  }

  // ---------------------------------------------------------------- writes

  private set(e: Entry, v: unknown): void {
    this.journal.set(e, v)
  }

  checkpoint(): Promise<void> {
    this.journal.checkpoint()
    return Promise.resolve()
  }

  commit(): Promise<void> {
    this.journal.commit()
    return Promise.resolve()
  }

  revert(): Promise<void> {
    this.journal.revert()
    return Promise.resolve()
  }

  /** Sends the incarnation's writes to the view (dropping unchanged values) and its delta. */
  flush(view: IncarnationView = this.view): void {
    for (const e of this.entries.values()) {
      if (!e.written) continue
      if (e.readState === 0) this.deduce(e)
      if (e.readState !== 0 && sameTyped(e.tag, e.readVal, e.cur)) continue
      view.write(e.key, encodeTyped(e.tag, e.cur))
    }
    this.credits.flush(view)
  }

  // ---------------------------------------------------------------- value credits

  /** Whether a credit to `addr` can be recorded without reading its balance. */
  canCredit(addr: string): boolean {
    if (addr === this.credits.coinbase) return false // the fee recipient has its own delta path
    const bal = this.entries.get('\x03' + addr)
    return bal === undefined || (bal.readState === 0 && !bal.written)
  }

  /** Credits `amount` to `account`'s balance without reading it (see `credits`). */
  credit(account: LazyAccount, amount: bigint): void {
    account.credited = true
    if (amount === 0n) return
    this.credits.set(account.addr, account.addrBytes, this.credits.pending(account.addr) + amount)
  }

  pendingCredit(addr: string): bigint {
    return this.credits.pending(addr)
  }

  /** The current balance of an account with (possibly) pending credits: folds them in. */
  creditedBalance(addr: string, bytes: Uint8Array): bigint {
    this.materializeCredit(addr)
    return this.curSync(this.accountEntry(addr, bytes, TAG_BALANCE)) as bigint
  }

  /** Turns the pending credit of `addr` into an ordinary balance write (read + credit). */
  private materializeCredit(addr: string): void {
    const c = this.credits.get(addr)
    if (c === undefined) return
    const e = this.accountEntry(addr, c.bytes, TAG_BALANCE)
    const base = this.curSync(e) as bigint
    this.credits.set(addr, c.bytes, undefined)
    this.set(e, base + c.amount)
  }

  // ---------------------------------------------------------------- accounts

  private canUseDelta(addr: string, addrBytes: Uint8Array): boolean {
    const bal = this.entries.get('\x03' + addr)
    if (bal !== undefined && (bal.readState === 1 || bal.written)) return false
    // Existence is not checked: crediting through a delta account writes it (true) itself,
    // and a credit is the same whether or not the account existed.
    for (const tag of [TAG_NONCE, TAG_CODEHASH, TAG_CODE, TAG_EPOCH]) {
      const e = this.entries.get(String.fromCharCode(tag) + addr)
      if (e !== undefined && e.written) return false
    }
    void addrBytes
    // A second look with nothing credited yet needs the real balance (EIP-161 emptiness).
    return !(this.credits.deltaAccountsIssued > 0 && this.credits.coinbaseDelta === 0n)
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = address.toString()
    const bytes = address.bytes
    const exists = (await this.curAsync(this.accountEntry(addr, bytes, TAG_EXISTS))) as boolean
    if (this.postExecution && addr === this.credits.coinbase && this.canUseDelta(addr, bytes)) {
      const credits = this.credits
      if (!exists && credits.coinbaseDelta === 0n) return undefined
      const acc = new LazyAccount(this, addr, bytes)
      acc.deltaBase = credits.coinbaseDelta
      acc._balance = credits.coinbaseDelta
      credits.deltaAccountsIssued++
      return acc
    }
    if (!exists) return undefined
    const acc = new LazyAccount(this, addr, bytes)
    const credited = this.credits.has(addr)
    if (credited) acc.credited = true
    // Fields not read yet are read together (asynchronous mode): against a slow base state
    // their fetches are in flight at once, one round trip instead of one per field.
    let reading: Entry[] | undefined
    let pending: Array<Promise<unknown>> | undefined
    for (const tag of FIELD_TAGS) {
      if (credited && tag === TAG_BALANCE) continue
      const e = this.entries.get(String.fromCharCode(tag) + addr)
      if (e !== undefined && (e.written || e.readState !== 0)) setField(acc, tag, e.written ? e.cur : e.readVal)
      else if (this.asyncMode) {
        const f = this.accountEntry(addr, bytes, tag)
        ;(reading ??= []).push(f)
        ;(pending ??= []).push(this.readValAsync(f))
      }
    }
    if (pending !== undefined) {
      await settleAll(pending)
      for (const f of reading!) setField(acc, f.tag, f.readVal)
    }
    return acc
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address)
    const addr = address.toString()
    const bytes = address.bytes
    const lazy = account instanceof LazyAccount && account.addr === addr ? account : undefined
    this.set(this.accountEntry(addr, bytes, TAG_EXISTS), true)
    if (lazy?.deltaBase !== undefined) {
      const d = lazy._balance! - lazy.deltaBase
      if (d !== 0n) this.credits.addCoinbaseDelta(d)
      lazy.deltaBase = lazy._balance!
      this.putFields(addr, bytes, lazy, [TAG_NONCE, TAG_CODEHASH])
      return
    }
    this.putFields(addr, bytes, lazy ?? account, FIELD_TAGS)
  }

  private putFields(addr: string, bytes: Uint8Array, account: Account, tags: readonly number[]): void {
    const lazy = account instanceof LazyAccount
    for (const tag of tags) {
      const e = this.accountEntry(addr, bytes, tag)
      let v = tag === TAG_NONCE ? account._nonce : tag === TAG_BALANCE ? account._balance : account._codeHash
      // A loaded balance overrides pending credits, as a put of a copy would in @ethereumjs.
      if (tag === TAG_BALANCE && v !== null) this.materializeCredit(addr)
      if (v === null) {
        if (!lazy) throw new UnsupportedStateOperationError('putAccount with a partial account')
        // Not loaded: unchanged since the snapshot, which was the view's value.
        if (!e.written) continue
        v = this.readValSync(e) as bigint | Uint8Array
      }
      this.set(e, v)
    }
  }

  async deleteAccount(address: Address): Promise<void> {
    const addr = address.toString()
    const bytes = address.bytes
    const existed = (await this.curAsync(this.accountEntry(addr, bytes, TAG_EXISTS))) as boolean
    const codeHashEntry = this.accountEntry(addr, bytes, TAG_CODEHASH)
    const hadCode = !equalsBytes((await this.curAsync(codeHashEntry)) as Uint8Array, KECCAK256_NULL)
    const codeEntry = this.accountEntry(addr, bytes, TAG_CODE)
    if (this.credits.has(addr)) this.credits.set(addr, bytes, undefined)
    this.set(this.accountEntry(addr, bytes, TAG_EXISTS), false)
    this.set(this.accountEntry(addr, bytes, TAG_NONCE), 0n)
    this.set(this.accountEntry(addr, bytes, TAG_BALANCE), 0n)
    if (hadCode || codeEntry.written) {
      this.set(codeHashEntry, KECCAK256_NULL)
      this.set(codeEntry, EMPTY)
    }
    if (existed) this.clearSlots(addr, bytes)
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account()
    if (fields.nonce !== undefined) account.nonce = fields.nonce
    if (fields.balance !== undefined) account.balance = fields.balance
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash
    if (fields.storageRoot !== undefined) account.storageRoot = fields.storageRoot
    await this.putAccount(address, account)
  }

  // ---------------------------------------------------------------- code

  async getCode(address: Address): Promise<Uint8Array> {
    return (await this.curAsync(this.accountEntry(address.toString(), address.bytes, TAG_CODE))) as Uint8Array
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length
  }

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const addr = address.toString()
    const bytes = address.bytes
    if (!((await this.curAsync(this.accountEntry(addr, bytes, TAG_EXISTS))) as boolean)) {
      await this.putAccount(address, new Account())
    }
    this.set(this.accountEntry(addr, bytes, TAG_CODE), value)
    this.set(this.accountEntry(addr, bytes, TAG_CODEHASH), value.length === 0 ? KECCAK256_NULL : keccak_256(value))
  }

  // ---------------------------------------------------------------- storage

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const addr = address.toString()
    const bytes = address.bytes
    const e = this.slotEntry(addr, bytes, key)
    if (e.written) return (e.cur as SlotVal).value
    return this.slotValue(this.accountEntry(addr, bytes, TAG_EPOCH), true, e)
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const addr = address.toString()
    const bytes = address.bytes
    const epoch = (await this.curAsync(this.accountEntry(addr, bytes, TAG_EPOCH))) as number
    const e = this.slotEntry(addr, bytes, key)
    this.set(e, { epoch, value: unpadBytes(value) } as SlotVal)
    let set = this.slotsWritten.get(addr)
    if (set === undefined) this.slotsWritten.set(addr, (set = new Set()))
    set.add(e.id)
  }

  async clearStorage(address: Address): Promise<void> {
    this.clearSlots(address.toString(), address.bytes)
  }

  private clearSlots(addr: string, bytes: Uint8Array): void {
    this.set(this.accountEntry(addr, bytes, TAG_EPOCH), this.epoch)
    const ids = this.slotsWritten.get(addr)
    if (ids === undefined) return
    for (const id of ids) {
      const e = this.entries.get(id)!
      if (e.written) this.set(e, { epoch: this.epoch, value: EMPTY } as SlotVal)
    }
  }

  /** The slot's value before this transaction (for SSTORE gas and refunds). */
  private async originalStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const addr = address.toString()
    const bytes = address.bytes
    return this.slotValue(this.accountEntry(addr, bytes, TAG_EPOCH), false, this.slotEntry(addr, bytes, key))
  }

  /**
   * A slot's value as read: its stored value when stored at the account's storage epoch
   * (`current`: the epoch as this transaction has it, else as it was before), else empty. On a
   * slow base state the epoch and the slot are read together: one round trip.
   */
  private async slotValue(epochEntry: Entry, current: boolean, slot: Entry): Promise<Uint8Array> {
    const epochRead = current ? this.curAsync(epochEntry) : this.readValAsync(epochEntry)
    const [epoch, s] = (this.asyncMode ? await settleAll([epochRead, this.readValAsync(slot)]) : [await epochRead, await this.readValAsync(slot)]) as [number, SlotVal]
    return s.epoch === epoch ? s.value : EMPTY
  }

  // ---------------------------------------------------------------- the rest

  /** Not computable from a partial state; only pre-Byzantium receipts ask for it. */
  async getStateRoot(): Promise<Uint8Array> {
    return new Uint8Array(32)
  }
  async setStateRoot(): Promise<void> {
    throw new UnsupportedStateOperationError('setStateRoot')
  }
  async hasStateRoot(): Promise<boolean> {
    throw new UnsupportedStateOperationError('hasStateRoot')
  }
  clearCaches(): void {}
  shallowCopy(): StateManagerInterface {
    throw new UnsupportedStateOperationError('shallowCopy')
  }
}

function setField(acc: LazyAccount, tag: number, v: unknown): void {
  if (tag === TAG_NONCE) acc._nonce = v as bigint
  else if (tag === TAG_BALANCE) acc._balance = v as bigint
  else acc._codeHash = v as Uint8Array
}

/**
 * The values of reads started together, once every one has settled; the first failure (a
 * dependency signal, a failed fetch) is thrown only then, so that no read of this execution
 * completes after the execution has ended (its view is reset for the next one).
 */
async function settleAll(ps: Array<Promise<unknown>>): Promise<unknown[]> {
  if (ps.length === 1) return [await ps[0]]
  const r = await Promise.allSettled(ps)
  const out = new Array<unknown>(r.length)
  for (let i = 0; i < r.length; i++) {
    const x = r[i]!
    if (x.status === 'rejected') throw x.reason
    out[i] = x.value
  }
  return out
}
