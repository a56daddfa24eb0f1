/**
 * `callerExecutes`: the calling thread is one of the engine's threads. A block runs on the
 * calling thread's lanes and on `threads − 1` workers together (the trace shows executions on
 * both), with the result of sequential execution; a failed worker stops the calling
 * thread's lanes too and the block is re-run sequentially. The property tests run random
 * blocks on this configuration too (property-tests/core.property.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { createBlockSTMExecutor, createSequentialExecutor } from '../src/executor/engine.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { p2pBlock } from '../src/bench/p2p.js'
import { mockVmModule } from '../src/bench/benchCore.js'
import { mockBaseEntries, packMockBlock } from '../src/mock/mockVm.js'
import type { TraceEvent } from '../src/executor/executor.js'
import type { MockBlock } from '../src/mock/mockVm.js'
import { MOCK_VM } from './support/mockBlocks.js'

describe('the calling thread executes beside the workers', () => {
  const accounts = 400
  const txs = 300
  // Awaited latency per transaction: executions overlap, so both threads take tasks.
  const block = p2pBlock({ txs, accounts, latencyUs: 300, workUs: 5, seed: 7, hashRoundsPerUs: 1 })
  const payload = packMockBlock(block)
  const base = new MapBaseState(mockBaseEntries(accounts, () => true))
  const executors: Array<{ close(): Promise<void> }> = []
  afterAll(async () => {
    for (const e of executors) await e.close()
  })

  it.each(['v1', 'v2'] as const)('threads 2 (one worker) × 4 lanes, scheduler %s: executions on both threads, sequential results', async (scheduler) => {
    const par = await createBlockSTMExecutor({ threads: 2, lanes: 4, vmModule: mockVmModule, scheduler, callerExecutes: true })
    const seq = createSequentialExecutor({ vmModule: mockVmModule })
    executors.push(par, seq)
    const want = await seq.execute({ txCount: txs, payload, base })
    const got = (await par.execute({ txCount: txs, payload, base, trace: true } as Parameters<typeof par.execute>[0])) as typeof want & { trace: TraceEvent[] }
    expect(got.stats.fallback).toBeUndefined()
    expect(got.stats.threads).toBe(2)
    const threads = new Set(got.trace.filter((e) => e.kind === 'execute').map((e) => e.thread))
    // Thread 0: the one worker; thread 1: the calling thread.
    expect([...threads].sort()).toEqual([0, 1])
    expect(got.outputs).toEqual(want.outputs)
    expect(got.writes).toEqual(want.writes)
  }, 60_000)
})

describe('a failed worker beside the calling thread', () => {
  it('a malformed answer: the block re-runs sequentially and equals sequential; the next block runs in parallel', async () => {
    const par = await createBlockSTMExecutor({ threads: 2, vmModule: MOCK_VM, minParallelTxs: 0, deadlineMs: 5000, callerExecutes: true })
    const seq = createSequentialExecutor({ vmModule: MOCK_VM })
    try {
      const block: MockBlock = {
        keyCount: 30,
        txs: Array.from({ length: 80 }, (_, i) => ({ ops: [{ op: 'read', k: (i * 7) % 30 }, { op: 'work', us: 20 }, { op: 'write', k: (i * 13) % 30, salt: i }] })),
      }
      const j = { txCount: block.txs.length, payload: block, base: new MapBaseState(mockBaseEntries(block.keyCount)) }
      const want = await seq.execute(j)
      // `corrupt`: the one worker always answers with a malformed message, whoever ran what.
      const got = await par.execute({ ...j, faults: { kind: 'corrupt', worker: 0 } } as Parameters<typeof par.execute>[0])
      expect(got.stats.fallback).toMatch(/^sequential: .*malformed/)
      expect(got.outputs).toEqual(want.outputs)
      expect(got.writes).toEqual(want.writes)
      const again = await par.execute(j)
      expect(again.stats.fallback).toBeUndefined()
      expect(again.outputs).toEqual(want.outputs)
      expect(again.writes).toEqual(want.writes)
    } finally {
      await par.close()
      await seq.close()
    }
  }, 60_000)
})
