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

/**
 * The exact accesses of a sequential recording run, made once per block and cached: by
 * payload object, or by `keyOf(job)` when given (a key of the block's content, so that a
 * caller who builds a new payload for every call of the same block, as the EVM binding does,
 * still gets the sets recorded once — as a block access list that comes with the block). At
 * most `KEYED_CACHE_BLOCKS` keyed blocks are kept. A stale or wrong entry can only cost time:
 * the planner validates every batch and re-executes what a prediction missed.
 */
export function oraclePredictor(vmModule: string, weight?: (output: unknown, i: number) => number, keyOf?: (job: BlockJob) => string): Predict {
  const byObject = new WeakMap<object, Promise<TxAccess[]>>()
  const byKey = new Map<string, Promise<TxAccess[]>>()
  return (job) => {
    const key = keyOf?.(job)
    let p = key !== undefined ? byKey.get(key) : byObject.get(job.payload as object)
    if (p === undefined) {
      p = recordAccessSets(vmModule, job).then((r) => {
        if (weight !== undefined) r.access.forEach((a, i) => (a.work = weight(r.outputs[i], i)))
        return r.access
      })
      if (key === undefined) byObject.set(job.payload as object, p)
      else {
        if (byKey.size >= KEYED_CACHE_BLOCKS) byKey.delete(byKey.keys().next().value!)
        byKey.set(key, p)
        // A failed recording is not cached: the next call records again.
        p.catch(() => byKey.delete(key))
      }
    }
    return p
  }
}

/** Blocks whose recorded sets a keyed oracle keeps (oldest dropped first). */
export const KEYED_CACHE_BLOCKS = 4

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
