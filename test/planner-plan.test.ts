/**
 * Batch grouping of the static-batch planner: conflict rules, parent/part tokens, critical
 * paths; and the oracle predictor's cache (per payload object, or per content key).
 */
import { describe, expect, it } from 'vitest'
import { planBatches } from '../src/planner/plan.js'
import { KEYED_CACHE_BLOCKS, oraclePredictor } from '../src/planner/predictors.js'
import type { BlockJob } from '../src/executor/types.js'
import { MOCK_VM } from './support/mockBlocks.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { mockBaseEntries, type MockBlock } from '../src/mock/mockVm.js'

describe('planBatches', () => {
  it('independent transactions share one batch; a chain gives one batch per link', () => {
    expect(planBatches([{ reads: ['a'], writes: ['a'] }, { reads: ['b'], writes: ['b'] }]).batches).toEqual([[0, 1]])
    const chain = planBatches([{ reads: [], writes: ['x'], work: 5 }, { reads: ['x'], writes: ['y'], work: 1 }, { reads: ['y'], writes: [], work: 2 }, { reads: [], writes: ['z'], work: 3 }])
    expect(chain.batches).toEqual([[0, 3], [1], [2]])
    expect(chain.criticalPath).toBe(3)
    expect(chain.criticalPathWork).toBe(8)
    expect(chain.totalWork).toBe(11)
  })
  it('a transaction goes right after the last conflicting batch, possibly below higher transactions', () => {
    const p = planBatches([{ reads: [], writes: ['a'] }, { reads: ['a'], writes: [] }, { reads: [], writes: ['b'] }, { reads: ['b'], writes: [] }])
    expect(Array.from(p.batchOf)).toEqual([0, 1, 0, 1])
  })
  it("'all' orders read→write and write–write; 'raw' only write→read", () => {
    const acc = [{ reads: ['a'], writes: [] }, { reads: [], writes: ['a'] }, { reads: [], writes: ['a'] }]
    expect(planBatches(acc, 'all').batches.length).toBe(3)
    expect(planBatches(acc, 'raw').batches.length).toBe(1)
  })
  it('deltas commute with deltas but not with reads', () => {
    const p = planBatches([{ reads: [], writes: [], deltas: ['c'] }, { reads: [], writes: [], deltas: ['c'] }, { reads: ['c'], writes: [] }])
    expect(Array.from(p.batchOf)).toEqual([0, 0, 1])
  })
  it('a whole-object token conflicts with its parts, parts with each other only when equal', () => {
    const p = planBatches([{ reads: [], writes: ['A/s:1'] }, { reads: [], writes: ['A/s:2'] }, { reads: [], writes: ['A'] }, { reads: ['A/b'], writes: [] }])
    expect(Array.from(p.batchOf)).toEqual([0, 0, 1, 2])
  })
})

describe('oraclePredictor cache', () => {
  // A mock block as the payload; a new payload object per call, as the EVM binding makes.
  const block = (): MockBlock => ({ keyCount: 4, txs: [{ ops: [{ op: 'read', k: 1 }, { op: 'write', k: 2, salt: 1 }] }, { ops: [{ op: 'read', k: 2 }] }] })
  const job = (payload: MockBlock): BlockJob => ({ txCount: payload.txs.length, payload, base: new MapBaseState(mockBaseEntries(4)) })

  it('without a key: recorded once per payload object', async () => {
    const predict = oraclePredictor(MOCK_VM)
    const a = job(block())
    expect(predict(a)).toBe(predict(a))
    expect(predict(job(block()))).not.toBe(predict(a))
  })

  it('with a key: recorded once per key across payload objects, at most KEYED_CACHE_BLOCKS keys kept', async () => {
    let key = 'x'
    const predict = oraclePredictor(MOCK_VM, undefined, () => key)
    const first = predict(job(block()))
    expect(predict(job(block()))).toBe(first)
    const sets = await first
    // Transaction 1 reads exactly what transaction 0 wrote.
    expect(sets[0]!.reads.length).toBe(1)
    expect(sets[0]!.writes.length).toBe(1)
    expect(sets[1]!.reads).toEqual(sets[0]!.writes)
    for (let i = 0; i < KEYED_CACHE_BLOCKS; i++) {
      key = `other ${i}`
      predict(job(block()))
    }
    key = 'x'
    expect(predict(job(block()))).not.toBe(first) // dropped as the oldest: recorded again
  })
})
