/**
 * The determinism kit (`blockstm-evm/testing`, src/testing): it passes on deterministic VMs
 * (the mock VM on Block-STM and on the static-batch planner with an exact and a wrong
 * predictor; the EVM binding's generated blocks; the corrected example VM) and fails, with a
 * shrunk counterexample naming the seed, the configuration and the first differing
 * transaction and location, on VMs whose nondeterminism only shows under parallel execution:
 * the example VM that caches balances across incarnations (examples/cachingVm.ts), a VM
 * whose results depend on the lane, one whose results depend on the thread, and one that
 * keeps state across incarnations (test/support/kitFaultyVm.ts). Each faulty VM also passes
 * where its fault cannot show (one lane / the calling thread), so the failures come from
 * parallel execution, not from a broken reference.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { resolve } from 'node:path'
import { checkDeterminism, DeterminismError, mockBlocks, mockBaseEntries as mockEntries, type MockBlockCase } from '../src/testing/index.js'
import { blocks as bankBlocks } from '../examples/bank.js'
import { EVM_VM_MODULE, evmCases, evmJob } from '../src/testing/evmVm.js'
import { nonePredictor } from '../src/planner/predictors.js'
import type { Fault } from './support/kitFaultyVm.js'
import { createTransactionVM } from '../src/testing/delayingVm.js'
import { pauseFor, prng, type DelayPlan } from '../src/testing/delays.js'
import { MOCK_VM_MODULE } from '../src/testing/index.js'

const root = resolve(import.meta.dirname, '..')
const FAULTY_VM = resolve(root, 'test/support/kitFaultyVm.ts')
const CACHING_VM = resolve(root, 'examples/cachingVm.ts')
const CACHING_VM_FIXED = resolve(root, 'examples/cachingVmFixed.ts')

/** Expects `p` to reject with a DeterminismError; returns it. */
async function divergence(p: Promise<unknown>): Promise<DeterminismError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(DeterminismError)
  const err = e as DeterminismError
  expect(err.message).toContain(`replay: seed ${err.seed}`)
  expect(err.message).toContain('shrunk block')
  expect(err.message).toContain(`threads ${err.threads}`)
  expect(err.divergence).toBeDefined()
  // The first differing transaction or location is named.
  expect(err.txIndex !== undefined || err.location !== undefined).toBe(true)
  if (err.txIndex !== undefined) expect(err.message).toContain(`first differing transaction: ${err.txIndex}`)
  if (err.location !== undefined) expect(err.message).toContain(`first differing location: ${err.location}`)
  return err
}

function faulty(fault: Fault) {
  return {
    vmModule: FAULTY_VM,
    blocks: mockBlocks({ maxTxs: 30, keys: { min: 2, max: 6 }, throws: false }),
    payloadFor: (c: MockBlockCase) => ({ txCount: c.block.txs.length, payload: { fault, block: c.block }, base: mockEntries(c) }),
  }
}

describe('the kit passes deterministic VMs', () => {
  it('the mock VM under Block-STM (threads 1, 2, 4; lanes 1 and 2) with forced delays', async () => {
    const r = await checkDeterminism({ runs: 12, threads: [1, 2, 4], lanes: [1, 2], txCount: 40, seed: 7 })
    expect(r.blocks).toBe(12)
    expect(r.parallelRuns).toBe(12 * 6)
    expect(r.runsWithAborts).toBeGreaterThan(0)
    expect(r.runsWithDependencyWaits).toBeGreaterThan(0)
    expect(r.configs).toEqual(['threads 1 × lanes 1', 'threads 2 × lanes 1', 'threads 4 × lanes 1', 'threads 1 × lanes 2', 'threads 2 × lanes 2', 'threads 4 × lanes 2'])
  })

  it('both schedulers (v1, v2)', async () => {
    const r = await checkDeterminism({ runs: 10, threads: [2], scheduler: ['v1', 'v2'], txCount: 40, seed: 8 })
    expect(r.configs).toEqual(['threads 2 × lanes 1, scheduler v1', 'threads 2 × lanes 1, scheduler v2'])
    expect(r.parallelRuns).toBe(20)
  })

  it('the mock VM under the static-batch planner, with the oracle and with a predictor that is always wrong', async () => {
    const oracle = await checkDeterminism({ engine: 'static-batch', runs: 15, threads: [1, 2], blocks: mockBlocks({ maxTxs: 40, hints: false }), seed: 3 })
    expect(oracle.parallelRuns).toBe(30)
    let mispredicted = 0
    await checkDeterminism({
      engine: 'static-batch',
      predict: nonePredictor,
      runs: 15,
      threads: [2],
      txCount: 40,
      seed: 4,
      onRun: (r) => {
        if ((r.stats?.planner?.mispredictions ?? 0) > 0) mispredicted++
      },
    })
    expect(mispredicted).toBeGreaterThan(0)
  })

  it("the EVM binding's generated blocks", async () => {
    const r = await checkDeterminism({ vmModule: EVM_VM_MODULE, blocks: evmCases(fc, { maxTxs: 12 }), payloadFor: evmJob, runs: 6, threads: [1, 2], seed: 11 })
    expect(r.blocks).toBe(6)
    expect(r.transactions).toBeGreaterThan(6)
  })

  it('the corrected example VM (examples/cachingVmFixed.ts)', async () => {
    const r = await checkDeterminism({ vmModule: CACHING_VM_FIXED, blocks: bankBlocks(fc), runs: 30, threads: [1, 2], seed: 5 })
    expect(r.runsWithAborts + r.runsWithDependencyWaits).toBeGreaterThan(0)
  })
})

