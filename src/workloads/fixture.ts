/**
 * Workloads as fixture directories, in the format of `shared/fixtures/mainnet/<n>/`:
 * `block.json` like `eth_getBlockByNumber(n, true)` (full transaction objects with from,
 * hash, v/r/s) and `prestate.json` in geth prestateTracer format, one account per line.
 * Also parses such a directory back (block via @ethereumjs `createBlockFromRPC`).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createBlockFromRPC, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { TransactionType, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToHex, bytesToHex, hexToBytes, setLengthLeft, bigIntToBytes } from '@ethereumjs/util'
import type { AccountState, PreState } from '../evm/types.js'
import { workloadCommon } from './builder.js'

const q = (v: bigint | number): string => bigIntToHex(BigInt(v))

/** The JSON-RPC form of one transaction of `block` (as in `eth_getBlockByNumber(n, true)`). */
export function txToRPC(tx: TypedTransaction, index: number, block: Block): Record<string, unknown> {
  const baseFee = block.header.baseFeePerGas ?? 0n
  const o: Record<string, unknown> = {
    hash: bytesToHex(tx.hash()),
    nonce: q(tx.nonce),
    blockHash: bytesToHex(block.hash()),
    blockNumber: q(block.header.number),
    transactionIndex: q(index),
    from: tx.getSenderAddress().toString(),
    to: tx.to === undefined ? null : tx.to.toString(),
    value: q(tx.value),
  }
  if (tx.type === TransactionType.FeeMarketEIP1559) {
    const t = tx as TypedTransaction & { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }
    const tip = t.maxFeePerGas - baseFee < t.maxPriorityFeePerGas ? t.maxFeePerGas - baseFee : t.maxPriorityFeePerGas
    o.gasPrice = q(baseFee + tip)
    o.gas = q(tx.gasLimit)
    o.maxFeePerGas = q(t.maxFeePerGas)
    o.maxPriorityFeePerGas = q(t.maxPriorityFeePerGas)
  } else {
    o.gasPrice = q((tx as TypedTransaction & { gasPrice: bigint }).gasPrice)
    o.gas = q(tx.gasLimit)
  }
  o.input = bytesToHex(tx.data)
  o.r = q(tx.r!)
  o.s = q(tx.s!)
  o.v = q(tx.v!)
  if (tx.type !== TransactionType.Legacy) {
    o.yParity = q(tx.v!)
    o.chainId = q(tx.common.chainId())
    o.accessList = []
  } else if (tx.supports(155)) {
    o.chainId = q(tx.common.chainId())
  }
  o.type = q(tx.type)
  return o
}

/** The JSON-RPC form of a block with full transactions. */
export function blockToRPC(block: Block): Record<string, unknown> {
  const h = block.header
  const o: Record<string, unknown> = {
    hash: bytesToHex(block.hash()),
    parentHash: bytesToHex(h.parentHash),
    sha3Uncles: bytesToHex(h.uncleHash),
    miner: h.coinbase.toString(),
    stateRoot: bytesToHex(h.stateRoot),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    receiptsRoot: bytesToHex(h.receiptTrie),
    logsBloom: bytesToHex(h.logsBloom),
    difficulty: q(h.difficulty),
    number: q(h.number),
    gasLimit: q(h.gasLimit),
    gasUsed: q(h.gasUsed),
    timestamp: q(h.timestamp),
    extraData: bytesToHex(h.extraData),
    mixHash: bytesToHex(h.mixHash),
    nonce: bytesToHex(h.nonce),
  }
  if (h.baseFeePerGas !== undefined) o.baseFeePerGas = q(h.baseFeePerGas)
  if (h.withdrawalsRoot !== undefined) o.withdrawalsRoot = bytesToHex(h.withdrawalsRoot)
  if (h.blobGasUsed !== undefined) o.blobGasUsed = q(h.blobGasUsed)
  if (h.excessBlobGas !== undefined) o.excessBlobGas = q(h.excessBlobGas)
  if (h.parentBeaconBlockRoot !== undefined) o.parentBeaconBlockRoot = bytesToHex(h.parentBeaconBlockRoot)
  o.uncles = []
  o.size = q(block.serialize().length)
  o.transactions = block.transactions.map((tx, i) => txToRPC(tx, i, block))
  if (block.withdrawals !== undefined) {
    o.withdrawals = block.withdrawals.map((w) => ({
      index: q(w.index),
      validatorIndex: q(w.validatorIndex),
      address: w.address.toString(),
      amount: q(w.amount),
    }))
  }
  return o
}

