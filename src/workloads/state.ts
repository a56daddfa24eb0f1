/**
 * Pre-state plumbing for the workload generators:
 * - `SetupChain`: an in-memory @ethereumjs VM (journaling in-memory state manager) on which the generators
 *   deploy real contracts and run setup transactions (create pairs, add liquidity…), then
 *   dump the resulting accounts, code and storage as a `PreState`;
 * - loading a `PreState` into a fresh state manager (used to execute a workload);
 * - Solidity storage-slot helpers (mapping slots) for the few balances written directly.
 */
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { SimpleStateManager } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import {
  Account,
  Address,
  bigIntToBytes,
  bytesToBigInt,
  bytesToHex,
  concatBytes,
  createAccount,
  hexToBytes,
  setLengthLeft,
} from '@ethereumjs/util'
import { createVM, runTx, type VM } from '@ethereumjs/vm'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { AccountState, PreState } from '../evm/types.js'
import { deriveEoa, labelAddress, type Eoa } from './crypto.js'

/** A 32-byte word of a bigint. */
export const word32 = (v: bigint): Uint8Array => setLengthLeft(bigIntToBytes(v), 32)

/** The slot of `mapping[key]` for a mapping declared at slot `slot` (key: address or 32-byte word). */
export function mappingSlot(key: Address | Uint8Array | bigint, slot: bigint | Uint8Array): Uint8Array {
  const k = key instanceof Address ? setLengthLeft(key.bytes, 32) : typeof key === 'bigint' ? word32(key) : setLengthLeft(key, 32)
  const s = slot instanceof Uint8Array ? setLengthLeft(slot, 32) : word32(slot)
  return keccak_256(concatBytes(k, s))
}

/** The canonical text form of a storage slot: 0x + 64 lower-case hex digits. */
export const slotHex = (slot: Uint8Array): string => bytesToHex(setLengthLeft(slot, 32))

const ABSENT = Symbol('absent')
type Prev<T> = T | typeof ABSENT

function cloneAccount(a: Account): Account {
  return Object.assign(Object.create(Object.getPrototypeOf(a)), a) as Account
}

/**
 * An in-memory state manager with an undo journal: checkpoints cost O(1) and commits /
 * reverts O(writes), where SimpleStateManager copies the whole state at every checkpoint
 * (quadratic on large blocks). It reports a constant state root, so that `runBlock`
 * accepts it. The whole state stays enumerable (`accounts`, `codes`, `slots`).
 */
export class JournalStateManager extends SimpleStateManager {
  readonly accounts = new Map<string, Account | undefined>()
  readonly codes = new Map<string, Uint8Array>()
  /** `${address}_${slot hex}` → value (shortest big-endian bytes). */
  readonly slots = new Map<string, Uint8Array>()
  private journal: Array<{ a: Map<string, Prev<Account | undefined>>; c: Map<string, Prev<Uint8Array>>; s: Map<string, Prev<Uint8Array>> }> = []

