/**
 * The EVM binding's per-thread block handling: transactions decoded lazily
 * (src/evm/lazyBlock.ts) exactly as `createBlockFromRLP` decodes them; the scheduling hint of
 * the fee recipient's own transactions (they wait for every lower transaction, whose fees they
 * read); the prefetch that recovers senders for another thread (src/evm/txvm.ts,
 * senderTable.ts); and the chain fallback those hints lead to (a block that is one chain of
 * them runs on the calling thread).
 */
import { describe, expect, it } from 'vitest'
import { createBlock, createBlockFromRLP, type Block } from '@ethereumjs/block'
import { Hardfork, type Common } from '@ethereumjs/common'
import { createTx, type TypedTransaction } from '@ethereumjs/tx'
import { Address, bytesToHex, privateToAddress } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { decodeBlockLazily } from '../src/evm/lazyBlock.js'
import { commonFor } from '../src/evm/chain.js'
import { createTransactionVM, prefetch, type EvmBlockPayload } from '../src/evm/txvm.js'
import { SenderTable, createSenderTable } from '../src/evm/senderTable.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { createEvmExecutor, preStateEntries, type PreState } from '../src/evm/index.js'
import type { IncarnationView, LocationKey, LocationValue } from '../src/executor/types.js'
import { keyToString } from '../src/executor/keys.js'

const key = (n: number) => keccak_256(new TextEncoder().encode(`lazy-block-key-${n}`))
const addr = (k: Uint8Array) => new Address(privateToAddress(k))
const A = key(1)
const B = key(2)
const POOL = key(3) // the fee recipient, paying out
const SINK = `0x${'ee'.repeat(20)}` as const

async function block(hf: Hardfork, senders: Uint8Array[], legacyEvery = 0): Promise<{ block: Block; common: Common }> {
  const common = await commonFor(hf, undefined, 'native')
  const nonces = new Map<Uint8Array, number>()
  const txs = senders.map((from, i) => {
    const nonce = nonces.get(from) ?? 0
    nonces.set(from, nonce + 1)
    const legacy = legacyEvery > 0 && i % legacyEvery === 0
    const data = legacy
      ? { type: 0, nonce: BigInt(nonce), to: SINK, value: BigInt(i + 1), gasLimit: 21_000n, gasPrice: 100n }
      : { type: 2, nonce: BigInt(nonce), to: SINK, value: BigInt(i + 1), gasLimit: 21_000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 3n, chainId: 1n }
    return createTx(data, { common }).sign(from)
  })
  const shanghai = common.gteHardfork(Hardfork.Shanghai)
  const cancun = common.gteHardfork(Hardfork.Cancun)
  const b = createBlock(
    {
      header: {
        number: 20_000_000n,
        timestamp: cancun ? 1_720_000_000n : 1_650_000_000n,
        coinbase: addr(POOL),
        gasLimit: 30_000_000n,
        baseFeePerGas: 7n,
        ...(cancun ? { parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n } : {}),
      },
      transactions: txs,
      ...(shanghai ? { withdrawals: [{ index: 1n, validatorIndex: 2n, address: addr(B), amount: 3n }] } : {}),
    },
    { common },
  )
  return { block: b, common }
}

const hashes = (txs: readonly TypedTransaction[]) => txs.map((t) => bytesToHex(t.hash()))

describe('lazily decoded block', () => {
  for (const hf of [Hardfork.London, Hardfork.Cancun]) {
    it(`decodes header, withdrawals and every transaction as createBlockFromRLP does (${hf})`, async () => {
      const { block: b, common } = await block(hf, [A, B, A, POOL, B, A], 2)
      const rlp = b.serialize()
      const eager = createBlockFromRLP(rlp, { common })
      const { block: lazy, txs } = decodeBlockLazily(rlp, common)
      expect(bytesToHex(lazy.hash())).toBe(bytesToHex(eager.hash()))
      expect(lazy.withdrawals?.length ?? 0).toBe(eager.withdrawals?.length ?? 0)
      // The block has its length before anything is decoded (error messages quote it).
      expect(lazy.transactions.length).toBe(6)
      expect(lazy.errorStr()).toContain('txs=6')
      expect(Object.keys(lazy.transactions)).toEqual([])
      const decoded = [5, 0, 3, 1, 2, 4].map((i) => [i, txs.tx(i)] as const).sort((x, y) => x[0] - y[0])
      expect(hashes(decoded.map((d) => d[1]))).toEqual(hashes(eager.transactions))
      expect(decoded.map((d) => d[1].type)).toEqual(eager.transactions.map((t) => t.type))
      // Decoded once: the same object again, and in the block's own array.
      expect(txs.tx(3)).toBe(decoded[3]![1])
      expect(lazy.transactions[3]).toBe(decoded[3]![1])
      expect(() => txs.tx(6)).toThrow(RangeError)
      expect(() => txs.tx(-1)).toThrow(RangeError)
    })
  }

  it('rejects input that is not a block', async () => {
    const common = await commonFor(Hardfork.London, undefined, 'native')
    expect(() => decodeBlockLazily(Uint8Array.from([0x80]), common)).toThrow(/Must be array/)
  })
})

/** A view over the pre-state that records the dependencies declared (each as already executed). */
class RecordingView implements IncarnationView {
  readonly declared: number[] = []
  private readonly own = new Map<string, LocationValue>()
  constructor(private readonly base: MapBaseState) {}
  read(k: LocationKey): LocationValue | undefined {
    return this.own.get(keyToString(k)) ?? this.base.get(k)
  }
  write(k: LocationKey, v: LocationValue): void {
    this.own.set(keyToString(k), v)
  }
  addDelta(): void {}
  dependOn(tx: number): void {
    this.declared.push(tx)
  }
}

