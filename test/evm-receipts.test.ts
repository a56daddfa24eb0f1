/**
 * Receipts encoded from a tail (src/evm/receipts.ts) equal @ethereumjs/vm's `encodeReceipt`
 * for every status, transaction type, cumulative gas (across the RLP length boundaries) and
 * set of logs; the tail gives back the bloom and the logs it was made of.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesToHex } from '@ethereumjs/util'
import { encodeReceipt, type TxReceipt } from '@ethereumjs/vm'
import { decodeReceiptTail, encodeReceiptTail, encodeReceiptWithTail, type Log } from '../src/evm/receipts.js'

const log: fc.Arbitrary<Log> = fc.tuple(
  fc.uint8Array({ minLength: 20, maxLength: 20 }),
  fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }),
  fc.oneof(fc.uint8Array({ maxLength: 70 }), fc.constantFrom(0, 1, 55, 56, 300, 70_000).map((n) => new Uint8Array(n).fill(n & 0xff))),
)
const cumulative = fc.oneof(fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 63n), fc.bigInt({ min: 0n, max: 2n ** 64n }))

describe('receipt tails', () => {
  it('encodeReceiptWithTail equals encodeReceipt', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<0 | 1>(0, 1),
        cumulative,
        fc.uint8Array({ minLength: 256, maxLength: 256 }),
        fc.array(log, { maxLength: 5 }),
        fc.constantFrom(0, 1, 2, 3, 4),
        (status, gas, bloom, logs, type) => {
          const tail = encodeReceiptTail(bloom, logs)
          const receipt = { status, cumulativeBlockGasUsed: gas, bitvector: bloom, logs } as TxReceipt
          expect(bytesToHex(encodeReceiptWithTail(status, gas, tail, type))).toBe(bytesToHex(encodeReceipt(receipt, type)))
          const back = decodeReceiptTail(tail)
          expect(bytesToHex(back.bloom)).toBe(bytesToHex(bloom))
          expect(back.logs.map((l) => [bytesToHex(l[0]), l[1].map(bytesToHex), bytesToHex(l[2])])).toEqual(logs.map((l) => [bytesToHex(l[0]), l[1].map(bytesToHex), bytesToHex(l[2])]))
        },
      ),
      { numRuns: 400 },
    )
  })

  it('rejects a bloom of the wrong size and bytes that are not a tail', () => {
    expect(() => encodeReceiptTail(new Uint8Array(255), [])).toThrow(RangeError)
    expect(() => decodeReceiptTail(new Uint8Array(10))).toThrow(/not a receipt tail/)
  })
})
