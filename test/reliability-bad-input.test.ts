/**
 * Reliability, bad input: malformed fixtures and invalid blocks, through the library API and
 * the command line, never yield a wrong result.
 *
 * Each invalid block is run through the reference (@ethereumjs `runBlock`, test/evm-reference.ts)
 * and through `executeBlock` on the sequential engine and on blockstm (threads 2, forced
 * parallel): the reference rejects ⇔ we throw `InvalidBlockError` (at the same transaction
 * index); where the reference accepts, gasUsed, statuses and the post-state are equal. After
 * every bad block the same executor runs a good block whose result equals a fresh sequential
 * run (no crashed worker, no state left behind), and the caller's pre-state is untouched.
 * Unreadable input raises `InputError` from the loaders.
 *
 * The same blocks are written as fixture directories (block.json + prestate.json, by
 * `writeFixture` or by editing the JSON by hand) and run by `blockstm block <dir>`: one line
 * on stderr, exit status 2 for unreadable input, 1 for an invalid block, 0 for a valid one.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { createTx } from '@ethereumjs/tx'
import type { Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import { runBlockCommand } from '../src/cli/block.js'
import {
  createEvmExecutor,
  InputError,
  InvalidBlockError,
  loadBlockFixture,
  parseBlockJSON,
  parsePreState,
  type EvmBlockResult,
  type PreState,
} from '../src/evm/index.js'
import { blockToRPC, preStateToJSON, writeFixture } from '../src/workloads/index.js'
import { txToRPC } from '../src/workloads/fixture.js'
import { blockOf, castAccount, castBlock, castCommon, castPreState, otherChain, signTxs, type HeaderOptions, type TxSpec } from '../src/reliability/evmBlocks.js'
import { evmDivergence } from '../src/reliability/compare.js'
import { normalizePost, runReference } from './evm-reference.js'

const ROOT = resolve(import.meta.dirname, '..')
const run = promisify(execFile)
const tmp = mkdtempSync(join(tmpdir(), 'blockstm-badinput-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const engines = {
  sequential: createEvmExecutor({ engine: 'sequential' }),
  'blockstm x2': createEvmExecutor({ engine: 'blockstm', threads: 2, minParallelTxs: 0 }),
}
afterAll(async () => {
  for (const ex of Object.values(engines)) await ex.close()
})

/** A good block: transfers, contract calls, same-sender chains. */
const GOOD: TxSpec[] = [
  { from: 0, to: 1, value: 5n },
  { from: 1, to: 'COUNTER' },
  { from: 0, to: 'STORE', value: 9n },
  { from: 2, to: 'FORWARD', value: 3n },
  { from: 3, to: 'COUNTER' },
  { from: 0, to: 'BAL' },
]

let goodWant: Promise<{ block: Block; want: EvmBlockResult }> | undefined
async function expectUsable(name: keyof typeof engines): Promise<void> {
  goodWant ??= (async () => {
    const { block } = await castBlock(GOOD)
    const fresh = createEvmExecutor({ engine: 'sequential' })
    const want = await fresh.executeBlock({ block, preState: castPreState() })
    await fresh.close()
    return { block, want }
  })()
  const { block, want } = await goodWant
  const pre = castPreState()
  const got = await engines[name].executeBlock({ block, preState: pre })
  expect(evmDivergence(want, got)).toBeUndefined()
  expect(got.stats.fallback ?? '').not.toMatch(/worker|crash|exited/)
}

function blobHashes(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const h = new Uint8Array(32)
    h[0] = 1
    h[31] = i
    return h
  })
}

async function blobBlock(blobsPerTx: number, txCount: number): Promise<Block> {
  const common = await castCommon()
  const txs = Array.from({ length: txCount }, (_, k) =>
    createTx(
      { type: 3, nonce: 0n, to: castAccount(7).address, gasLimit: 21000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 1n, maxFeePerBlobGas: 10n, blobVersionedHashes: blobHashes(blobsPerTx), chainId: 1n },
      { common },
    ).sign(castAccount(k).key),
  )
  return blockOf(common, txs, { blobGasUsed: BigInt(blobsPerTx * txCount) * 131072n })
}

