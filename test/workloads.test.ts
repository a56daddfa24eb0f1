/**
 * Tests of the benchmark workload generators (src/workloads): every kind, at several
 * contention levels, executes with plain @ethereumjs/vm `runBlock` with all receipts
 * successful and the intended effect (balances moved, swaps paid out, NFTs minted); same
 * seed gives the same block and pre-state; fixture directories round-trip.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Address, bytesToBigInt, bytesToHex, createAddressFromString, hexToBytes, utf8ToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import type { VM } from '@ethereumjs/vm'
import {
  executeReference,
  failedTxs,
  generateWorkload,
  preStateToJSON,
  readFixture,
  writeFixture,
  type Workload,
  type WorkloadParams,
} from '../src/workloads/index.js'
import { encodeCall, addr, uint } from '../src/workloads/abi.js'

const tmp = mkdtempSync(join(tmpdir(), 'workloads-test-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const gen = (p: WorkloadParams) => generateWorkload(p, { cacheDir: false })
const topic = (sig: string) => bytesToHex(keccak_256(utf8ToBytes(sig)))
const TRANSFER = topic('Transfer(address,address,uint256)')
const SWAP = topic('Swap(address,uint256,uint256,uint256,uint256,address)')

async function call(vm: VM, to: Address, data: Uint8Array): Promise<bigint> {
  const res = await vm.evm.runCall({ to, data, gasLimit: 1_000_000n })
  expect(res.execResult.exceptionError).toBeUndefined()
  return bytesToBigInt(res.execResult.returnValue)
}

/** Executes a workload from its fixture form (round trip) and checks every receipt. */
async function runChecked(w: Workload) {
  const dir = join(tmp, w.name)
  writeFixture(w, dir)
  const f = readFixture(dir)
  expect(bytesToHex(f.block.hash())).toBe(bytesToHex(w.block.hash()))
  const { result, vm } = await executeReference(f.block, f.common, f.preState)
  expect(failedTxs(result)).toEqual([])
  expect(result.gasUsed).toBe(w.block.header.gasUsed)
  expect(bytesToHex(result.receiptsRoot)).toBe(bytesToHex(w.block.header.receiptTrie))
  expect(bytesToHex(result.logsBloom)).toBe(bytesToHex(w.block.header.logsBloom))
  return { result, vm }
}

describe('workload generators', () => {
  it.each([1, 7, 50])('raw with %i accounts moves ETH', async (accounts) => {
    const w = await gen({ kind: 'raw', txs: 50, accounts, seed: 3 })
    expect(w.block.transactions.length).toBe(50)
    const senders = new Set(w.block.transactions.map((t) => t.getSenderAddress().toString()))
    expect(senders.size).toBe(Math.min(50, accounts))
    const { vm } = await runChecked(w)
    // Every sender's nonce advanced by its tx count.
    const counts = new Map<string, number>()
    for (const t of w.block.transactions) counts.set(t.getSenderAddress().toString(), (counts.get(t.getSenderAddress().toString()) ?? 0) + 1)
    for (const [a, n] of counts) {
      const acc = await vm.stateManager.getAccount(createAddressFromString(a))
      expect(acc!.nonce).toBe(BigInt(n))
    }
  })

  it('raw-hot sends everything to one recipient', async () => {
    const w = await gen({ kind: 'raw-hot', txs: 50, accounts: 50, seed: 3 })
    const to = new Set(w.block.transactions.map((t) => t.to!.toString()))
    expect(to.size).toBe(1)
    const recipient = [...to][0]!
    const { vm } = await runChecked(w)
    const sum = w.block.transactions.reduce((s, t) => s + t.value, 0n)
    const after = (await vm.stateManager.getAccount(createAddressFromString(recipient)))!.balance
    expect(after - w.preState.get(recipient)!.balance).toBe(sum)
  })

  it.each([
    [1, 0],
    [5, 0],
    [200, 0],
    [200, 1.2],
  ])('erc20 with %i holders (zipf %f) moves token balances', async (accounts, zipf) => {
    const w = await gen({ kind: 'erc20', txs: 50, accounts, seed: 4, zipf })
    const { result, vm } = await runChecked(w)
    const token = w.block.transactions[0]!.to!
    // Replay the transfers from calldata and compare with balanceOf after the block.
    const expected = new Map<string, bigint>()
    const holders = new Set<string>()
    for (const t of w.block.transactions) {
      const from = t.getSenderAddress().toString()
      const to = bytesToHex(t.data.subarray(16, 36))
      const amount = bytesToBigInt(t.data.subarray(36, 68))
      holders.add(from).add(to)
      expected.set(from, (expected.get(from) ?? 0n) - amount)
      expected.set(to, (expected.get(to) ?? 0n) + amount)
    }
    expect(holders.size).toBeLessThanOrEqual(accounts)
    for (const h of holders) {
      const bal = await call(vm, token, encodeCall('balanceOf(address)', [addr(h)]))
      expect(bal).toBe(1_000_000n * 10n ** 18n + expected.get(h)!)
    }
    for (const r of result.receipts) expect(bytesToHex(r.logs[0]![1][0]!)).toBe(TRANSFER)
  })

  it.each([1, 3])('nft with %i contracts mints one token per tx', async (accounts) => {
    const w = await gen({ kind: 'nft', txs: 50, accounts, seed: 5 })
    const { vm } = await runChecked(w)
    const perContract = new Map<string, number>()
    for (const t of w.block.transactions) perContract.set(t.to!.toString(), (perContract.get(t.to!.toString()) ?? 0) + 1)
    expect(perContract.size).toBeLessThanOrEqual(accounts)
    for (const [c, n] of perContract) {
      expect(await call(vm, createAddressFromString(c), encodeCall('totalSupply()'))).toBe(BigInt(n))
    }
    // Each minter owns exactly one token.
    for (const t of w.block.transactions.slice(0, 5)) {
      expect(await call(vm, t.to!, encodeCall('balanceOf(address)', [addr(t.getSenderAddress())]))).toBe(1n)
    }
  })

  it.each([
    [1, 0],
    [8, 1],
  ])('uniswap with %i pools (zipf %f) swaps with positive output', async (accounts, zipf) => {
    const w = await gen({ kind: 'uniswap', txs: 40, accounts, seed: 6, zipf })
    const { result } = await runChecked(w)
    const pairs = new Set<string>()
    for (const r of result.receipts) {
      const swap = r.logs.find((l) => bytesToHex(l[1][0]!) === SWAP)
      expect(swap).toBeDefined()
      pairs.add(bytesToHex(swap![0]))
      const data = swap![2]
      const out0 = bytesToBigInt(data.subarray(64, 96))
      const out1 = bytesToBigInt(data.subarray(96, 128))
      expect(out0 + out1 > 0n).toBe(true)
    }
    expect(pairs.size).toBeLessThanOrEqual(accounts)
    if (accounts > 1) expect(pairs.size).toBeGreaterThan(1)
  })

  it('mixed combines every kind', async () => {
    const w = await gen({ kind: 'mixed', txs: 80, accounts: 4, seed: 7 })
    expect(w.block.transactions.length).toBe(80)
    const { result } = await runChecked(w)
    expect(new Set(w.block.transactions.map((t) => t.to!.toString())).size).toBeGreaterThan(4)
    expect(result.receipts.length).toBe(80)
  })
})

