/**
 * The drop-in runBlock (runBlockParallel / createParallelRunner) against @ethereumjs runBlock
 * on the same VM state: two VMs whose MerkleStateManagers hold the same committed pre-state,
 * one block through each; results (state root, receipts root, gas, bloom, receipts) and the
 * state managers' roots afterwards must be equal. Generated workloads (real contracts, signed
 * transactions), header-checked runs, invalid blocks (runBlock's error, state unchanged) and
 * the options of runBlock.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createBlock } from '@ethereumjs/block'
import { runBlock } from '@ethereumjs/vm'
import { bytesToHex } from '@ethereumjs/util'
import { generateWorkload, type WorkloadParams } from '../src/workloads/index.js'
import { BlockRejectedError, UnsupportedOptionError, createParallelRunner, runBlockParallel } from '../src/dropin/index.js'
import { outcome, rootOf, vmWithState } from './support/dropin.js'

const runner = createParallelRunner({ threads: 2, lanes: 4 })
afterAll(() => runner.close())

const gen = (p: Omit<WorkloadParams, 'seed'> & { seed?: number }) => generateWorkload({ seed: 1, ...p }, { cacheDir: false })

describe('runBlockParallel equals runBlock on generated workloads', () => {
  const cases: Array<Omit<WorkloadParams, 'seed'>> = [
    { kind: 'erc20', txs: 100, accounts: 30 },
    { kind: 'uniswap', txs: 60, accounts: 3 },
    { kind: 'mixed', txs: 80, accounts: 20 },
    { kind: 'raw-hot', txs: 60, accounts: 10 },
    { kind: 'nft', txs: 40, accounts: 2 },
  ]
  for (const c of cases) {
    it(`${c.kind} ${c.txs} txs, ${c.accounts} accounts (generate)`, async () => {
      const w = await gen(c)
      const ref = await vmWithState(w.common, w.preState)
      const par = await vmWithState(w.common, w.preState)
      expect(await rootOf(par.sm)).toBe(await rootOf(ref.sm))
      const want = await runBlock(ref.vm, { block: w.block, generate: true, skipBlockValidation: true })
      const got = await runner.runBlock(par.vm, { block: w.block, generate: true, skipBlockValidation: true })
      expect(outcome(got)).toEqual(outcome(want))
      expect(await rootOf(par.sm)).toBe(await rootOf(ref.sm))
      expect(got.stats.fallback).toBeUndefined()
      expect(got.stats.source!.locations).toBeGreaterThan(0)
      expect(got.stats.engine!.executions).toBeGreaterThanOrEqual(c.txs)
    })
  }
})

describe('header-checked runs, invalid blocks, options', async () => {
  const w = await gen({ kind: 'erc20', txs: 60, accounts: 20 })
  // The header runBlock generates for the block: a valid block to check against.
  const ref = await vmWithState(w.common, w.preState)
  let valid = w.block
  ref.vm.events.once('afterBlock', (e: { block: typeof w.block }) => {
    valid = e.block
  })
  const generated = await runBlock(ref.vm, { block: w.block, generate: true, skipBlockValidation: true })
  const withHeader = (fields: Record<string, unknown>) =>
    createBlock({ ...valid, header: { ...valid.header, ...fields } } as never, { common: w.common })

  it('a valid block passes every header check (state root included) with generate off', async () => {
    const par = await vmWithState(w.common, w.preState)
    const got = await runner.runBlock(par.vm, { block: valid, skipBlockValidation: true })
    expect(bytesToHex(got.stateRoot)).toBe(bytesToHex(generated.stateRoot))
    expect(await rootOf(par.sm)).toBe(bytesToHex(generated.stateRoot))
  })

  for (const [what, fields] of [
    ['stateRoot', { stateRoot: new Uint8Array(32).fill(1) }],
    ['receiptTrie', { receiptTrie: new Uint8Array(32).fill(2) }],
    ['gasUsed', { gasUsed: 21000n }],
    ['logsBloom', { logsBloom: new Uint8Array(256) }],
  ] as const) {
    it(`a wrong ${what}: runBlock's error, the state manager unchanged`, async () => {
      const bad = withHeader(fields)
      const a = await vmWithState(w.common, w.preState)
      const b = await vmWithState(w.common, w.preState)
      const before = await rootOf(b.sm)
      const want = await runBlock(a.vm, { block: bad, skipBlockValidation: true }).then(() => undefined, (e: Error) => e)
      const got = await runner.runBlock(b.vm, { block: bad, skipBlockValidation: true }).then(() => undefined, (e: Error) => e)
      expect(want).toBeInstanceOf(Error)
      expect(got).toBeInstanceOf(BlockRejectedError)
      expect(got!.message).toBe(want!.message)
      expect(await rootOf(b.sm)).toBe(before)
      expect(await rootOf(a.sm)).toBe(before)
      // The state manager still serves the pre-state: the valid block runs on it afterwards.
      const again = await runner.runBlock(b.vm, { block: valid, skipBlockValidation: true })
      expect(bytesToHex(again.stateRoot)).toBe(bytesToHex(generated.stateRoot))
    })
  }

  it('a transaction over the block gas limit, and an invalid transaction: same error, state unchanged', async () => {
    const overLimit = withHeader({ gasLimit: 150_000n, gasUsed: 0n })
    const pre = new Map(w.preState)
    const sender = w.block.transactions[5]!.getSenderAddress().toString()
    pre.set(sender, { ...pre.get(sender)!, balance: 1n })
    for (const [block, state] of [
      [overLimit, w.preState],
      [valid, pre],
    ] as const) {
      const a = await vmWithState(w.common, state)
      const b = await vmWithState(w.common, state)
      const before = await rootOf(b.sm)
      const want = await runBlock(a.vm, { block, skipBlockValidation: true }).then(() => undefined, (e: Error) => e)
      const got = await runner.runBlock(b.vm, { block, skipBlockValidation: true }).then(() => undefined, (e: Error) => e)
      expect(want).toBeInstanceOf(Error)
      expect(got).toBeInstanceOf(BlockRejectedError)
      expect(got!.message).toBe(want!.message)
      expect(await rootOf(b.sm)).toBe(before)
    }
  })

  it('reportPreimages: the same preimages as runBlock', async () => {
    const a = await vmWithState(w.common, w.preState)
    const b = await vmWithState(w.common, w.preState)
    const want = await runBlock(a.vm, { block: valid, skipBlockValidation: true, reportPreimages: true })
    const got = await runner.runBlock(b.vm, { block: valid, skipBlockValidation: true, reportPreimages: true })
    const keys = (m: Map<string, Uint8Array> | undefined) => [...(m ?? new Map()).keys()].sort()
    expect(keys(got.preimages)).toEqual(keys(want.preimages))
  })

  it('an unsupported option throws UnsupportedOptionError naming it, before anything runs', async () => {
    const b = await vmWithState(w.common, w.preState)
    const before = await rootOf(b.sm)
    await expect(runner.runBlock(b.vm, { block: valid, blockAccessList: new Uint8Array(1) } as never)).rejects.toThrow(UnsupportedOptionError)
    await expect(runner.runBlock(b.vm, { block: valid, blockAccessList: new Uint8Array(1) } as never)).rejects.toThrow(/blockAccessList/)
    expect(await rootOf(b.sm)).toBe(before)
  })

  it('runBlockParallel (a runner for one block) gives the same result', async () => {
    const b = await vmWithState(w.common, w.preState)
    const got = await runBlockParallel(b.vm, { block: valid, skipBlockValidation: true, threads: 2 })
    expect(bytesToHex(got.stateRoot)).toBe(bytesToHex(generated.stateRoot))
  })
})
