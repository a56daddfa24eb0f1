/**
 * EIP-7610: CREATE/CREATE2 onto an address whose account has storage but no code and nonce 0 is
 * a collision (the creation fails and consumes its gas). The binding answers the check from the
 * account's storage emptiness, read as locations the engine validates (the storage epoch and
 * the pre-state's storage flag, keys.ts); each block is compared with plain @ethereumjs runBlock
 * on sequential, blockstm x1 and blockstm x2:
 *   - the storage-only target collides (failed on the code before the fix: the binding's
 *     accounts always reported an empty storage root);
 *   - a transaction that first touches the target (EIP-161 deletes it as an empty account,
 *     storage included) makes the creation succeed, and the order of the two decides;
 *   - a target with only a balance does not collide.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { Address, bytesToHex, generateAddress2, hexToBytes, privateToAddress } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createEvmExecutor, type EvmExecutor, type PreState } from '../src/evm/index.js'
import { commonFor } from '../src/evm/chain.js'
import { normalizePost, runReference } from './evm-reference.js'

const key = (n: number) => keccak_256(new TextEncoder().encode(`eip7610-key-${n}`))
const A = key(1)
const B = key(2)
const addr = (k: Uint8Array) => new Address(privateToAddress(k)).toString() as `0x${string}`
const FACTORY = ('0x' + 'fa'.repeat(20)) as `0x${string}`
// CREATE2(value 0, memory[0..1] = 0x00 (init code: STOP, deploys empty code), salt 0); SSTORE(0, result).
// A collision consumes the gas given to CREATE2 (63/64): the transactions carry enough for the SSTORE after it.
const FACTORY_CODE = '0x6000600160006000f560005500'
const TARGET = bytesToHex(generateAddress2(hexToBytes(FACTORY), new Uint8Array(32), Uint8Array.of(0))) as `0x${string}`
const COINBASE = ('0x' + 'c0'.repeat(20)) as `0x${string}`

function pre(target: 'storage' | 'balance'): PreState {
  const acc = (balance: bigint, code = '0x', storage: Array<[string, bigint]> = []) => ({
    balance,
    nonce: 0n,
    code: hexToBytes(code as `0x${string}`),
    storage: new Map(storage),
  })
  const p: PreState = new Map()
  p.set(addr(A), acc(10n ** 20n))
  p.set(addr(B), acc(10n ** 20n))
  p.set(FACTORY, acc(0n, FACTORY_CODE, [['0x' + '00'.repeat(32), 5n]]))
  p.set(TARGET, target === 'storage' ? acc(0n, '0x', [['0x' + '00'.repeat(31) + '01', 7n]]) : acc(3n))
  return p
}

function block(c: Common, txs: Array<{ from: Uint8Array; nonce: number; to: `0x${string}` }>): Block {
  return createBlock(
    {
      header: { number: 20_000_000n, timestamp: 1_720_000_000n, coinbase: COINBASE, gasLimit: 30_000_000n, baseFeePerGas: 7n, parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n },
      transactions: txs.map((t) =>
        createTx({ type: 2, nonce: BigInt(t.nonce), to: t.to, gasLimit: 1_000_000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 3n, chainId: 1n }, { common: c }).sign(t.from),
      ),
      withdrawals: [],
    },
    { common: c },
  )
}

const engines: Array<[string, () => EvmExecutor]> = [
  ['sequential', () => createEvmExecutor({ engine: 'sequential' })],
  ['blockstm x1', () => createEvmExecutor({ engine: 'blockstm', threads: 1, minParallelTxs: 0 })],
  ['blockstm x2', () => createEvmExecutor({ engine: 'blockstm', threads: 2, minParallelTxs: 0 })],
]

const slot0 = '0x' + '00'.repeat(32)
const scenarios: Array<[string, 'storage' | 'balance', Array<'create' | 'touch'>, 'collision' | 'created']> = [
  ['storage-only target: collision', 'storage', ['create'], 'collision'],
  ['storage-only target touched (deleted) first: created', 'storage', ['touch', 'create'], 'created'],
  ['storage-only target touched after the creation: collision', 'storage', ['create', 'touch'], 'collision'],
  ['balance-only target: created', 'balance', ['create'], 'created'],
]

describe.each(engines)('EIP-7610 on %s', (_name, make) => {
  const ex = make()
  afterAll(() => ex.close())
  for (const [name, target, order, outcome] of scenarios) {
    it(name, async () => {
      const c = await commonFor('cancun', undefined, 'native')
      let na = 0
      let nb = 0
      const b = block(
        c,
        order.map((o) => (o === 'create' ? { from: A, nonce: na++, to: FACTORY } : { from: B, nonce: nb++, to: TARGET })),
      )
      const p = pre(target)
      const r = await ex.executeBlock({ block: b, preState: p })
      const ref = await runReference(b, c, p, undefined, r.postState)
      expect(ref.error).toBeUndefined()
      // What the reference decided is what the scenario says.
      const factorySlot = (ref.post.get(FACTORY)?.storage.get(slot0) ?? 0n)
      expect(factorySlot).toBe(outcome === 'collision' ? 0n : BigInt(TARGET))
      expect(r.gasUsed).toBe(ref.gasUsed)
      expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
      expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
    })
  }
})
