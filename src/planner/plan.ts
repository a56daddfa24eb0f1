/**
 * Batch grouping of the static-batch planner.
 *
 * Transactions are placed in block order: transaction i goes into the batch right after the
 * last batch holding an earlier transaction it conflicts with (so batch(i) = 1 + the largest
 * batch among its conflicting predecessors, 0 when there are none). Transactions of one batch
 * are then predicted to be mutually independent, and a batch depends only on earlier batches.
 * The batch index is the length of the longest conflict chain ending at the transaction, so
 * the number of batches is the critical path by count; the same pass computes the critical
 * path weighted by each transaction's work.
 *
 * Conflicts (see {@link ConflictRule}): for an earlier access E and a later access L on
 * conflicting tokens, 'all' orders them unless both are deltas or both are reads; 'raw' orders
 * them only when L is a read and E a write or delta.
 */
import type { ConflictRule, Plan, TxAccess } from './types.js'

const READ = 0
const WRITE = 1
const DELTA = 2

/** Per token (or per parent: any of its parts): the highest batch and finish time of each access kind. */
class Rec {
  batch = [-1, -1, -1]
  finish = [0, 0, 0]
}

/** Which earlier access kinds a later access of `kind` must follow. */
function relevant(rule: ConflictRule, kind: number): number[] {
  if (rule === 'raw') return kind === READ ? [WRITE, DELTA] : []
  if (kind === READ) return [WRITE, DELTA]
  if (kind === WRITE) return [READ, WRITE, DELTA]
  return [READ, WRITE]
}

export function parentOf(token: string): string | undefined {
  const i = token.indexOf('/')
  return i < 0 ? undefined : token.slice(0, i)
}

/** Groups transactions into batches from their predicted accesses. */
export function planBatches(access: readonly TxAccess[], rule: ConflictRule = 'all'): Plan {
  const own = new Map<string, Rec>()
  const parts = new Map<string, Rec>()
  const n = access.length
  const batchOf = new Int32Array(n)
  const batches: number[][] = []
  const hasWork = access.some((a) => a.work !== undefined)
  let cpWork = 0
  let total = 0
  const rel = [relevant(rule, READ), relevant(rule, WRITE), relevant(rule, DELTA)]
  for (let i = 0; i < n; i++) {
    const a = access[i]!
    const lists: Array<[number, readonly string[]]> = [
      [READ, a.reads],
      [WRITE, a.writes],
      [DELTA, a.deltas ?? []],
    ]
    let b = -1
    let f = 0
    for (const [kind, tokens] of lists) {
      const kinds = rel[kind]!
      if (kinds.length === 0) continue
      for (const t of tokens) {
        const p = parentOf(t)
        const recs = [own.get(t), p === undefined ? parts.get(t) : own.get(p)]
        for (const r of recs) {
          if (r === undefined) continue
          for (const k of kinds) {
            if (r.batch[k]! > b) b = r.batch[k]!
            if (r.finish[k]! > f) f = r.finish[k]!
          }
        }
      }
    }
    const batch = b + 1
    const w = a.work ?? 0
    const finish = f + w
    total += w
    if (finish > cpWork) cpWork = finish
    batchOf[i] = batch
    if (batch === batches.length) batches.push([])
    batches[batch]!.push(i)
    for (const [kind, tokens] of lists) {
      for (const t of tokens) {
        const p = parentOf(t)
        const targets = [getRec(own, t), ...(p === undefined ? [] : [getRec(parts, p)])]
        for (const r of targets) {
          if (r.batch[kind]! < batch) r.batch[kind] = batch
          if (r.finish[kind]! < finish) r.finish[kind] = finish
        }
      }
    }
  }
  const plan: Plan = { batches, batchOf, criticalPath: batches.length }
  if (hasWork) {
    plan.criticalPathWork = cpWork
    plan.totalWork = total
  }
  return plan
}

function getRec(m: Map<string, Rec>, k: string): Rec {
  let r = m.get(k)
  if (r === undefined) m.set(k, (r = new Rec()))
  return r
}

/** The plan with every transaction in one batch of its own, in block order (a fallback). */
export function sequentialPlan(n: number): Plan {
  const batchOf = new Int32Array(n)
  const batches: number[][] = []
  for (let i = 0; i < n; i++) {
    batchOf[i] = i
    batches.push([i])
  }
  return { batches, batchOf, criticalPath: n }
}
