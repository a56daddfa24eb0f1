/**
 * Hand-made EVM blocks for the reliability tests: a fixed cast of keys, contracts and a
 * pre-state, and a builder that turns transaction specs into a signed Cancun block (chain
 * id 1). Used by the bad-input tests, the adversarial blocks and the EVM property test
 * (whose fast-check arbitrary generates the specs).
 *
 * Contracts (runtime code):
 *   COUNTER   slot0 ← slot0 + 1                         (one slot every caller writes)
 *   BAL       slot0 ← BALANCE(COINBASE)                 (reads the fee recipient mid-block)
 *   REVERT    REVERT(0, 0)
 *   LOOP      infinite loop (out of gas)
 *   STORE     slot[CALLER] ← SELFBALANCE                (reads its own balance, changed by value)
 *   FORWARD   CALL(gas, COINBASE, CALLVALUE)            (pays the fee recipient directly)
 *   DESTRUCT  SELFDESTRUCT(CALLER)                      (EIP-6780: moves the balance only)
 * A spec without `to` creates a contract (INIT deploys a COUNTER-like runtime, slot0 = 5).
 */
import { createBlock, type Block } from '@ethereumjs/block'
import { type Common, createCustomCommon, Mainnet } from '@ethereumjs/common'
import { createTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { addressOfKey } from '../workloads/crypto.js'
import { commonFor } from '../evm/chain.js'
import type { PreState } from '../evm/types.js'

export const KEY_COUNT = 8

/** Private key `i` of the cast (index KEY_COUNT is the fee recipient's key). */
export function castKey(i: number): Uint8Array {
  return keccak_256(new TextEncoder().encode(`blockstm-reliability-key-${i}`))
}

const keyCache = new Map<number, { key: Uint8Array; address: Address }>()
export function castAccount(i: number): { key: Uint8Array; address: Address } {
  let a = keyCache.get(i)
  if (a === undefined) {
    const key = castKey(i)
    a = { key, address: addressOfKey(key) }
    keyCache.set(i, a)
  }
  return a
}

export const COINBASE_INDEX = KEY_COUNT
export const coinbase = (): Address => castAccount(COINBASE_INDEX).address

const fixed = (b: number) => ('0x' + b.toString(16).padStart(2, '0').repeat(20)) as `0x${string}`
export const CONTRACTS = {
  COUNTER: fixed(0xc1),
  BAL: fixed(0xc2),
  REVERT: fixed(0xc3),
  LOOP: fixed(0xc4),
  STORE: fixed(0xc5),
  FORWARD: fixed(0xc6),
  DESTRUCT: fixed(0xc7),
} as const
export type ContractName = keyof typeof CONTRACTS

function runtime(name: ContractName): string {
  switch (name) {
    case 'COUNTER':
      return '0x60005460010160005500'
    case 'BAL':
      return '0x413160005500'
    case 'REVERT':
      return '0x60006000fd'
    case 'LOOP':
      return '0x5b600056'
    case 'STORE':
      return '0x47335500'
    case 'FORWARD':
      return '0x6000600060006000' + '34' + '73' + coinbase().toString().slice(2) + '5af100'
    case 'DESTRUCT':
      return '0x33ff'
  }
}

/** Init code: slot0 ← 5, deploys `361560075733ff5b600054600101600055 00`. */
export const INIT = '0x6005600055' + '60126011600039' + '60126000f3' + '361560075733ff5b60005460010160005500'

export interface CastOptions {
  /** Balance of each of the KEY_COUNT keys (default 10^20 wei each). */
  balances?: bigint[]
  /** Balance of the fee recipient (default 10^18; null: the account does not exist). */
  coinbaseBalance?: bigint | null
  /** Initial value of COUNTER's slot 0 (default 1). */
  counter?: bigint
}

/** The pre-state of the cast: funded keys, the fee recipient and every contract. */
export function castPreState(opts: CastOptions = {}): PreState {
  const p: PreState = new Map()
  const acc = (balance: bigint, code = '0x') => ({ balance, nonce: 0n, code: hexToBytes(code as `0x${string}`), storage: new Map<string, bigint>() })
  for (let i = 0; i < KEY_COUNT; i++) p.set(castAccount(i).address.toString(), acc(opts.balances?.[i] ?? 10n ** 20n))
  if (opts.coinbaseBalance !== null) p.set(coinbase().toString(), acc(opts.coinbaseBalance ?? 10n ** 18n))
  for (const name of Object.keys(CONTRACTS) as ContractName[]) p.set(CONTRACTS[name], acc(name === 'DESTRUCT' ? 10n ** 9n : 0n, runtime(name)))
  const counter = p.get(CONTRACTS.COUNTER)!
  counter.storage.set('0x' + '00'.repeat(32), opts.counter ?? 1n)
  return p
}

export interface TxSpec {
  /** Signing key (a private key, or an index into the cast). */
  from: number | Uint8Array
  /** Explicit nonce; default: the sender's next nonce in the block (from `startNonce`, 0). */
  nonce?: number | bigint
  /** Recipient: a cast index, a contract name, an address, or undefined to create a contract. */
  to?: number | ContractName | `0x${string}`
  value?: bigint
  data?: string
  gasLimit?: bigint
  /** 0: legacy (EIP-155), 2: EIP-1559 (default). */
  type?: 0 | 2
  maxFeePerGas?: bigint
  /** Signs for this chain id instead of 1. */
  chainId?: bigint
}

export interface HeaderOptions {
  gasLimit?: bigint
  baseFeePerGas?: bigint
  number?: bigint
  timestamp?: bigint
  coinbase?: Address
  blobGasUsed?: bigint
  /** Header fields a sealed block carries (from a sequential run). */
  gasUsed?: bigint
  logsBloom?: Uint8Array
  receiptTrie?: Uint8Array
}

let cancun: Promise<Common> | undefined
/** The Cancun Common (native signature recovery) the hand-made blocks use. */
export function castCommon(): Promise<Common> {
  cancun ??= commonFor('cancun', undefined, 'native')
  return cancun
}

export function resolveTo(to: TxSpec['to']): `0x${string}` | undefined {
  if (to === undefined) return undefined
  if (typeof to === 'number') return castAccount(to).address.toString() as `0x${string}`
  if (to in CONTRACTS) return CONTRACTS[to as ContractName]
  return to as `0x${string}`
}

/** `common` with another chain id (for wrong-chain-id transactions). */
export function otherChain(common: Common, chainId: bigint): Common {
  return createCustomCommon({ chainId: Number(chainId) } as never, Mainnet, { hardfork: common.hardfork() })
}

/** Signs the specs (nonces assigned per sender in block order unless given). */
export function signTxs(common: Common, specs: TxSpec[], startNonce: (key: Uint8Array) => bigint = () => 0n): TypedTransaction[] {
  const next = new Map<string, bigint>()
  return specs.map((s) => {
    const key = typeof s.from === 'number' ? castAccount(s.from).key : s.from
    const id = Buffer.from(key).toString('hex')
    const auto = next.get(id) ?? startNonce(key)
    const nonce = s.nonce !== undefined ? BigInt(s.nonce) : auto
    next.set(id, nonce + 1n)
    const base = {
      nonce,
      to: resolveTo(s.to),
      value: s.value ?? 0n,
      data: s.data !== undefined ? hexToBytes((s.data.startsWith('0x') ? s.data : '0x' + s.data) as `0x${string}`) : undefined,
      gasLimit: s.gasLimit ?? 200_000n,
    }
    const c = s.chainId !== undefined && s.chainId !== common.chainId() ? otherChain(common, s.chainId) : common
    const tx =
      s.type === 0
        ? createTx({ type: 0, ...base, gasPrice: s.maxFeePerGas ?? 100n }, { common: c })
        : createTx({ type: 2, ...base, maxFeePerGas: s.maxFeePerGas ?? 100n, maxPriorityFeePerGas: 3n, chainId: s.chainId ?? 1n }, { common: c })
    return tx.sign(key)
  })
}

/** A Cancun block (chain id 1) of already signed transactions. */
export function blockOf(common: Common, txs: TypedTransaction[], h: HeaderOptions = {}): Block {
  return createBlock(
    {
      header: {
        number: h.number ?? 20_000_000n,
        timestamp: h.timestamp ?? 1_720_000_000n,
        coinbase: h.coinbase ?? coinbase(),
        gasLimit: h.gasLimit ?? 30_000_000n,
        baseFeePerGas: h.baseFeePerGas ?? 7n,
        parentBeaconBlockRoot: new Uint8Array(32),
        excessBlobGas: 0n,
        blobGasUsed: h.blobGasUsed ?? 0n,
        ...(h.gasUsed !== undefined ? { gasUsed: h.gasUsed } : {}),
        ...(h.logsBloom !== undefined ? { logsBloom: h.logsBloom } : {}),
        ...(h.receiptTrie !== undefined ? { receiptTrie: h.receiptTrie } : {}),
      },
      transactions: txs,
      withdrawals: [],
    },
    { common, skipConsensusFormatValidation: true } as never,
  )
}

/** Signs `specs` and builds their block. */
export async function castBlock(specs: TxSpec[], h: HeaderOptions = {}): Promise<{ block: Block; common: Common }> {
  const common = await castCommon()
  return { block: blockOf(common, signTxs(common, specs), h), common }
}
