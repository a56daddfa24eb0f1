/**
 * VM-agnostic predictors of the static-batch planner: per-transaction conflict tokens (see
 * types.ts). The EVM's predictors live with the EVM binding (src/evm/predictors.ts).
 *
 * - `oracle`: exact, recorded (works for any VM: {@link oraclePredictor}).
 * Mock (the mock VM of src/mock/mockVm.ts, for tests):
 * - `mock-static`: the keys of the non-dynamic operations (wrong whenever dynamic keys matter);
 * - `none`: no accesses at all (everything in one batch: maximally wrong);
 * - `random`: arbitrary tokens from a seeded generator (wrong in both directions).
 */
import type { BlockJob } from '../executor/types.js'
import type { MockBlock } from '../mock/mockVm.js'
import { recordAccessSets } from './record.js'
import type { Predict, TxAccess } from './types.js'

/** The exact accesses of a sequential recording run (cached per payload object). */
export function oraclePredictor(vmModule: string, weight?: (output: unknown, i: number) => number): Predict {
  const cache = new WeakMap<object, Promise<TxAccess[]>>()
  return (job) => {
    const key = job.payload as object
    let p = cache.get(key)
    if (p === undefined) {
      p = recordAccessSets(vmModule, job).then((r) => {
        if (weight !== undefined) r.access.forEach((a, i) => (a.work = weight(r.outputs[i], i)))
        return r.access
      })
      cache.set(key, p)
    }
    return p
  }
}

// ---------------------------------------------------------------------------------------
// Mock predictors

/** Tokens of the mock transaction's non-dynamic operations. */
export function mockStaticPredictor(job: BlockJob): TxAccess[] {
  const b = job.payload as MockBlock
  return b.txs.map((tx) => {
    const reads: string[] = []
    const writes: string[] = []
    const deltas: string[] = []
    for (const op of tx.ops) {
      if (op.op !== 'read' && op.op !== 'write' && op.op !== 'delta') continue
      if (op.dynamic) continue
      const t = `k${op.k % b.keyCount}`
      if (op.op === 'read') reads.push(t)
      else if (op.op === 'write') writes.push(t)
      else deltas.push(t)
    }
    return { reads, writes, deltas }
  })
}

/** No accesses at all: every transaction in one batch. */
export function nonePredictor(job: BlockJob): TxAccess[] {
  return Array.from({ length: job.txCount }, () => ({ reads: [], writes: [] }))
}

/** Seeded random tokens over `universe` names. */
export function randomPredictor(seed: number, universe = 8): Predict {
  return (job) => {
    let s = seed >>> 0 || 1
    const rnd = () => {
      s ^= s << 13
      s ^= s >>> 17
      s ^= s << 5
      return (s >>> 0) / 2 ** 32
    }
    return Array.from({ length: job.txCount }, () => {
      const reads: string[] = []
      const writes: string[] = []
      const n = Math.floor(rnd() * 3)
      for (let i = 0; i < n; i++) (rnd() < 0.5 ? reads : writes).push(`r${Math.floor(rnd() * universe)}`)
      return { reads, writes }
    })
  }
}
