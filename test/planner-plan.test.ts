/** Batch grouping of the static-batch planner: conflict rules, parent/part tokens, critical paths. */
import { describe, expect, it } from 'vitest'
import { planBatches } from '../src/planner/plan.js'

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