/** Re-signs tx `i` of a block JSON after `edit` (hand-crafted signature fields). */
function withTxFields(json: Record<string, unknown>, i: number, fields: Record<string, string>): Record<string, unknown> {
  const txs = (json.transactions as Array<Record<string, unknown>>).map((t) => ({ ...t }))
  Object.assign(txs[i]!, fields)
  return { ...json, transactions: txs }
}

interface BadBlock {
  name: string
  make: () => Promise<{ block: Block; pre: PreState }>
}

const pre = () => castPreState()
const BAD_BLOCKS: BadBlock[] = [
  { name: 'nonce too low', make: async () => ({ block: (await castBlock([{ from: 0, to: 1 }, { from: 1, to: 'COUNTER' }, { from: 0, nonce: 0, to: 1 }])).block, pre: pre() }) },
  {
    name: 'nonce too low (pre-state nonce 7)',
    make: async () => {
      const p = pre()
      p.get(castAccount(2).address.toString())!.nonce = 7n
      return { block: (await castBlock([{ from: 0, to: 1 }, { from: 2, nonce: 6, to: 1 }])).block, pre: p }
    },
  },
  { name: 'nonce too high', make: async () => ({ block: (await castBlock([{ from: 0, to: 1 }, { from: 1, to: 'COUNTER' }, { from: 1, nonce: 5, to: 1 }])).block, pre: pre() }) },
  { name: 'insufficient balance', make: async () => ({ block: (await castBlock([{ from: 0, to: 1 }, { from: 1, to: 2, value: 10n ** 21n }, { from: 3, to: 1 }])).block, pre: pre() }) },
  {
    name: 'insufficient balance until an earlier transaction pays (valid)',
    make: async () => {
      const p = pre()
      p.get(castAccount(4).address.toString())!.balance = 0n
      return { block: (await castBlock([{ from: 0, to: 'COUNTER' }, { from: 1, to: 4, value: 10n ** 18n }, { from: 4, to: 2, value: 10n ** 17n }])).block, pre: p }
    },
  },
  { name: 'transaction gas limit over the block gas limit', make: async () => ({ block: (await castBlock([{ from: 0, to: 1, gasLimit: 200_000n }], { gasLimit: 100_000n })).block, pre: pre() }) },
  {
    name: 'transactions over the gas left in the block',
    make: async () => ({ block: (await castBlock([{ from: 0, to: 1, gasLimit: 60_000n }, { from: 1, to: 'LOOP', gasLimit: 60_000n }, { from: 2, to: 1, gasLimit: 60_000n }], { gasLimit: 150_000n })).block, pre: pre() }),
  },
  {
    name: 'invalid signature (r = 0)',
    make: async () => {
      const common = await castCommon()
      const [t0, t1] = signTxs(common, [{ from: 0, to: 1 }, { from: 1, to: 2 }])
      return { block: blockOf(common, [t0!, createTx({ ...t1!.toJSON(), r: 0n } as never, { common })]), pre: pre() }
    },
  },
  {
    name: 'invalid signature (r = 2^256 - 1)',
    make: async () => {
      const common = await castCommon()
      const [t0, t1] = signTxs(common, [{ from: 0, to: 1 }, { from: 1, to: 2 }])
      return { block: blockOf(common, [t0!, createTx({ ...t1!.toJSON(), r: (1n << 256n) - 1n } as never, { common })]), pre: pre() }
    },
  },
  {
    name: 'tampered signature (r + 1 recovers an unfunded sender)',
    make: async () => {
      const common = await castCommon()
      const [t0, t1] = signTxs(common, [{ from: 0, to: 1 }, { from: 1, to: 2 }])
      return { block: blockOf(common, [t0!, createTx({ ...t1!.toJSON(), r: t1!.r! + 1n } as never, { common })]), pre: pre() }
    },
  },
  { name: 'more blob gas than allowed (2 × 6 blobs)', make: async () => ({ block: await blobBlock(6, 2), pre: pre() }) },
  { name: 'blob gas at the limit (2 × 3 blobs, valid)', make: async () => ({ block: await blobBlock(3, 2), pre: pre() }) },
]