function preState(): PreState {
  const acc = (balance: bigint) => ({ balance, nonce: 0n, code: new Uint8Array(0), storage: new Map<string, bigint>() })
  return new Map([A, B, POOL].map((k) => [addr(k).toString(), acc(10n ** 20n)]))
}

function payload(b: Block, common: Common, withTable: boolean): EvmBlockPayload {
  return {
    blockRlp: b.serialize(),
    hardfork: common.hardfork(),
    eips: common.eips(),
    blockHashes: [],
    crypto: 'native',
    coinbaseDelta: true,
    ...(withTable ? { senderTable: createSenderTable(b.transactions.length) } : {}),
  }
}

describe('scheduling hints of the EVM binding', () => {
  it("the fee recipient's transaction waits for every lower one back to its previous one; others only for their sender's", async () => {
    // 0 A, 1 B, 2 A, 3 POOL, 4 B, 5 POOL, 6 A, 7 POOL
    const { block: b, common } = await block(Hardfork.Cancun, [A, B, A, POOL, B, POOL, A, POOL])
    const vm = await createTransactionVM(payload(b, common, true), 0)
    const base = new MapBaseState(preStateEntries(preState()))
    const declared = async (i: number) => {
      const v = new RecordingView(base)
      await vm.execute(i, v)
      return v.declared
    }
    expect(await declared(2)).toEqual([0])
    expect(await declared(1)).toEqual([])
    expect(await declared(3)).toEqual([2, 1, 0])
    expect(await declared(4)).toEqual([1])
    expect(await declared(5)).toEqual([4, 3])
    expect(await declared(7)).toEqual([6, 5])
  })
})

describe('sender prefetch', () => {
  it('recovers into the shared table every sender no thread has claimed, and stops when asked', async () => {
    const senders = [A, B, A, POOL, B, A, POOL, B, A, B, A, B, POOL, A, B, A, B, A, A, B]
    const { block: b, common } = await block(Hardfork.Cancun, senders)
    const p = payload(b, common, true)
    const state = new Int32Array(p.senderTable!, 0, senders.length)
    // Asked to stop at once: nothing recovered.
    await prefetch(p, 0, () => true)
    expect([...state].every((s) => s === 0)).toBe(true)
    // Another thread claimed transaction 4 (and is recovering it): left alone.
    state[4] = 1
    await prefetch(p, 2, () => false)
    expect([...state]).toEqual(senders.map((_, i) => (i < 2 ? 0 : i === 4 ? 1 : 2)))
    // A thread with its own objects finds the senders recovered, the same as the block's.
    const other = decodeBlockLazily(p.blockRlp, common)
    const table = new SenderTable(p.senderTable!, other.txs)
    for (let i = 5; i < senders.length; i++) {
      expect(table.ensure(i)).toBe(true)
      expect(other.txs.tx(i).getSenderAddress().toString()).toBe(addr(senders[i]!).toString())
    }
  })

  it('SenderTable.prefetch stops after its budget and says where to continue', async () => {
    const { block: b } = await block(Hardfork.Cancun, [A, B, A, B, A, B])
    const buf = createSenderTable(6)
    const t = new SenderTable(buf, b.transactions)
    expect(t.prefetch(0, 2)).toBe(2)
    expect(t.prefetch(2, 10)).toBe(-1)
    expect([...new Int32Array(buf, 0, 6)]).toEqual([2, 2, 2, 2, 2, 2])
  })
})

describe('chain fallback of the EVM binding', () => {
  it('a block that the sender hints show to be one chain runs on the calling thread (threads 2), equal to sequential; a shorter chain, or no hints, runs Block-STM', async () => {
    const bstm = createEvmExecutor({ engine: 'blockstm', threads: 2, minParallelTxs: 0 })
    const seq = createEvmExecutor({ engine: 'sequential' })
    const hintsOf = (senders: Uint8Array[]) => senders.map((k) => addr(k).toString())
    try {
      const cases: Array<{ senders: Uint8Array[]; hints: boolean; chain: number | undefined }> = [
        { senders: Array.from({ length: 24 }, () => A), hints: true, chain: 24 }, // one sender's nonce chain
        { senders: [A, B, ...Array.from({ length: 22 }, () => POOL)], hints: true, chain: 23 }, // a pool paying out: each waits for every lower one
        { senders: Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? A : B)), hints: true, chain: undefined }, // two chains of 12: half the block
        { senders: Array.from({ length: 24 }, () => A), hints: false, chain: undefined }, // no hints: nothing known before execution
      ]
      for (const c of cases) {
        const { block: b } = await block(Hardfork.Cancun, c.senders)
        const args = { block: b, preState: preState(), ...(c.hints ? { senderHints: hintsOf(c.senders) } : {}) }
        const r = await bstm.executeBlock(args)
        const s = await seq.executeBlock(args)
        if (c.chain !== undefined) expect(r.stats.fallback).toMatch(new RegExp(`^sequential: its critical path is ${c.chain} of 24 transactions`))
        else expect(r.stats.fallback ?? '').not.toMatch(/critical path/)
        expect(r.results).toEqual(s.results)
        expect(r.receiptsRoot).toEqual(s.receiptsRoot)
        expect(r.stateDiff).toEqual(s.stateDiff)
      }
    } finally {
      await bstm.close()
      await seq.close()
    }
  })
})