  private note<T>(which: 'a' | 'c' | 's', map: Map<string, T>, key: string): void {
    const top = this.journal[this.journal.length - 1]
    if (top === undefined) return
    const j = top[which] as Map<string, Prev<T>>
    if (!j.has(key)) j.set(key, map.has(key) ? (map.get(key) as T) : ABSENT)
  }
  override async getAccount(address: Address): Promise<Account | undefined> {
    const a = this.accounts.get(address.toString())
    return a === undefined ? undefined : cloneAccount(a)
  }
  override async putAccount(address: Address, account?: Account): Promise<void> {
    const k = address.toString()
    this.note('a', this.accounts, k)
    this.accounts.set(k, account === undefined ? undefined : cloneAccount(account))
  }
  override async deleteAccount(address: Address): Promise<void> {
    await this.putAccount(address, undefined)
  }
  override async getCode(address: Address): Promise<Uint8Array> {
    return this.codes.get(address.toString()) ?? new Uint8Array(0)
  }
  override async putCode(address: Address, value: Uint8Array): Promise<void> {
    const k = address.toString()
    this.note('c', this.codes, k)
    this.codes.set(k, value)
    const acc = (await this.getAccount(address)) ?? createAccount({})
    acc.codeHash = (this.common?.customCrypto.keccak256 ?? keccak_256)(value)
    await this.putAccount(address, acc)
  }
  override async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return this.slots.get(`${address.toString()}_${bytesToHex(key)}`) ?? new Uint8Array(0)
  }
  override async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    const k = `${address.toString()}_${bytesToHex(key)}`
    this.note('s', this.slots, k)
    this.slots.set(k, value)
  }
  override async clearStorage(address: Address): Promise<void> {
    const prefix = `${address.toString()}_`
    for (const k of [...this.slots.keys()]) {
      if (k.startsWith(prefix)) {
        this.note('s', this.slots, k)
        this.slots.delete(k)
      }
    }
  }
  override async checkpoint(): Promise<void> {
    this.journal.push({ a: new Map(), c: new Map(), s: new Map() })
  }
  override async commit(): Promise<void> {
    const top = this.journal.pop()
    const parent = this.journal[this.journal.length - 1]
    if (top === undefined || parent === undefined) return
    for (const w of ['a', 'c', 's'] as const) {
      const pj = parent[w] as Map<string, unknown>
      for (const [k, v] of top[w] as Map<string, unknown>) if (!pj.has(k)) pj.set(k, v)
    }
  }
  override async revert(): Promise<void> {
    const top = this.journal.pop()
    if (top === undefined) return
    const undo = <T>(j: Map<string, Prev<T>>, map: Map<string, T>) => {
      for (const [k, v] of j) {
        if (v === ABSENT) map.delete(k)
        else map.set(k, v)
      }
    }
    undo(top.a, this.accounts)
    undo(top.c, this.codes)
    undo(top.s, this.slots)
  }
  override shallowCopy(): JournalStateManager {
    const copy = new JournalStateManager({ common: this.common })
    for (const [k, v] of this.accounts) copy.accounts.set(k, v)
    for (const [k, v] of this.codes) copy.codes.set(k, v)
    for (const [k, v] of this.slots) copy.slots.set(k, v)
    return copy
  }
  override getStateRoot(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(32))
  }
}

/** Writes every account of `preState` into `sm`. */
export async function loadPreState(sm: JournalStateManager, preState: PreState): Promise<void> {
  for (const [hex, acc] of preState) {
    const address = new Address(hexToBytes(hex as `0x${string}`))
    await sm.putAccount(address, createAccount({ nonce: acc.nonce, balance: acc.balance }))
    if (acc.code.length > 0) await sm.putCode(address, acc.code)
    for (const [slot, value] of acc.storage) {
      if (value !== 0n) await sm.putStorage(address, hexToBytes(slot as `0x${string}`), bigIntToBytes(value))
    }
  }
}

/** A fresh VM whose state is `preState`. */
export async function vmFromPreState(common: Common, preState: PreState): Promise<VM> {
  const stateManager = new JournalStateManager({ common })
  await loadPreState(stateManager, preState)
  return createVM({ common, stateManager })
}

