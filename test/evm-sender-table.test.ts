/**
 * The shared sender table (src/evm/senderTable.ts): every thread sees the sender a claimer
 * recovered, a signature that does not recover stays invalid, and an entry left claimed by a
 * thread that never publishes (a dead worker) does not block the others.
 */
import { describe, expect, it } from 'vitest'
import { createFeeMarket1559Tx, createFeeMarket1559TxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { Address, bytesToHex, hexToBytes } from '@ethereumjs/util'
import { SenderTable, createSenderTable } from '../src/evm/senderTable.js'

const common = new Common({ chain: Mainnet, hardfork: Hardfork.Cancun })

const fields = (i: number) => ({ nonce: BigInt(i), gasLimit: 21000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, to: new Address(hexToBytes(`0x${'11'.repeat(20)}`)), value: BigInt(i) })

function signed(n: number): TypedTransaction[] {
  return Array.from({ length: n }, (_, i) => createFeeMarket1559Tx(fields(i), { common }).sign(hexToBytes(`0x${(i % 3 + 1).toString(16).padStart(64, '0')}`)))
}

/** A transaction whose signature recovers no key (r = 5 is no x-coordinate on the curve). */
const badlySigned = () => createFeeMarket1559Tx({ ...fields(1), v: 0n, r: 5n, s: 1n }, { common })

/** The same transactions decoded afresh (another thread's objects: nothing cached). */
const redecode = (txs: TypedTransaction[]) => txs.map((t) => createFeeMarket1559TxFromRLP(t.serialize(), { common }))

describe('sender table', () => {
  it('publishes each sender once, and other readers get the same address without recovering', () => {
    const txs = signed(6)
    const expected = txs.map((t) => t.getSenderAddress().toString())
    const buf = createSenderTable(txs.length)
    const a = new SenderTable(buf, redecode(txs))
    a.ensureRange(0, 2)
    const otherTxs = redecode(txs)
    const b = new SenderTable(buf, otherTxs)
    b.ensureRange(0, 5)
    for (let i = 0; i < 6; i++) expect(otherTxs[i]!.getSenderAddress().toString()).toBe(expected[i])
    // b read 0..2 from the table: their cached keys are the published bytes.
    expect(bytesToHex((otherTxs[1]!.cache as { senderPubKey?: Uint8Array }).senderPubKey!)).toBe(bytesToHex(txs[1]!.getSenderPublicKey()))
  })

  it('marks a signature that does not recover invalid, for every reader', () => {
    const txs = signed(2)
    const list = [txs[0]!, badlySigned()]
    expect(() => list[1]!.getSenderPublicKey()).toThrow()
    const buf = createSenderTable(2)
    expect(new SenderTable(buf, list).ensure(1)).toBe(false)
    expect(new Int32Array(buf, 0, 2)[1]).toBe(3) // INVALID
    expect(new SenderTable(buf, [txs[0]!, badlySigned()]).ensure(1)).toBe(false)
    expect(new SenderTable(buf, list).ensure(0)).toBe(true)
  })

  it('does not hang on an entry claimed by a thread that never publishes', () => {
    const txs = signed(3)
    const buf = createSenderTable(3)
    new Int32Array(buf, 0, 3)[1] = 1 // CLAIMED, and nobody will publish it
    const fresh = redecode(txs)
    const t0 = performance.now()
    expect(new SenderTable(buf, fresh).ensure(1)).toBe(true)
    expect(performance.now() - t0).toBeLessThan(5000)
    expect(fresh[1]!.getSenderAddress().toString()).toBe(txs[1]!.getSenderAddress().toString())
    expect(new Int32Array(buf, 0, 3)[1]).toBe(1) // recovered privately, not published
  })

  it('rejects a buffer too small for the block', () => {
    expect(() => new SenderTable(new SharedArrayBuffer(10), signed(2))).toThrow(RangeError)
  })
})
