/**
 * `encodeBlock` (src/evm/blockRlp.ts) returns exactly the bytes of `block.serialize()`: on
 * random blocks of legacy, EIP-2930 and EIP-1559 transactions whose integers straddle every
 * RLP length boundary, on a block with an EIP-7702 transaction (encoded by its own
 * `serialize()`), and on every mainnet fixture block ($BLOCKSTM_FIXTURES or ../shared/fixtures;
 * skipped when absent).
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createBlock } from '@ethereumjs/block'
import { Hardfork } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { bytesToHex } from '@ethereumjs/util'
import { encodeBlock } from '../src/evm/blockRlp.js'
import { commonFor } from '../src/evm/chain.js'
import { loadBlockFixture } from '../src/evm/index.js'

const KEY = new Uint8Array(32).fill(7)
const common = await commonFor(Hardfork.Cancun, undefined, 'native')

/** Integers at and around each boundary of the encoding (single byte, 2^53, 2^256). */
const integer = fc.oneof(
  fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 0xffn, 0x100n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 64n, 2n ** 256n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
  fc.bigInt({ min: 0n, max: 2n ** 40n }),
)
/** Prices: gasLimit × price must stay below 2^256. */
const price = fc.oneof(fc.constantFrom(0n, 1n, 0x7fn, 0x80n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 128n), fc.bigInt({ min: 0n, max: 2n ** 190n }))
const bytes = fc.oneof(
  fc.constantFrom(0, 1, 55, 56, 255, 256, 1100).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
  fc.uint8Array({ maxLength: 80 }),
)
const address = fc.uint8Array({ minLength: 20, maxLength: 20 })
const accessList = fc.array(fc.record({ address, storageKeys: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }) }), { maxLength: 3 })

const txData = fc.record({
  type: fc.constantFrom(0, 1, 2),
  nonce: fc.bigInt({ min: 0n, max: 2n ** 64n - 2n }),
  gasPrice: price,
  maxFeePerGas: price,
  gasLimit: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  to: fc.option(address, { nil: undefined }),
  value: integer,
  data: bytes,
  accessList,
  signed: fc.boolean(),
  vrs: fc.tuple(fc.constantFrom(27n, 28n, 37n, 38n), fc.bigInt({ min: 1n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 1n, max: 2n ** 255n - 2n ** 130n })), // s ≤ secp256k1n/2
})

function makeTx(d: typeof txData extends fc.Arbitrary<infer T> ? T : never) {
  const base = { nonce: d.nonce, gasLimit: d.gasLimit, value: d.value, data: d.data, ...(d.to !== undefined ? { to: d.to } : {}) }
  const fields =
    d.type === 0
      ? { type: 0, ...base, gasPrice: d.gasPrice }
      : d.type === 1
        ? { type: 1, ...base, gasPrice: d.gasPrice, chainId: 1n, accessList: d.accessList.map((e) => ({ address: bytesToHex(e.address), storageKeys: e.storageKeys.map(bytesToHex) })) }
        : { type: 2, ...base, maxFeePerGas: d.maxFeePerGas, maxPriorityFeePerGas: d.maxFeePerGas / 3n, chainId: 1n, accessList: d.accessList.map((e) => ({ address: bytesToHex(e.address), storageKeys: e.storageKeys.map(bytesToHex) })) }
  // Signatures are not checked by the encoding: any r, s and a v (legacy: 27/28 or EIP-155 for chain 1) will do.
  const sig = d.signed ? (d.type === 0 ? { v: d.vrs[0], r: d.vrs[1], s: d.vrs[2] } : { v: d.vrs[0] & 1n, r: d.vrs[1], s: d.vrs[2] }) : {}
  return createTx({ ...fields, ...sig } as never, { common, freeze: false })
}

describe('encodeBlock equals block.serialize()', () => {
  it('random blocks of legacy, EIP-2930 and EIP-1559 transactions', () => {
    fc.assert(
      fc.property(fc.array(txData, { maxLength: 12 }), fc.boolean(), (txs, withdrawals) => {
        const block = createBlock(
          {
            header: { number: 20_000_000n, gasLimit: 2n ** 62n, baseFeePerGas: 7n, parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n },
            transactions: txs.map(makeTx),
            withdrawals: withdrawals ? [{ index: 1n, validatorIndex: 200n, address: new Uint8Array(20).fill(3), amount: 2n ** 60n }] : [],
          },
          { common, skipConsensusFormatValidation: true },
        )
        expect(bytesToHex(encodeBlock(block))).toBe(bytesToHex(block.serialize()))
      }),
      { numRuns: 300 },
    )
  })

  it('a block with an EIP-7702 transaction (encoded by its own serialize)', async () => {
    const prague = await commonFor(Hardfork.Prague, undefined, 'native')
    const auth = { chainId: '0x1', address: `0x${'aa'.repeat(20)}`, nonce: '0x0', yParity: '0x1', r: `0x${'11'.repeat(32)}`, s: `0x${'22'.repeat(32)}` }
    const txs = [
      createTx({ type: 4, nonce: 0n, to: `0x${'bb'.repeat(20)}`, gasLimit: 100_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, chainId: 1n, authorizationList: [auth] } as never, { common: prague }).sign(KEY),
      createTx({ type: 2, nonce: 1n, to: `0x${'bb'.repeat(20)}`, gasLimit: 21_000n, maxFeePerGas: 10n, maxPriorityFeePerGas: 1n, chainId: 1n }, { common: prague }).sign(KEY),
    ]
    const block = createBlock(
      { header: { number: 22_500_000n, gasLimit: 30_000_000n, baseFeePerGas: 7n, parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n, requestsHash: new Uint8Array(32) }, transactions: txs, withdrawals: [] },
      { common: prague },
    )
    expect(block.transactions[0]!.type).toBe(4)
    expect(bytesToHex(encodeBlock(block))).toBe(bytesToHex(block.serialize()))
  })

  const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures'))
  const mainnet = join(root, 'mainnet')
  const have = existsSync(mainnet)
  if (!have) console.warn(`evm-block-rlp: no fixtures at ${mainnet} (set BLOCKSTM_FIXTURES); skipping`)
  const blocks = have ? readdirSync(mainnet).filter((d) => /^\d+$/.test(d)) : []
  it.skipIf(!have)('every mainnet fixture block', async () => {
    for (const n of blocks) {
      const f = await loadBlockFixture(join(mainnet, n))
      expect(bytesToHex(encodeBlock(f.block)), `block ${n}`).toBe(bytesToHex(f.block.serialize()))
    }
  }, 120_000)
})