/** Reads the whole state of a JournalStateManager as a PreState (sorted, zero slots dropped). */
export function dumpState(sm: JournalStateManager, exclude: Set<string> = new Set()): PreState {
  const accounts = sm.accounts
  const codes = sm.codes
  const storage = sm.slots
  const out: PreState = new Map()
  const byAddress = new Map<string, Map<string, bigint>>()
  for (const [key, value] of storage) {
    const sep = key.indexOf('_')
    const a = key.slice(0, sep).toLowerCase()
    const v = bytesToBigInt(value)
    if (v === 0n) continue
    let m = byAddress.get(a)
    if (m === undefined) byAddress.set(a, (m = new Map()))
    m.set(slotHex(hexToBytes(key.slice(sep + 1) as `0x${string}`)), v)
  }
  const addresses = [...accounts.keys()].map((a) => a.toLowerCase()).sort()
  for (const a of addresses) {
    if (exclude.has(a)) continue
    const acc = accounts.get(a)
    if (acc === undefined) continue
    const code = codes.get(a) ?? new Uint8Array(0)
    const slots = byAddress.get(a) ?? new Map<string, bigint>()
    if (acc.nonce === 0n && acc.balance === 0n && code.length === 0 && slots.size === 0) continue
    const sorted = new Map([...slots.entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
    const state: AccountState = { balance: acc.balance, nonce: acc.nonce, code, storage: sorted }
    out.set(a, state)
  }
  return out
}

/**
 * An in-memory chain for building pre-states: a deployer with a huge balance signs and runs
 * setup transactions; other code may write balances and storage directly.
 */
export class SetupChain {
  readonly stateManager: JournalStateManager
  readonly deployer: Eoa
  private nonce = 0n
  private readonly coinbase = labelAddress('blockstm-workloads/setup-coinbase')
  private block: Block

  private constructor(
    readonly vm: VM,
    readonly common: Common,
    seed: string,
    timestamp: bigint,
  ) {
    this.stateManager = vm.stateManager as JournalStateManager
    this.deployer = deriveEoa(seed, 'deployer', 0)
    this.block = createBlock(
      { header: { number: 1n, timestamp, gasLimit: 1_000_000_000n, baseFeePerGas: 1n, coinbase: this.coinbase } },
      { common },
    )
  }

  static async create(common: Common, seed: string, timestamp: bigint): Promise<SetupChain> {
    const vm = await createVM({ common, stateManager: new JournalStateManager({ common }) })
    const chain = new SetupChain(vm, common, seed, timestamp)
    await chain.setBalance(chain.deployer.address, 10n ** 36n)
    return chain
  }

  async setBalance(address: Address, balance: bigint): Promise<void> {
    const acc = (await this.stateManager.getAccount(address)) ?? createAccount({})
    acc.balance = balance
    await this.stateManager.putAccount(address, acc)
  }

  async putStorage(address: Address, slot: Uint8Array, value: bigint): Promise<void> {
    await this.stateManager.putStorage(address, setLengthLeft(slot, 32), value === 0n ? new Uint8Array(0) : bigIntToBytes(value))
  }

  async getStorage(address: Address, slot: Uint8Array): Promise<bigint> {
    return bytesToBigInt(await this.stateManager.getStorage(address, setLengthLeft(slot, 32)))
  }

  /** Copies `from`'s code and storage to `to` (a clone of a deployed contract). */
  async cloneContract(from: Address, to: Address): Promise<void> {
    const code = await this.stateManager.getCode(from)
    await this.stateManager.putAccount(to, createAccount({ nonce: 1n }))
    await this.stateManager.putCode(to, code)
    const prefix = `${from.toString()}_`
    const slots = this.stateManager.slots
    for (const [k, v] of [...slots.entries()]) {
      if (k.startsWith(prefix)) slots.set(`${to.toString()}_${k.slice(prefix.length)}`, v)
    }
  }

  /** Runs a transaction from the deployer; throws unless it succeeds. Returns created address / return data. */
  async send(to: Address | undefined, data: Uint8Array, value = 0n, gasLimit = 10_000_000n) {
    const tx = createFeeMarket1559Tx(
      { nonce: this.nonce, to, data, value, gasLimit, maxFeePerGas: 1n, maxPriorityFeePerGas: 0n, chainId: 1n },
      { common: this.common },
    ).sign(this.deployer.privateKey)
    this.nonce++
    const res = await runTx(this.vm, { tx, block: this.block, skipHardForkValidation: true })
    if (res.execResult.exceptionError !== undefined) {
      throw new Error(`setup tx failed: ${res.execResult.exceptionError.error}`)
    }
    return { createdAddress: res.createdAddress, returnValue: res.execResult.returnValue }
  }

  /** Deploys creation code `bytecode` ‖ `args`; returns the new contract's address. */
  async deploy(bytecode: Uint8Array, args: Uint8Array = new Uint8Array(0)): Promise<Address> {
    const { createdAddress } = await this.send(undefined, concatBytes(bytecode, args))
    if (createdAddress === undefined) throw new Error('deployment created no contract')
    return createdAddress
  }

  /** Read-only call (no state change kept). */
  async call(to: Address, data: Uint8Array, caller?: Address): Promise<Uint8Array> {
    await this.stateManager.checkpoint()
    try {
      const res = await this.vm.evm.runCall({ to, data, caller: caller ?? this.deployer.address, gasLimit: 10_000_000n })
      if (res.execResult.exceptionError !== undefined) throw new Error(`call failed: ${res.execResult.exceptionError.error}`)
      return res.execResult.returnValue
    } finally {
      await this.stateManager.revert()
    }
  }

  /** The state built so far (setup coinbase excluded). */
  dump(): PreState {
    return dumpState(this.stateManager, new Set([this.coinbase.toString()]))
  }
}
