/**
 * Osaka, the BPO forks and Prague's EIP-7685 requests through the library (createEvmExecutor),
 * each block compared with plain @ethereumjs runBlock on sequential, blockstm x1 and x2:
 *   - Osaka opcodes and precompiles: CLZ (EIP-7939) and P256VERIFY (EIP-7951, a real P-256
 *     signature from node:crypto); under Prague the same transaction fails (CLZ undefined);
 *   - the per-transaction gas cap (EIP-7825): a transaction at the cap runs; one over it does
 *     not even decode under Osaka (the library refuses it);
 *   - each fork's blob schedule: 12 blobs exceed Osaka's maximum of 9 and fit BPO1's 15;
 *   - the block RLP size cap (EIP-7934) applies from Osaka;
 *   - EIP-7685: a deposit log becomes a deposit request; the requests and their hash are
 *     returned and compared with the header's requestsHash (failed on the code before: the
 *     requests were computed and dropped).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { generateKeyPairSync, sign } from 'node:crypto'
import { createBlock, type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { Address, bytesToHex, concatBytes, hexToBytes, privateToAddress, setLengthLeft, bigIntToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { createEvmExecutor, InvalidBlockError, type EvmExecutor, type PreState } from '../src/evm/index.js'
import { validateBlockSize, MAX_RLP_BLOCK_SIZE } from '../src/evm/executeBlock.js'
import { commonFor } from '../src/evm/chain.js'
import { normalizePost, runReference } from './evm-reference.js'

const key = (n: number) => keccak_256(new TextEncoder().encode(`osaka-key-${n}`))
const A = key(1)
const B = key(2)
const addr = (k: Uint8Array) => new Address(privateToAddress(k)).toString() as `0x${string}`
const COINBASE = ('0x' + 'c0'.repeat(20)) as `0x${string}`
const C = ('0x' + 'cc'.repeat(20)) as `0x${string}`
const DEPOSIT = '0x00000000219ab540356cbb839cbe05303d7705fa' as const
const DEPOSIT_TOPIC = '649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5'
// slot 0 = CLZ(1); memory[0..160] = calldata; STATICCALL(P256VERIFY 0x100, 160 bytes in, 32 out);
// slot CALLDATASIZE = mload(0) (1 for a valid signature; an invalid one returns nothing and leaves the input's first word)
const C_CODE = '0x6001' + '1e' + '600055' + '60a0600060003' + '7' + '6020600060a060006101005afa' + '50' + '6000513655' + '00'
// memory[0..576] = calldata; LOG1(0, 576, DepositEvent)
const DEPOSIT_CODE = '0x' + '610240600060003' + '7' + '7f' + DEPOSIT_TOPIC + '6102406000a1' + '00'

function pre(): PreState {
  const acc = (balance: bigint, code = '0x') => ({ balance, nonce: 0n, code: hexToBytes(code as `0x${string}`), storage: new Map<string, bigint>() })
  const p: PreState = new Map()
  p.set(addr(A), acc(10n ** 21n))
  p.set(addr(B), acc(10n ** 21n))
  p.set(C, acc(0n, C_CODE))
  p.set(DEPOSIT, acc(0n, DEPOSIT_CODE))
  return p
}

/** hash ‖ r ‖ s ‖ x ‖ y of a valid P-256 signature. */
function p256Input(): Uint8Array {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const msg = new TextEncoder().encode('blockstm-evm osaka')
  const hash = sha256(msg)
  const sig = sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' })
  const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string }
  return concatBytes(hash, new Uint8Array(sig), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url'))
}

function depositData(): Uint8Array {
  const w = (n: number) => setLengthLeft(bigIntToBytes(BigInt(n)), 32)
  const field = (len: number, fill: number) => concatBytes(w(len), new Uint8Array(Math.ceil(len / 32) * 32).fill(0).map((_, i) => (i < len ? fill : 0)))
  return concatBytes(w(160), w(256), w(320), w(384), w(512), field(48, 0x11), field(32, 0x22), field(8, 0x33), field(96, 0x44), field(8, 0x55))
}

interface TxSpec {
  from: Uint8Array
  nonce: number
  to: `0x${string}`
  data?: Uint8Array
  gasLimit?: bigint
  blobs?: number
}

