/**
 * Hand-made blocks exercising the cases where a parallel EVM binding goes wrong, each compared
 * with a plain @ethereumjs runBlock: the fee recipient read mid-block, paid, and sending; same-
 * sender chains; a contract created and called in the same block; SELFDESTRUCT and re-creation
 * (London and Cancun/EIP-6780); reverts; out of gas; and invalid blocks (nonce, balance, block
 * gas limit). Run on the sequential engine, blockstm with 2 and 1 threads, and the static-batch planner.
 * Also: native and default ecrecover give identical results.
 */
import { describe, expect, it, afterAll } from 'vitest'
import { createBlock, type Block } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { createTx } from '@ethereumjs/tx'
import { Address, bytesToHex, generateAddress, hexToBytes, ecrecover, privateToAddress, bigIntToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { createEvmExecutor, InvalidBlockError, type PreState, type EvmExecutor } from '../src/evm/index.js'
import { commonFor } from '../src/evm/chain.js'
import { nativeEcrecover } from '../src/evm/crypto.js'
import { normalizePost, runReference } from './evm-reference.js'

const key = (n: number) => keccak_256(new TextEncoder().encode(`hardcase-key-${n}`))
const A = key(1)
const B = key(2)
const K = key(3) // the fee recipient's key
const addr = (k: Uint8Array) => new Address(privateToAddress(k))
const COINBASE = addr(K)
const BAL = ("0x" + "bb".repeat(20)) as `0x${string}` // stores BALANCE(COINBASE) at slot 0
const REVERT = ("0x" + "cc".repeat(20)) as `0x${string}`
const LOOP = ("0x" + "dd".repeat(20)) as `0x${string}`
const SINK = ("0x" + "ee".repeat(20)) as `0x${string}`
// runtime: no calldata -> slot0++; calldata -> SELFDESTRUCT(caller)
const RUNTIME = '361560075733ff5b600054600101600055' + '00'
const INIT = '6005600055' + '60126011600039' + '60126000f3' + RUNTIME
const SELF_DESTRUCTING_INIT = '33ff'

function pre(): PreState {
  const acc = (balance: bigint, code = '0x') => ({ balance, nonce: 0n, code: hexToBytes(code as `0x${string}`), storage: new Map<string, bigint>() })
  const p: PreState = new Map()
  p.set(addr(A).toString(), acc(10n ** 20n))
  p.set(addr(B).toString(), acc(10n ** 20n))
  p.set(COINBASE.toString(), acc(10n ** 18n))
  p.set(BAL, acc(0n, '0x413160005500'))
  p.set(REVERT, acc(0n, '0x60006000fd'))
  p.set(LOOP, acc(0n, '0x5b600056'))
  return p
}

async function common(hf: string): Promise<Common> {
  return commonFor(hf, undefined, 'native')
}

interface TxSpec {
  from: Uint8Array
  nonce: number
  to?: `0x${string}`
  value?: bigint
  data?: string
  gasLimit?: bigint
}

function makeBlock(c: Common, specs: TxSpec[], gasLimit = 30_000_000n): Block {
  const txs = specs.map((s) =>
    createTx(
      {
        type: 2,
        nonce: BigInt(s.nonce),
        to: s.to,
        value: s.value ?? 0n,
        data: s.data !== undefined ? hexToBytes(('0x' + s.data) as `0x${string}`) : undefined,
        gasLimit: s.gasLimit ?? 200_000n,
        maxFeePerGas: 100n,
        maxPriorityFeePerGas: 3n,
        chainId: 1n,
      },
      { common: c },
    ).sign(s.from),
  )
  const cancun = c.gteHardfork(Hardfork.Cancun)
  return createBlock(
    {
      header: {
        number: 20_000_000n,
        timestamp: cancun ? 1_720_000_000n : 1_650_000_000n,
        coinbase: COINBASE,
        gasLimit,
        baseFeePerGas: 7n,
        ...(cancun ? { parentBeaconBlockRoot: new Uint8Array(32), excessBlobGas: 0n, blobGasUsed: 0n } : {}),
      },
      transactions: txs,
      ...(c.gteHardfork(Hardfork.Shanghai) ? { withdrawals: [] } : {}),
    },
    { common: c },
  )
}

function scenario(): TxSpec[] {
  const x = bytesToHex(generateAddress(addr(A).bytes, bigIntToBytes(0n))) as `0x${string}`
  return [
    { from: A, nonce: 0, data: INIT }, // 0 create X
    { from: B, nonce: 0, to: x }, // 1 call X in the same block: slot0 5 -> 6
    { from: A, nonce: 1, to: BAL }, // 2 reads BALANCE(coinbase) mid-block
    { from: B, nonce: 1, to: COINBASE.toString(), value: 12345n }, // 3 transfer to the fee recipient
    { from: K, nonce: 0, to: SINK, value: 1000n }, // 4 fee recipient as sender
    { from: A, nonce: 2, to: x, data: '01' }, // 5 SELFDESTRUCT X (destroys before Cancun)
    { from: B, nonce: 2, to: x, value: 7n }, // 6 value to X: re-created as a plain account before Cancun
    { from: A, nonce: 3, to: REVERT }, // 7 reverts
    { from: B, nonce: 3, to: LOOP, gasLimit: 100_000n }, // 8 out of gas
    { from: A, nonce: 4, to: BAL }, // 9 reads BALANCE(coinbase) again
    { from: A, nonce: 5, data: SELF_DESTRUCTING_INIT }, // 10 created and destroyed in one tx
    { from: B, nonce: 4, to: x }, // 11 call X again (counter on a live or dead contract)
    { from: K, nonce: 1, to: BAL }, // 12 fee recipient as sender reading its own balance
  ]
}

const engines: Array<[string, () => EvmExecutor]> = [
  ['sequential', () => createEvmExecutor({ engine: 'sequential' })],
  ['blockstm x2', () => createEvmExecutor({ engine: 'blockstm', threads: 2, minParallelTxs: 0 })],
  ['blockstm x1', () => createEvmExecutor({ engine: 'blockstm', threads: 1, minParallelTxs: 0 })],
  ['static-batch x2', () => createEvmExecutor({ engine: 'static-batch', threads: 2, predictor: 'address' })],
]

describe.each(engines)('hard cases on %s', (_name, make) => {
  const ex = make()
  afterAll(() => ex.close())

  for (const hf of [Hardfork.London, Hardfork.Cancun]) {
    it(`mixed block (${hf}) equals runBlock`, async () => {
      const c = await common(hf)
      const block = makeBlock(c, scenario())
      const p = pre()
      const r = await ex.executeBlock({ block, preState: p })
      const ref = await runReference(block, c, p, undefined, r.postState)
      expect(ref.error).toBeUndefined()
      expect(r.gasUsed).toBe(ref.gasUsed)
      expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
      expect(r.logsBloom).toEqual(ref.logsBloom)
      expect(r.results.map((x) => x.status)).toEqual(ref.statuses)
      expect(r.results[7]!.status).toBe(0) // revert
      expect(r.results[8]!.status).toBe(0) // out of gas
      expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
    })
  }

  it('many transactions paying the same fee recipient (delta path) equal runBlock', async () => {
    const c = await common(Hardfork.Cancun)
    const specs: TxSpec[] = []
    for (let i = 0; i < 12; i++) specs.push({ from: i % 2 === 0 ? A : B, nonce: i >> 1, to: SINK, value: BigInt(i + 1) })
    specs.push({ from: B, nonce: 6, to: BAL })
    const block = makeBlock(c, specs)
    const p = pre()
    const r = await ex.executeBlock({ block, preState: p })
    const ref = await runReference(block, c, p, undefined, r.postState)
    expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
    expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
  })

  it("a mining pool's block (the fee recipient paying out after others paid it fees) equals runBlock", async () => {
    const c = await common(Hardfork.Cancun)
    const specs: TxSpec[] = [
      { from: A, nonce: 0, to: LOOP, gasLimit: 60_000n }, // a long transaction first: its fee lands late
      { from: B, nonce: 0, to: SINK, value: 5n },
    ]
    for (let i = 0; i < 10; i++) specs.push({ from: K, nonce: i, to: (`0x${(0x10 + i).toString(16).padStart(40, '0')}`) as `0x${string}`, value: 1000n + BigInt(i) })
    specs.splice(6, 0, { from: B, nonce: 1, to: BAL }) // reads the pool's balance between payouts
    const block = makeBlock(c, specs)
    const p = pre()
    const r = await ex.executeBlock({ block, preState: p })
    const ref = await runReference(block, c, p, undefined, r.postState)
    expect(ref.error).toBeUndefined()
    expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
    expect(r.results.map((x) => x.status)).toEqual(ref.statuses)
    expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
  })

  it('a fee recipient that does not exist yet equals runBlock', async () => {
    const c = await common(Hardfork.London)
    const block = makeBlock(c, [
      { from: A, nonce: 0, to: SINK, value: 1n },
      { from: B, nonce: 0, to: SINK, value: 2n },
      { from: A, nonce: 1, to: BAL },
    ])
    const p = pre()
    p.delete(COINBASE.toString())
    const r = await ex.executeBlock({ block, preState: p })
    const ref = await runReference(block, c, p, undefined, r.postState)
    expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
    expect(normalizePost(r.postState, p)).toEqual(normalizePost(ref.post, p))
  })

  const invalid: Array<[string, TxSpec[], bigint?]> = [
    ['nonce too high', [{ from: A, nonce: 0, to: SINK }, { from: B, nonce: 5, to: SINK }]],
    ['insufficient balance', [{ from: A, nonce: 0, to: SINK, value: 10n ** 21n }]],
    ['gas limit over what is left in the block', [{ from: A, nonce: 0, to: SINK, gasLimit: 90_000n }, { from: B, nonce: 0, to: SINK, gasLimit: 90_000n }], 100_000n],
  ]
  for (const [name, specs, gasLimit] of invalid) {
    it(`invalid block: ${name}`, async () => {
      const c = await common(Hardfork.London)
      const block = makeBlock(c, specs, gasLimit)
      const p = pre()
      const ref = await runReference(block, c, p, undefined)
      expect(ref.error).toBeDefined()
      await expect(ex.executeBlock({ block, preState: p })).rejects.toBeInstanceOf(InvalidBlockError)
    })
  }
})

describe('ecrecover back-ends', () => {
  it('native and default recover the same keys, and fail alike', () => {
    const native = nativeEcrecover()
    if (native === null) {
      console.warn('secp256k1 native binding not loadable; comparing default with itself is pointless, skipping')
      return
    }
    for (let i = 0; i < 50; i++) {
      const c = new Common({ chain: Mainnet, hardfork: Hardfork.London })
      const tx = createTx({ type: 2, nonce: BigInt(i), gasLimit: 21000n, maxFeePerGas: 10n, to: SINK, chainId: 1n }, { common: c }).sign(key(100 + i))
      const h = tx.getMessageToVerifySignature()
      const r = bigIntToBytes(tx.r!)
      const s = bigIntToBytes(tx.s!)
      expect(bytesToHex(native(h, tx.v!, r, s))).toBe(bytesToHex(ecrecover(h, tx.v!, r, s)))
      expect(bytesToHex(native(h, tx.v! + 27n, r, s))).toBe(bytesToHex(ecrecover(h, tx.v! + 27n, r, s)))
    }
    const bad: Array<[bigint, Uint8Array]> = [
      [5n, new Uint8Array(32).fill(1)],
      [27n, new Uint8Array(32).fill(0xff)],
      [27n, new Uint8Array(32)],
    ]
    for (const [v, rs] of bad) {
      const h = new Uint8Array(32).fill(7)
      let a: string | undefined
      let b: string | undefined
      try {
        a = bytesToHex(native(h, v, rs, rs))
      } catch {
        a = 'throws'
      }
      try {
        b = bytesToHex(ecrecover(h, v, rs, rs))
      } catch {
        b = 'throws'
      }
      expect(a).toBe(b)
    }
  })

  it('blocks give identical results with native and default recovery', async () => {
    const c = await common(Hardfork.London)
    const block = makeBlock(c, scenario().slice(0, 6))
    const p = pre()
    const n = createEvmExecutor({ engine: 'sequential', crypto: 'native' })
    const d = createEvmExecutor({ engine: 'sequential', crypto: 'default' })
    const rn = await n.executeBlock({ block, preState: p })
    const rd = await d.executeBlock({ block, preState: p })
    expect(rn.results).toEqual(rd.results)
    expect(normalizePost(rn.postState, p)).toEqual(normalizePost(rd.postState, p))
    await n.close()
    await d.close()
  })
})
