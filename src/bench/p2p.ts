/**
 * The latency-model peer-to-peer workload of `bench-core --accounts K --latency-us L`
 * (the paper's p2p experiments, with execution mostly awaited latency as Grevm models
 * storage I/O): each transaction moves a value between two distinct accounts of K (K = 1:
 * the one account to itself), drawn with a seeded generator. A transaction reads both
 * balances from the multi-version memory, then awaits L µs (its storage I/O, overlapped with
 * other executions by the lanes of a thread), burns `workUs` µs of CPU, and writes both
 * balances with values derived from what it read.
 *
 * {@link dependencyBound}: the exact read-after-write dependency graph of the block (a
 * transaction depends on the last lower writer of each account it reads) gives its critical
 * path; every transaction costs the same, so total work / critical-path work =
 * txs / (longest chain). No schedule can beat min(executions in flight, that ratio).
 */
import type { MockBlock, MockTx } from '../mock/mockVm.js'

export interface P2PBlockOptions {
  txs: number
  accounts: number
  latencyUs: number
  workUs: number
  seed: number
  hashRoundsPerUs: number
}

/** The p2p block; transaction i moves a value from account `from[i]` to `to[i]`. */
export function p2pBlock(o: P2PBlockOptions): MockBlock {
  let s = o.seed >>> 0 || 1
  const next = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0)
  const txs: MockTx[] = []
  for (let i = 0; i < o.txs; i++) {
    const from = next() % o.accounts
    let to = next() % o.accounts
    if (o.accounts > 1 && to === from) to = (to + 1 + (next() % (o.accounts - 1))) % o.accounts
    const ops: MockTx['ops'] = [{ op: 'read', k: from }]
    if (to !== from) ops.push({ op: 'read', k: to })
    if (o.latencyUs > 0) ops.push({ op: 'sleep', us: o.latencyUs })
    if (o.workUs > 0) ops.push({ op: 'work', us: o.workUs })
    ops.push({ op: 'write', k: from, salt: 2 * i })
    if (to !== from) ops.push({ op: 'write', k: to, salt: 2 * i + 1 })
    txs.push({ ops })
  }
  return { keyCount: o.accounts, txs, hashRoundsPerUs: o.hashRoundsPerUs }
}

/** Longest chain of the block's read-after-write dependencies (static keys only). */
export function criticalPath(block: MockBlock): number {
  const lastDepth = new Map<number, number>()
  let longest = 0
  for (const tx of block.txs) {
    let d = 1
    for (const op of tx.ops) {
      if (op.op === 'read' || op.op === 'delta') {
        if (op.dynamic) throw new RangeError('criticalPath: value-dependent keys have no static dependency graph')
        // A delta does not read, but a later reader folds it: it orders like a write.
        if (op.op === 'read') d = Math.max(d, 1 + (lastDepth.get(op.k % block.keyCount) ?? 0))
      }
    }
    for (const op of tx.ops) {
      if (op.op === 'write' || op.op === 'delta') {
        if (op.dynamic) throw new RangeError('criticalPath: value-dependent keys have no static dependency graph')
        lastDepth.set(op.k % block.keyCount, d)
      }
    }
    longest = Math.max(longest, d)
  }
  return longest
}

/** min(executions in flight, total work / critical-path work) for equal-cost transactions. */
export function dependencyBound(block: MockBlock, inFlight: number): { criticalPath: number; bound: number } {
  const cp = criticalPath(block)
  return { criticalPath: cp, bound: Math.min(inFlight, block.txs.length / Math.max(1, cp)) }
}
