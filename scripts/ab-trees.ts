/**
 * A/B of two checkouts of this repository in one process: the same block, run alternately by
 * tree A's and tree B's engines (A then B in odd rounds, B then A in even ones), after a
 * warm-up of each, so that both see the same machine load. Prints, per engine, the median
 * wall time of each tree and the ratio B/A (below 1: B is faster), and checks that both trees
 * give the same result. Both trees must resolve the same node_modules (e.g. a symlink), so
 * that only their own code differs.
 *
 *   npx tsx scripts/ab-trees.ts <treeA> <treeB> evm  [--txs 2000] [--accounts 10000] [--threads 2] [--rounds 11]
 *   npx tsx scripts/ab-trees.ts <treeA> <treeB> core [--txs 2000] [--keys 100000] [--threads 2] [--rounds 11]
 *
 * `evm`: an erc20 workload block through `createEvmExecutor` (sequential and blockstm), as
 * `blockstm bench --workload erc20` runs it; `core`: the mock CPU-bound block of
 * `blockstm bench-core` through the engine alone (sequential and Block-STM executors).
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    txs: { type: 'string', default: '2000' },
    accounts: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '100000' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '11' },
    warmup: { type: 'string', default: '3' },
  },
})
const [treeA, treeB, mode] = positionals
if (treeA === undefined || treeB === undefined || (mode !== 'evm' && mode !== 'core')) {
  process.stderr.write('usage: ab-trees.ts <treeA> <treeB> evm|core [--txs n] [--accounts n] [--keys n] [--threads n] [--rounds n]\n')
  process.exit(2)
}
const txs = Number(values.txs)
const threads = Number(values.threads)
const rounds = Number(values.rounds)
const warmup = Number(values.warmup)
const trees = { A: resolve(treeA), B: resolve(treeB) }

/** One engine of one tree: runs the block once, returns ms and a digest of the result. */
type Run = () => Promise<{ ms: number; digest: string }>
interface Side {
  engine: string
  A: Run
  B: Run
  close(): Promise<void>
}

async function evmSides(): Promise<Side[]> {
  const { workloadBlock } = await import(`${trees.A}/src/bench/evmBlock.ts`)
  const b = await workloadBlock({ kind: 'erc20', txs, accounts: Number(values.accounts), seed: 1 })
  const sides: Side[] = []
  for (const engine of ['sequential', 'blockstm']) {
    const ex: Record<'A' | 'B', { executeBlock(a: unknown): Promise<any>; close(): Promise<void> }> = {} as never
    for (const t of ['A', 'B'] as const) {
      const { createEvmExecutor } = await import(`${trees[t]}/src/evm/index.ts`)
      ex[t] = createEvmExecutor(engine === 'sequential' ? { engine } : { engine, threads })
    }
    const run = (t: 'A' | 'B'): Run => async () => {
      const t0 = performance.now()
      const r = await ex[t].executeBlock({ block: b.block, preState: b.preState, blockHashes: b.blockHashes, senderHints: b.senderHints })
      const ms = performance.now() - t0
      const diff = (r.stateDiff as Array<[Uint8Array, Uint8Array]>).map(([k, v]) => Buffer.from(k).toString('hex') + '=' + Buffer.from(v).toString('hex')).join(',')
      return { ms, digest: `${r.gasUsed} ${Buffer.from(r.receiptsRoot ?? []).toString('hex')} ${diff.length}:${hash(diff)}` }
    }
    sides.push({ engine, A: run('A'), B: run('B'), close: async () => void (await Promise.all([ex.A.close(), ex.B.close()])) })
  }
  return sides
}

async function coreSides(): Promise<Side[]> {
  const keys = Number(values.keys)
  const { conflictBlock } = await import(`${trees.A}/src/bench/benchCore.ts`)
  const { calibrateHashRounds } = await import(`${trees.A}/src/mock/mockVm.ts`)
  const block = conflictBlock(txs, keys, 100, 1, calibrateHashRounds())
  const sides: Side[] = []
  for (const engine of ['sequential', 'blockstm']) {
    const runs: Partial<Record<'A' | 'B', Run>> = {}
    const closers: Array<() => Promise<void>> = []
    for (const t of ['A', 'B'] as const) {
      const eng = await import(`${trees[t]}/src/executor/engine.ts`)
      const { MapBaseState } = await import(`${trees[t]}/src/executor/baseState.ts`)
      const { mockBaseEntries } = await import(`${trees[t]}/src/mock/mockVm.ts`)
      const vmModule = `${trees[t]}/src/mock/mockVm.ts`
      const job = { txCount: txs, payload: block, base: new MapBaseState(mockBaseEntries(Math.min(keys, 1_000_000))) }
      const ex = engine === 'sequential' ? eng.createSequentialExecutor({ vmModule }) : await eng.createBlockSTMExecutor({ threads, vmModule })
      closers.push(() => ex.close())
      runs[t] = async () => {
        const t0 = performance.now()
        const r = await ex.execute(job)
        const ms = performance.now() - t0
        const diff = (r.writes as Array<[Uint8Array, Uint8Array]>).map(([k, v]) => Buffer.from(k).toString('hex') + '=' + Buffer.from(v).toString('hex')).join(',')
        return { ms, digest: `${r.outputs.length} ${hash(diff)}` }
      }
    }
    sides.push({ engine, A: runs.A!, B: runs.B!, close: async () => void (await Promise.all(closers.map((c) => c()))) })
  }
  return sides
}

function hash(s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0
  return h.toString(16)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const sides = mode === 'evm' ? await evmSides() : await coreSides()
const out: Record<string, unknown> = { mode, txs, threads, rounds, treeA: trees.A, treeB: trees.B }
let same = true
try {
  for (const s of sides) {
    for (let i = 0; i < warmup; i++) await s.A(), await s.B()
  }
  const ms: Record<string, { A: number[]; B: number[] }> = Object.fromEntries(sides.map((s) => [s.engine, { A: [], B: [] }]))
  for (let r = 0; r < rounds; r++) {
    for (const s of sides) {
      const order = r % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)
      const digests: Record<string, string> = {}
      for (const t of order) {
        const x = await s[t]()
        ms[s.engine]![t].push(x.ms)
        digests[t] = x.digest
      }
      if (digests.A !== digests.B) same = false
    }
  }
  for (const s of sides) {
    const a = median(ms[s.engine]!.A)
    const b = median(ms[s.engine]!.B)
    out[s.engine] = { medianMsA: Math.round(a * 10) / 10, medianMsB: Math.round(b * 10) / 10, ratioBA: Math.round((b / a) * 1000) / 1000 }
  }
  out.identicalResults = same
} finally {
  for (const s of sides) await s.close()
}
console.log(JSON.stringify(out))