function makeBlock(c: Common, specs: TxSpec[], header: Record<string, unknown> = {}): Block {
  const txs = specs.map((s) => {
    const base = { nonce: BigInt(s.nonce), to: s.to, data: s.data, gasLimit: s.gasLimit ?? 1_000_000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 3n, chainId: 1n }
    if (s.blobs === undefined) return createTx({ type: 2, ...base }, { common: c }).sign(s.from)
    const hashes = Array.from({ length: s.blobs }, (_, i) => concatBytes(Uint8Array.of(1), new Uint8Array(30), Uint8Array.of(i)))
    return createTx({ type: 3, ...base, maxFeePerBlobGas: 10n, blobVersionedHashes: hashes }, { common: c }).sign(s.from)
  })
  const blobGasUsed = BigInt(specs.reduce((n, s) => n + (s.blobs ?? 0), 0)) * 131072n
  return createBlock(
    {
      header: { number: 24_000_000n, timestamp: 1_770_000_000n, coinbase: COINBASE, gasLimit: 60_000_000n, baseFeePerGas: 7n, parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed, ...header },
      transactions: txs,
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
/** 161 bytes: a first word of 0xff…, the rest zero (r = 0: not a valid signature). */
const invalidInput = () => concatBytes(new Uint8Array(32).fill(0xff), new Uint8Array(129))
const slot = (n: number) => '0x' + n.toString(16).padStart(64, '0')

describe.each(engines)('Osaka, BPO and requests on %s', (_name, make) => {
  const ex = make()
  afterAll(() => ex.close())

  it('CLZ and P256VERIFY under Osaka; the same transaction fails under Prague', async () => {
    for (const hf of ['osaka', 'prague'] as const) {
      const c = await commonFor(hf, undefined, 'native')
      const block = makeBlock(c, [{ from: A, nonce: 0, to: C, data: p256Input() }, { from: B, nonce: 0, to: C, data: invalidInput() }])
      const p = pre()
      const r = await ex.executeBlock({ block, preState: p })
      const ref = await runReference(block, c, p, undefined, r.postState)
      expect(ref.error).toBeUndefined()
      const storage = ref.post.get(C)?.storage
      if (hf === 'osaka') {
        expect(ref.statuses).toEqual([1, 1])
        expect(storage?.get(slot(0))).toBe(255n) // CLZ(1)
        expect(storage?.get(slot(160))).toBe(1n) // the valid signature
        expect(storage?.get(slot(161))).toBe(2n ** 256n - 1n) // the invalid one: no output
      } else expect(ref.statuses).toEqual([0, 0])
      expect(r.results.map((x) => x.status)).toEqual(ref.statuses)
      expect(r.gasUsed).toBe(ref.gasUsed)
      expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
      expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
    }
  })

  it('EIP-7825: a transaction at the gas cap runs as runBlock runs it; one over it does not decode under Osaka', async () => {
    const c = await commonFor('osaka', undefined, 'native')
    expect(() => makeBlock(c, [{ from: A, nonce: 0, to: C, gasLimit: 2n ** 24n + 1n }])).toThrow(/EIP-7825/)
    const block = makeBlock(c, [{ from: A, nonce: 0, to: C, gasLimit: 2n ** 24n, data: p256Input() }])
    const p = pre()
    const r = await ex.executeBlock({ block, preState: p })
    const ref = await runReference(block, c, p, undefined, r.postState)
    expect(ref.error).toBeUndefined()
    expect(r.gasUsed).toBe(ref.gasUsed)
    expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
  })

  it("each fork's blob schedule: 12 blobs are too many under Osaka and fit BPO1 and BPO2", async () => {
    for (const hf of ['osaka', 'bpo1', 'bpo2'] as const) {
      const c = await commonFor(hf, undefined, 'native')
      const block = makeBlock(c, [{ from: A, nonce: 0, to: C, blobs: 6 }, { from: B, nonce: 0, to: C, blobs: 6 }])
      const p = pre()
      if (hf === 'osaka') {
        await expect(block.validateData(true, true)).rejects.toThrow(/blob gas/) // the library's own verdict
        await expect(ex.executeBlock({ block, preState: p })).rejects.toThrow(/blob gas/)
        continue
      }
      await block.validateData(true, true)
      const r = await ex.executeBlock({ block, preState: p })
      const ref = await runReference(block, c, p, undefined, r.postState)
      expect(ref.error).toBeUndefined()
      expect(r.receipts.map((x) => (x as { blobGasUsed?: bigint }).blobGasUsed)).toEqual([786432n, 786432n])
      expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
      expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
    }
  })

  it('EIP-7685: a deposit becomes a request; requests and requestsHash returned and checked against the header', async () => {
    const c = await commonFor('prague', undefined, 'native')
    const specs: TxSpec[] = [{ from: A, nonce: 0, to: DEPOSIT, data: depositData() }, { from: B, nonce: 0, to: C, data: new Uint8Array(160) }]
    const probe = makeBlock(c, specs)
    const ref = await runReference(probe, c, pre(), undefined)
    expect(ref.error).toBeUndefined()
    expect(ref.requestsHash).toBeDefined()
    for (const [hash, match] of [[ref.requestsHash!, true], [new Uint8Array(32).fill(9), false]] as const) {
      const block = makeBlock(c, specs, { requestsHash: hash })
      const r = await ex.executeBlock({ block, preState: pre() })
      expect(bytesToHex(r.requestsHash!)).toBe(bytesToHex(ref.requestsHash!))
      expect(r.headerMatch.requestsHash).toBe(match)
      const deposit = r.requests!.find((q) => q.type === 0)!
      expect(bytesToHex(deposit.data)).toBe(
        bytesToHex(concatBytes(new Uint8Array(48).fill(0x11), new Uint8Array(32).fill(0x22), new Uint8Array(8).fill(0x33), new Uint8Array(96).fill(0x44), new Uint8Array(8).fill(0x55))),
      )
    }
  })
})

describe('EIP-7934 block size', () => {
  it('a block RLP over 8 MiB is refused from Osaka, not before', async () => {
    const osaka = await commonFor('osaka', undefined, 'default')
    const big = { blockRlp: new Uint8Array(Number(MAX_RLP_BLOCK_SIZE) + 1) } as never
    expect(() => validateBlockSize(osaka, big)).toThrow(InvalidBlockError)
    const bpo2 = await commonFor('bpo2', undefined, 'default')
    const prague = await commonFor('prague', undefined, 'default')
    expect(() => validateBlockSize(bpo2, big)).toThrow(/RLP block size/)
    expect(() => validateBlockSize(prague, big)).not.toThrow()
    expect(() => validateBlockSize(osaka, { blockRlp: new Uint8Array(Number(MAX_RLP_BLOCK_SIZE)) } as never)).not.toThrow()
  })
})