describe('determinism and fixtures', () => {
  it('same seed gives the same block hash and pre-state; another seed does not', async () => {
    const p: WorkloadParams = { kind: 'mixed', txs: 30, accounts: 3, seed: 11, zipf: 0.8 }
    const a = await gen(p)
    const b = await gen(p)
    expect(bytesToHex(a.block.hash())).toBe(bytesToHex(b.block.hash()))
    expect(preStateToJSON(a.preState)).toBe(preStateToJSON(b.preState))
    const c = await gen({ ...p, seed: 12 })
    expect(bytesToHex(c.block.hash())).not.toBe(bytesToHex(a.block.hash()))
  })

  it('writes block.json / prestate.json that parse back identically', async () => {
    const w = await gen({ kind: 'erc20', txs: 20, accounts: 5, seed: 9 })
    const dir = join(tmp, 'roundtrip')
    writeFixture(w, dir)
    const json = JSON.parse(readFileSync(join(dir, 'block.json'), 'utf8'))
    expect(json.hash).toBe(bytesToHex(w.block.hash()))
    expect(json.transactions.map((t: { hash: string }) => t.hash)).toEqual(w.block.transactions.map((t) => bytesToHex(t.hash())))
    expect(json.transactions.map((t: { from: string }) => t.from)).toEqual(w.block.transactions.map((t) => t.getSenderAddress().toString()))
    const f = readFixture(dir)
    expect(f.block.transactions.map((t) => bytesToHex(t.hash()))).toEqual(w.block.transactions.map((t) => bytesToHex(t.hash())))
    expect(preStateToJSON(f.preState)).toBe(preStateToJSON(w.preState))
    // prestate.json: one account per line, 32-byte storage words.
    const lines = readFileSync(join(dir, 'prestate.json'), 'utf8').trim().split('\n')
    expect(lines[0]).toBe('{')
    expect(lines.length).toBe(w.preState.size + 2)
    expect(lines.some((l) => /"storage":\{"0x[0-9a-f]{64}":"0x[0-9a-f]{64}"/.test(l))).toBe(true)
    expect(hexToBytes(json.parentBeaconBlockRoot).length).toBe(32)
  })

  it('caches generated workloads on disk', async () => {
    const cacheDir = join(tmp, 'cache')
    const p: WorkloadParams = { kind: 'raw', txs: 10, accounts: 4, seed: 1 }
    const a = await generateWorkload(p, { cacheDir })
    const b = await generateWorkload(p, { cacheDir })
    expect(bytesToHex(b.block.hash())).toBe(bytesToHex(a.block.hash()))
    expect(b.name).toBe(a.name)
    expect(preStateToJSON(b.preState)).toBe(preStateToJSON(a.preState))
  })
})
