/**
 * Any chain, and BLOCKHASH never invented (src/evm/chain.ts):
 * - a block of a custom chain (createCustomCommon, chain id 4242) and a block on Sepolia's
 *   schedule (Cancun there, Shanghai on Mainnet at the same timestamp) each execute with the
 *   caller's Common as given and equal a plain @ethereumjs runBlock on the same block, on the
 *   sequential engine and on Block-STM with 2 threads; CHAINID is the custom chain's;
 * - the caller's customCrypto functions are used on the calling thread;
 * - a block executed with a Common of another chain fails with ChainMismatchError;
 * - BLOCKHASH answers from the caller's Map or async getBlockHash, and a transaction asking for
 *   a hash neither supplies fails the block with MissingBlockHashError naming the number.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet, Sepolia, createCustomCommon, type CustomCrypto } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { Address, bytesToBigInt, hexToBytes, privateToAddress } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { ChainMismatchError, createEvmExecutor, MissingBlockHashError, type EvmExecutor, type PreState } from '../src/evm/index.js'
import { normalizePost, runReference } from './evm-reference.js'

const key = (n: number) => keccak_256(new TextEncoder().encode(`chain-key-${n}`))
const A = key(1)
const B = key(2)
const addr = (k: Uint8Array) => new Address(privateToAddress(k))
const CHAINID_STORE = '0x' + '11'.repeat(20) // CHAINID; PUSH1 0; SSTORE; STOP
const BLOCKHASH_STORE = '0x' + '22'.repeat(20) // BLOCKHASH(NUMBER - 1) stored at slot 0
const CODE_CHAINID = '0x4660005500'
const CODE_BLOCKHASH = '0x600143034060005500'
const NUMBER = 5_200_000n

function pre(): PreState {
  const acc = (balance: bigint, code = '0x') => ({ balance, nonce: 0n, code: hexToBytes(code as `0x${string}`), storage: new Map<string, bigint>() })
  return new Map([
    [addr(A).toString(), acc(10n ** 20n)],
    [addr(B).toString(), acc(10n ** 20n)],
    [CHAINID_STORE, acc(0n, CODE_CHAINID)],
    [BLOCKHASH_STORE, acc(0n, CODE_BLOCKHASH)],
  ])
}

function block(common: Common, to: string[], timestamp: bigint): Block {
  const txs = to.map((t, i) =>
    createTx(
      { type: 2, nonce: BigInt(i >> 1), to: t as `0x${string}`, value: 1n, gasLimit: 100_000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 2n, chainId: common.chainId() },
      { common },
    ).sign(i % 2 === 0 ? A : B),
  )
  const cancun = common.gteHardfork(Hardfork.Cancun)
  return createBlock(
    {
      header: {
        number: NUMBER,
        timestamp,
        coinbase: new Address(hexToBytes(`0x${'99'.repeat(20)}`)),
        gasLimit: 30_000_000n,
        baseFeePerGas: 7n,
        ...(cancun ? { parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n } : {}),
      },
      transactions: txs,
      withdrawals: [{ index: 0n, validatorIndex: 1n, address: addr(B), amount: 5n }],
    },
    { common },
  )
}

const engines: Array<[string, () => EvmExecutor]> = [
  ['sequential', () => createEvmExecutor({ engine: 'sequential' })],
  ['blockstm x2', () => createEvmExecutor({ engine: 'blockstm', threads: 2, minParallelTxs: 0 })],
]

const hashOf = (n: bigint) => keccak_256(new TextEncoder().encode(`hash-of-${n}`))

describe.each(engines)('any chain, %s', (_name, make) => {
  const ex = make()
  afterAll(() => ex.close())

  async function expectEqualsRunBlock(b: Block, common: Common, hashes: Map<bigint, Uint8Array>): Promise<Map<string, unknown>> {
    const p = pre()
    const r = await ex.executeBlock({ block: b, common, preState: p, blockHashes: hashes })
    const ref = await runReference(b, common, p, hashes, r.postState)
    expect(ref.error).toBeUndefined()
    expect(r.gasUsed).toBe(ref.gasUsed)
    expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
    expect(r.logsBloom).toEqual(ref.logsBloom)
    expect(r.results.map((x) => x.status)).toEqual(ref.statuses)
    expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
    return new Map([...r.postState].map(([a, acc]) => [a, acc?.storage.get('0x' + '00'.repeat(32))]))
  }

  it('a custom chain (createCustomCommon, chain id 4242) equals runBlock; CHAINID is 4242', async () => {
    const common = createCustomCommon({ chainId: 4242, name: 'blockstm-test-chain' }, Mainnet, { hardfork: Hardfork.Cancun })
    const b = block(common, [CHAINID_STORE, BLOCKHASH_STORE, CHAINID_STORE, BLOCKHASH_STORE], 1_720_000_000n)
    const slots = await expectEqualsRunBlock(b, common, new Map([[NUMBER - 1n, hashOf(NUMBER - 1n)]]))
    expect(slots.get(CHAINID_STORE)).toBe(4242n)
    expect(slots.get(BLOCKHASH_STORE)).toBe(bytesToBigInt(hashOf(NUMBER - 1n)))
  })

  it("a block on Sepolia's schedule (Cancun there, Shanghai on Mainnet at that time) equals runBlock", async () => {
    const timestamp = 1_706_700_000n
    const common = new Common({ chain: Sepolia })
    expect(common.setHardforkBy({ blockNumber: NUMBER, timestamp })).toBe(Hardfork.Cancun)
    expect(new Common({ chain: Mainnet }).setHardforkBy({ blockNumber: 20_000_000n, timestamp })).toBe(Hardfork.Shanghai)
    const b = block(common, [CHAINID_STORE, BLOCKHASH_STORE, BLOCKHASH_STORE], timestamp)
    const slots = await expectEqualsRunBlock(b, common, new Map([[NUMBER - 1n, hashOf(NUMBER - 1n)]]))
    expect(slots.get(CHAINID_STORE)).toBe(11155111n)
  })

  it('a block executed with the Common of another chain fails with ChainMismatchError', async () => {
    const sepolia = new Common({ chain: Sepolia, hardfork: Hardfork.Shanghai })
    const b = block(sepolia, [CHAINID_STORE], 1_700_000_000n)
    const mainnet = new Common({ chain: Mainnet, hardfork: Hardfork.Shanghai })
    await expect(ex.executeBlock({ block: b, common: mainnet, preState: pre() })).rejects.toBeInstanceOf(ChainMismatchError)
  })

  it('BLOCKHASH from an async getBlockHash equals the same hash from a Map', async () => {
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Shanghai })
    const b = block(common, [BLOCKHASH_STORE], 1_700_000_000n)
    const asked: bigint[] = []
    const r = await ex.executeBlock({
      block: b,
      preState: pre(),
      getBlockHash: async (n) => {
        asked.push(n)
        return hashOf(n)
      },
    })
    expect(r.postState.get(BLOCKHASH_STORE)?.storage.get('0x' + '00'.repeat(32))).toBe(bytesToBigInt(hashOf(NUMBER - 1n)))
    // Resolved before execution, for the 256-block window only.
    expect(asked.length).toBe(256)
    expect(asked.every((n) => n >= NUMBER - 256n && n < NUMBER)).toBe(true)
  })

  it('a transaction asking for a hash that was not supplied fails the block with MissingBlockHashError', async () => {
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Shanghai })
    const b = block(common, [CHAINID_STORE, BLOCKHASH_STORE], 1_700_000_000n)
    const other = new Map([[NUMBER - 2n, hashOf(NUMBER - 2n)]])
    for (const args of [{}, { blockHashes: other }, { getBlockHash: async () => undefined }]) {
      const err = await ex.executeBlock({ block: b, preState: pre(), ...args }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(MissingBlockHashError)
      const m = err as MissingBlockHashError
      expect(m.blockNumber).toBe(NUMBER - 1n)
      expect(m.inBlock).toBe(NUMBER)
      expect(m.txIndex).toBe(1)
      expect(m.message).toContain(`${NUMBER - 1n}`)
    }
  })
})

describe("the caller's customCrypto", () => {
  it('is used on the calling thread (sequential engine): its keccak256 is called', async () => {
    let calls = 0
    const customCrypto: CustomCrypto = {
      keccak256: (d: Uint8Array) => {
        calls++
        return keccak_256(d)
      },
    }
    const common = new Common({ chain: Mainnet, hardfork: Hardfork.Shanghai, customCrypto })
    const b = block(common, [CHAINID_STORE, CHAINID_STORE], 1_700_000_000n)
    calls = 0
    const ex = createEvmExecutor({ engine: 'sequential' })
    try {
      const r = await ex.executeBlock({ block: b, common, preState: pre() })
      expect(r.results.every((x) => x.status === 1)).toBe(true)
    } finally {
      await ex.close()
    }
    expect(calls).toBeGreaterThan(0)
  })
})