const word = (v: bigint): string => bytesToHex(setLengthLeft(bigIntToBytes(v), 32))

/** A pre-state in prestateTracer format, one account per line (keys sorted). */
export function preStateToJSON(preState: PreState): string {
  const addresses = [...preState.keys()].sort()
  const lines = addresses.map((a) => {
    const acc = preState.get(a)!
    const o: Record<string, unknown> = { balance: q(acc.balance), nonce: Number(acc.nonce) }
    if (acc.code.length > 0) o.code = bytesToHex(acc.code)
    const slots = [...acc.storage.entries()].filter(([, v]) => v !== 0n).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
    if (slots.length > 0) o.storage = Object.fromEntries(slots.map(([k, v]) => [k.toLowerCase(), word(v)]))
    return `${JSON.stringify(a.toLowerCase())}:${JSON.stringify(o)}`
  })
  return `{\n${lines.join(',\n')}\n}\n`
}

/** Parses prestateTracer JSON into a PreState. */
export function parsePreStateJSON(text: string): PreState {
  const raw = JSON.parse(text) as Record<string, { balance?: string; nonce?: number | string; code?: string; storage?: Record<string, string> }>
  const out: PreState = new Map()
  for (const [a, acc] of Object.entries(raw)) {
    const storage = new Map<string, bigint>()
    for (const [k, v] of Object.entries(acc.storage ?? {})) {
      const val = BigInt(v)
      if (val !== 0n) storage.set(bytesToHex(setLengthLeft(hexToBytes(k as `0x${string}`), 32)), val)
    }
    const state: AccountState = {
      balance: BigInt(acc.balance ?? '0x0'),
      nonce: BigInt(acc.nonce ?? 0),
      code: acc.code !== undefined && acc.code !== '0x' ? hexToBytes(acc.code as `0x${string}`) : new Uint8Array(0),
      storage,
    }
    out.set(a.toLowerCase(), state)
  }
  return out
}

/** Writes `block.json` and `prestate.json` (and `workload.json` with name/description/params) into `dir`. */
export function writeFixture(
  workload: { block: Block; preState: PreState; name?: string; description?: string; params?: unknown },
  dir: string,
): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'block.json'), JSON.stringify(blockToRPC(workload.block)))
  writeFileSync(join(dir, 'prestate.json'), preStateToJSON(workload.preState))
  if (workload.name !== undefined) {
    const meta = { name: workload.name, description: workload.description, params: workload.params }
    writeFileSync(join(dir, 'workload.json'), JSON.stringify(meta, null, 2) + '\n')
  }
}

export interface ParsedFixture {
  block: Block
  common: Common
  preState: PreState
  /** Contents of `workload.json` when present. */
  meta?: { name: string; description: string; params: any }
}

/** Reads a fixture directory written by `writeFixture` (Cancun, chain id 1). */
export function readFixture(dir: string, common: Common = workloadCommon()): ParsedFixture {
  const json = JSON.parse(readFileSync(join(dir, 'block.json'), 'utf8'))
  const block = createBlockFromRPC(json, [], { common, setHardfork: false })
  const preState = parsePreStateJSON(readFileSync(join(dir, 'prestate.json'), 'utf8'))
  let meta
  try {
    meta = JSON.parse(readFileSync(join(dir, 'workload.json'), 'utf8'))
  } catch {
    meta = undefined
  }
  return { block, common, preState, meta }
}