describe('the kit catches nondeterminism that only shows under parallel execution, and shrinks it', () => {
  it('the example VM that caches balances across incarnations (examples/cachingVm.ts)', async () => {
    const err = await divergence(checkDeterminism({ vmModule: CACHING_VM, blocks: bankBlocks(fc), runs: 60, threads: [2], seed: 5 }))
    expect(err.threads).toBe(2)
    const block = err.block as { txCount: number }
    expect(block.txCount).toBeLessThanOrEqual(6)
    console.log(err.message)
  })

  it('the same example VM under the static-batch planner (a predictor that is always wrong)', async () => {
    const err = await divergence(checkDeterminism({ engine: 'static-batch', predict: nonePredictor, vmModule: CACHING_VM, blocks: bankBlocks(fc), runs: 60, threads: [2], seed: 6 }))
    expect(err.divergence!.engine).toBe('static-batch')
    expect(err.message).toContain('the static-batch planner is not deterministic')
  })

  it('a result that depends on the lane', async () => {
    await checkDeterminism({ ...faulty('lane'), runs: 15, threads: [1], lanes: 1, seed: 1 })
    const err = await divergence(checkDeterminism({ ...faulty('lane'), runs: 40, threads: [1], lanes: 2, seed: 1 }))
    expect(err.divergence!.lanes).toBe(2)
    expect((err.block as MockBlockCase).block.txs.length).toBeLessThanOrEqual(4)
  })

  it('a result that depends on the thread', async () => {
    await checkDeterminism({ ...faulty('thread'), runs: 15, threads: [1], seed: 2 })
    const err = await divergence(checkDeterminism({ ...faulty('thread'), runs: 20, threads: [2], seed: 2 }))
    expect(err.threads).toBe(2)
    expect((err.block as MockBlockCase).block.txs.length).toBeLessThanOrEqual(3)
  })

  it('state kept across incarnations', async () => {
    const err = await divergence(checkDeterminism({ ...faulty('instance'), runs: 60, threads: [2], seed: 3 }))
    expect((err.block as MockBlockCase).block.txs.length).toBeLessThanOrEqual(6)
    console.log(err.message)
  })
})

describe("the kit's wrapping view (src/testing/delayingVm.ts)", () => {
  const block = { keyCount: 4, txs: [{ ops: Array.from({ length: 40 }, (_, k) => ({ op: 'read' as const, k: k % 4 })) }] }
  /** A plain view over `values`, counting reads; `read` throws `signal` when given. */
  function plainView(signal?: unknown) {
    const view = {
      reads: 0,
      read(k: Uint8Array) {
        view.reads++
        if (signal !== undefined) throw signal
        return Uint8Array.of(k[4]! + 1)
      },
      write() {},
      addDelta() {},
      dependOn() {},
    }
    return view
  }
  const payload = (delays: DelayPlan | null, seed = 1) => ({ kit: { vmModule: MOCK_VM_MODULE, delays, seed }, payload: block })

  it('pauses around reads without changing what the VM sees, and passes the engine signal through', async () => {
    const plain = await (await createTransactionVM(payload(null), 0)).execute(0, plainView())
    const paused = await (await createTransactionVM(payload({ probability: 1, maxSpinUs: 5, maxSleepMs: 1 }), 0)).execute(0, plainView())
    expect(paused).toEqual(plain)
    // A read that throws (the engine's dependency signal) rejects the paused read with the same object.
    const signal = { name: 'DependencySignal' }
    const e = await (await createTransactionVM(payload({ probability: 1, maxSpinUs: 5, maxSleepMs: 1 }), 0)).execute(0, plainView(signal)).catch((x: unknown) => x)
    expect(e).toBe(signal)
  })

  it('pauses at about the planned rate, in a pattern fixed by the seed', () => {
    const pattern = (seed: number) => {
      const rnd = prng(seed)
      return Array.from({ length: 400 }, () => (pauseFor(rnd, { probability: 0.25, maxSpinUs: 0, maxSleepMs: 0 }) === undefined ? 0 : 1)).join('')
    }
    expect(pattern(5)).toBe(pattern(5))
    expect(pattern(5)).not.toBe(pattern(6))
    const rate = [...pattern(5)].filter((c) => c === '1').length / 400
    expect(rate).toBeGreaterThan(0.15)
    expect(rate).toBeLessThan(0.35)
  })
})