/**
 * The reference outcome: runBlock (which skips block-data validation in the helper), plus the
 * block's own transaction validation (`getTransactionsValidationErrors`, which runBlock runs
 * unless told to skip it): that is where the per-block blob gas limit is enforced.
 */
async function reference(block: Block, p: PreState) {
  const common = await castCommon()
  const ref = await runReference(block, common, p, undefined)
  const blobErr = block.getTransactionsValidationErrors().find((e) => /blob gas/.test(e))
  return blobErr !== undefined ? { ...ref, error: blobErr } : ref
}

describe('invalid blocks through the library API: outcome equals the reference', () => {
  for (const bad of BAD_BLOCKS) {
    for (const name of Object.keys(engines) as Array<keyof typeof engines>) {
      it(`${bad.name} on ${name}`, async () => {
        const { block, pre: p } = await bad.make()
        const before = normalizePost(p as never, p)
        const ref = await reference(block, p)
        const got = await engines[name].executeBlock({ block, preState: p }).then(
          (r) => r,
          (e: unknown) => e as Error,
        )
        if (ref.error !== undefined) {
          expect(got, `reference rejects: ${ref.error}`).toBeInstanceOf(InvalidBlockError)
        } else {
          expect(got).not.toBeInstanceOf(Error)
          const r = got as Exclude<typeof got, Error>
          expect(r.gasUsed).toBe(ref.gasUsed)
          expect(r.receiptsRoot).toEqual(ref.receiptsRoot)
          expect(r.results.map((x) => x.status)).toEqual(ref.statuses)
          const full = await runReference(block, await castCommon(), p, undefined, r.postState)
          expect(normalizePost(r.postState, p)).toEqual(normalizePost(full.post, p))
        }
        expect(normalizePost(p as never, p), 'the caller\'s pre-state was modified').toEqual(before)
        await expectUsable(name)
      })
    }
  }

  it('a transaction signed for another chain id cannot be put in a mainnet block (the library refuses to build it)', async () => {
    const common = await castCommon()
    const [t5] = signTxs(otherChain(common, 5n), [{ from: 0, to: 1, chainId: 5n }])
    expect(t5!.common.chainId()).toBe(5n)
    expect(() => blockOf(common, [t5!])).toThrow()
  })
})

// ---------------------------------------------------------------------------------------------
// Fixture directories: loaders (API) and `blockstm block` (command line).

interface FixtureCase {
  name: string
  /** 'input': unreadable (InputError, exit 2); 'invalid': InvalidBlockError (exit 1); 'valid': exit 0. */
  expect: 'input' | 'invalid' | 'valid'
  write: (dir: string) => Promise<void>
}

/** The block of `specs` with the header a sequential run computes (gasUsed, bloom, receipts root). */
async function sealed(specs: TxSpec[], h: HeaderOptions = {}): Promise<Block> {
  const { block, common } = await castBlock(specs, h)
  const seq = createEvmExecutor({ engine: 'sequential' })
  const r = await seq.executeBlock({ block, preState: castPreState() }).catch(() => undefined)
  await seq.close()
  if (r === undefined) return block
  return blockOf(common, [...block.transactions], { ...h, gasUsed: r.gasUsed, logsBloom: r.logsBloom, receiptTrie: r.receiptsRoot! })
}

async function goodFixture(dir: string, specs: TxSpec[] = GOOD): Promise<Record<string, unknown>> {
  const block = await sealed(specs)
  writeFixture({ block, preState: castPreState() }, dir)
  return blockToRPC(block)
}
/** blockToRPC does not write blob transactions: their RPC form by hand (toJSON + from/hash). */
async function writeBlobFixture(dir: string, blobsPerTx: number, txCount: number): Promise<void> {
  const block = await blobBlock(blobsPerTx, txCount)
  const seq = createEvmExecutor({ engine: 'sequential' })
  const r = await seq.executeBlock({ block, preState: castPreState() }).catch(() => undefined)
  await seq.close()
  const seal = r === undefined ? {} : { gasUsed: r.gasUsed, logsBloom: r.logsBloom, receiptTrie: r.receiptsRoot! }
  const header = blockToRPC(blockOf(await castCommon(), [], { blobGasUsed: block.header.blobGasUsed!, ...seal }))
  const txs = block.transactions.map((tx, i) => {
    const j = tx.toJSON() as Record<string, unknown>
    return { ...j, hash: bytesToHex(tx.hash()), from: tx.getSenderAddress().toString(), gas: j.gasLimit, input: j.data, transactionIndex: `0x${i.toString(16)}`, yParity: j.v }
  })
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'block.json'), JSON.stringify({ ...header, transactions: txs }))
  writeFileSync(join(dir, 'prestate.json'), preStateToJSON(castPreState()))
}
const writeJSON = (dir: string, file: string, v: unknown) => writeFileSync(join(dir, file), typeof v === 'string' ? v : JSON.stringify(v))

const FIXTURES: FixtureCase[] = [
  { name: 'valid block', expect: 'valid', write: async (d) => void (await goodFixture(d)) },
  { name: 'block.json truncated', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'block.json', readFileSync(join(d, 'block.json'), 'utf8').slice(0, 200)) } },
  { name: 'block.json empty', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'block.json', '') } },
  { name: 'block.json is an array', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'block.json', []) } },
  { name: 'block.json without number', expect: 'input', write: async (d) => { const j = await goodFixture(d); delete j.number; writeJSON(d, 'block.json', j) } },
  { name: 'block.json with transaction hashes only', expect: 'input', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', { ...j, transactions: ['0x' + '12'.repeat(32)] }) } },
  { name: 'block.json with a bad gasLimit', expect: 'input', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', { ...j, gasLimit: 'lots' }) } },
  { name: 'transaction with a bad hex input', expect: 'input', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', withTxFields(j, 1, { input: '0xzz' })) } },
  { name: 'prestate.json missing', expect: 'input', write: async (d) => { await goodFixture(d); rmSync(join(d, 'prestate.json')) } },
  { name: 'prestate.json not JSON', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', '{"0x12": ') } },
  { name: 'pre-state code with bad hex', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { ['0x' + 'c1'.repeat(20)]: { balance: '0x0', code: '0x60zz' } }) } },
  { name: 'pre-state code with odd length', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { ['0x' + 'c1'.repeat(20)]: { balance: '0x0', code: '0x600' } }) } },
  { name: 'pre-state balance not hex', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { ['0x' + 'c1'.repeat(20)]: { balance: '12ab' } }) } },
  { name: 'pre-state storage value over 256 bits', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { ['0x' + 'c1'.repeat(20)]: { balance: '0x0', storage: { '0x0': '0x1' + '00'.repeat(32) } } }) } },
  { name: 'pre-state bad storage slot', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { ['0x' + 'c1'.repeat(20)]: { balance: '0x0', storage: { '0xg1': '0x1' } } }) } },
  { name: 'pre-state bad address', expect: 'input', write: async (d) => { await goodFixture(d); writeJSON(d, 'prestate.json', { '0x1234': { balance: '0x0' } }) } },
  { name: 'invalid signature (s = 0)', expect: 'invalid', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', withTxFields(j, 2, { s: '0x0' })) } },
  { name: 'invalid signature (r = 2^256 - 1)', expect: 'invalid', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', withTxFields(j, 2, { r: '0x' + 'ff'.repeat(32) })) } },
  { name: 'high-s signature (EIP-2)', expect: 'input', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', withTxFields(j, 2, { s: '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140' })) } },
  { name: 'bad y-parity', expect: 'input', write: async (d) => { const j = await goodFixture(d); writeJSON(d, 'block.json', withTxFields(j, 2, { v: '0x5', yParity: '0x5' })) } },
  {
    name: 'transaction signed for chain id 5',
    expect: 'input',
    write: async (d) => {
      const j = await goodFixture(d)
      const common = await castCommon()
      const [t5] = signTxs(otherChain(common, 5n), [{ from: 5, to: 1, chainId: 5n }])
      const { block } = await castBlock(GOOD)
      const txs = [...(j.transactions as unknown[])]
      txs.push(txToRPC(t5!, txs.length, block))
      writeJSON(d, 'block.json', { ...j, transactions: txs })
    },
  },
  {
    name: 'legacy transaction signed for chain id 5',
    expect: 'input',
    write: async (d) => {
      const j = await goodFixture(d)
      const common = await castCommon()
      const [t5] = signTxs(otherChain(common, 5n), [{ from: 5, to: 1, chainId: 5n, type: 0 }])
      const { block } = await castBlock(GOOD)
      const txs = [...(j.transactions as unknown[])]
      txs.push(txToRPC(t5!, txs.length, block))
      writeJSON(d, 'block.json', { ...j, transactions: txs })
    },
  },
  { name: 'nonce too high', expect: 'invalid', write: async (d) => void (await goodFixture(d, [...GOOD, { from: 4, nonce: 3, to: 1 }])) },
  { name: 'nonce too low', expect: 'invalid', write: async (d) => void (await goodFixture(d, [...GOOD, { from: 0, nonce: 0, to: 1 }])) },
  { name: 'insufficient balance', expect: 'invalid', write: async (d) => void (await goodFixture(d, [...GOOD, { from: 4, to: 1, value: 10n ** 22n }])) },
  {
    name: 'over the block gas limit',
    expect: 'invalid',
    write: async (d) => {
      const { block } = await castBlock([{ from: 0, to: 1 }, { from: 1, to: 'LOOP', gasLimit: 100_000n }, { from: 2, to: 'LOOP', gasLimit: 100_000n }], { gasLimit: 150_000n })
      writeFixture({ block, preState: castPreState() }, d)
    },
  },
  { name: 'more blob gas than allowed', expect: 'invalid', write: async (d) => writeBlobFixture(d, 6, 2) },
  { name: 'blob gas at the limit', expect: 'valid', write: async (d) => writeBlobFixture(d, 3, 2) },
]

describe('fixture directories: loaders and `blockstm block`', () => {
  let n = 0
  const dirs = new Map<string, string>()
  const prepare = async (c: FixtureCase) => {
    let d = dirs.get(c.name)
    if (d === undefined) {
      d = join(tmp, `case-${n++}`)
      mkdirSync(d, { recursive: true })
      await c.write(d)
      dirs.set(c.name, d)
    }
    return d
  }

  for (const c of FIXTURES) {
    it(`API: ${c.name} → ${c.expect}`, async () => {
      const d = await prepare(c)
      const loaded = await loadBlockFixture(d).then(
        (f) => f,
        (e: unknown) => e as Error,
      )
      if (c.expect === 'input') {
        expect(loaded).toBeInstanceOf(InputError)
        return
      }
      expect(loaded).not.toBeInstanceOf(Error)
      const f = loaded as Exclude<typeof loaded, Error>
      for (const name of Object.keys(engines) as Array<keyof typeof engines>) {
        const got = await engines[name].executeBlock({ block: f.block, preState: f.preState, senderHints: f.senderHints }).then(
          (r) => r,
          (e: unknown) => e as Error,
        )
        if (c.expect === 'invalid') expect(got, name).toBeInstanceOf(InvalidBlockError)
        else expect(got, name).not.toBeInstanceOf(Error)
        await expectUsable(name)
      }
    })
  }

  /** Runs `blockstm block` in this process (same code as the binary minus argv parsing). */
  async function inProcess(d: string, engine: 'sequential' | 'blockstm'): Promise<{ code: number; stderr: string }> {
    const orig = process.stderr.write.bind(process.stderr)
    const origOut = process.stdout.write.bind(process.stdout)
    let stderr = ''
    process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write
    process.stdout.write = (() => true) as typeof process.stdout.write
    try {
      const code = await runBlockCommand(d, { engine, threads: 2, defaultJit: true }).catch((e: Error) => {
        stderr += `uncaught ${e.name}: ${e.message}\n`
        return -1
      })
      return { code, stderr }
    } finally {
      process.stderr.write = orig
      process.stdout.write = origOut
    }
  }

  const check = (c: FixtureCase, r: { code: number; stderr: string }, how: string): string | undefined => {
    const want = { input: 2, invalid: 1, valid: 0 }[c.expect]
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
    if (r.code !== want) return `${c.name} (${how}): exit ${r.code}, want ${want}: ${r.stderr.slice(0, 300)}`
    if (want !== 0 && lines.length !== 1) return `${c.name} (${how}): ${lines.length} lines on stderr: ${JSON.stringify(r.stderr.slice(0, 300))}`
    if (want !== 0 && !/block\.json|prestate\.json/.test(lines[0]!)) return `${c.name} (${how}): message does not name the file: ${lines[0]}`
    return undefined
  }

  it('command line (runBlockCommand): one line on stderr, exit 2 (unreadable) / 1 (invalid) / 0 (valid)', async () => {
    const failures: string[] = []
    for (const c of FIXTURES) {
      const d = await prepare(c)
      const engine = c.expect === 'input' ? 'sequential' : 'blockstm'
      const f = check(c, await inProcess(d, engine), engine)
      if (f !== undefined) failures.push(f)
    }
    expect(failures).toEqual([])
  })

  it('command line (bin/blockstm.js): exit statuses 0, 1 and 2', async () => {
    const picks = ['valid block', 'nonce too high', 'pre-state code with bad hex'].map((name) => FIXTURES.find((c) => c.name === name)!)
    const results = await Promise.all(
      picks.map(async (c) => {
        const d = await prepare(c)
        const engine = c.expect === 'invalid' ? ['--engine', 'blockstm', '--threads', '2'] : []
        const r = await run(process.execPath, [join(ROOT, 'bin/blockstm.js'), 'block', d, ...engine], { cwd: ROOT }).then(
          (o) => ({ code: 0, stderr: o.stderr }),
          (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
        )
        return check(c, r, 'bin')
      }),
    )
    expect(results.filter((x) => x !== undefined)).toEqual([])
  }, 120_000)
})

describe('parsers reject malformed JSON values with InputError', () => {
  it('parseBlockJSON and parsePreState', async () => {
    for (const bad of [null, 42, 'x', [], {}, { number: '0x1', timestamp: '0x1', transactions: 'no' }]) {
      await expect(parseBlockJSON(bad)).rejects.toBeInstanceOf(InputError)
    }
    for (const bad of [null, 42, [], { '0x12': {} }, { ['0x' + '11'.repeat(20)]: 7 }, { ['0x' + '11'.repeat(20)]: { nonce: -1 } }, { ['0x' + '11'.repeat(20)]: { storage: 5 } }]) {
      expect(() => parsePreState(bad)).toThrow(InputError)
    }
    expect(preStateToJSON(castPreState())).toContain('"balance"')
  })
})

