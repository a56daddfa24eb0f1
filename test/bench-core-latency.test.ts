/**
 * The latency-model `bench-core` (src/bench/p2p.ts, src/bench/benchCore.ts) and the
 * `--scheduler` option.
 *
 * What it proves:
 * - the p2p block moves values between two distinct accounts (one account: to itself), and
 *   its critical path is the exact read-after-write chain: hand-built blocks whose longest
 *   chain is known (a chain, independent pairs, a join) give exactly that, and `bound` is
 *   min(executions in flight, txs / critical path);
 * - the packed form of a mock block (what bench-core sends to the workers: one typed array)
 *   unpacks to the same block for every op kind, and executes to the same result;
 * - a small latency-model run on each scheduler returns the figures the report reads
 *   (speedup, bound, executionsPerTx, sequentialMs, parallelMs) with results identical to
 *   sequential execution;
 * - bad options (`--accounts 0`, `--latency-us -1`, `--scheduler v3`, `--keys` with
 *   `--accounts`) print one line on stderr and exit 2, on bench-core, bench and block;
 *   the library rejects an unknown scheduler with `UnknownSchedulerError`.
 */
import { describe, expect, it } from 'vitest'
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { criticalPath, dependencyBound, p2pBlock } from '../src/bench/p2p.js'
import { benchLatency } from '../src/bench/benchCore.js'
import { createBlockSTMExecutor, UnknownSchedulerError } from '../src/executor/blockstm.js'
import { MOCK_VM } from './support/mockBlocks.js'
import { createTransactionVM, mix, mockBaseEntries, mockKey, packMockBlock, unpackMockBlock, type MockBlock, type MockOp } from '../src/mock/mockVm.js'
import { decodeNumeric, encodeNumeric } from '../src/mvmemory/numeric.js'
import { createSequentialExecutor } from '../src/executor/engine.js'
import { MapBaseState } from '../src/executor/baseState.js'

const ROOT = resolve(import.meta.dirname, '..')
const run = promisify(execFile)

function block(pairs: Array<[number, number]>, keyCount = 16): MockBlock {
  return {
    keyCount,
    txs: pairs.map(([a, b], i) => ({
      ops: [{ op: 'read', k: a }, { op: 'read', k: b }, { op: 'write', k: a, salt: i }, { op: 'write', k: b, salt: i }] as MockOp[],
    })),
  }
}

describe('p2p workload and its dependency bound', () => {
  it('each transaction moves a value between two distinct accounts', () => {
    const b = p2pBlock({ txs: 500, accounts: 7, latencyUs: 100, workUs: 0, seed: 3, hashRoundsPerUs: 1 })
    expect(b.txs).toHaveLength(500)
    for (const tx of b.txs) {
      const reads = tx.ops.filter((o) => o.op === 'read').map((o) => (o as { k: number }).k)
      expect(reads).toHaveLength(2)
      expect(reads[0]).not.toBe(reads[1])
      expect(tx.ops.some((o) => o.op === 'sleep' && o.us === 100)).toBe(true)
    }
    const one = p2pBlock({ txs: 3, accounts: 1, latencyUs: 0, workUs: 0, seed: 1, hashRoundsPerUs: 1 })
    expect(one.txs[0]!.ops).toEqual([{ op: 'read', k: 0 }, { op: 'write', k: 0, salt: 0 }])
  })

  it('critical path is the longest read-after-write chain', () => {
    expect(criticalPath(block([[0, 1], [1, 2], [2, 3], [3, 4]]))).toBe(4) // a chain
    expect(criticalPath(block([[0, 1], [2, 3], [4, 5], [6, 7]]))).toBe(1) // independent
    expect(criticalPath(block([[0, 1], [2, 3], [1, 2], [4, 5], [5, 6]]))).toBe(2) // a join
    expect(criticalPath(block([[0, 1], [0, 1], [2, 3], [0, 1]]))).toBe(3)
    expect(dependencyBound(block([[0, 1], [2, 3], [4, 5], [6, 7]]), 2)).toEqual({ criticalPath: 1, bound: 2 })
    expect(dependencyBound(block([[0, 1], [1, 2], [2, 3], [3, 4]]), 32)).toEqual({ criticalPath: 4, bound: 1 })
    // Two accounts: every transaction touches both, the block is one chain.
    expect(criticalPath(p2pBlock({ txs: 100, accounts: 2, latencyUs: 0, workUs: 0, seed: 9, hashRoundsPerUs: 1 }))).toBe(100)
  })

  for (const scheduler of ['v1', 'v2'] as const) {
    it(`a small latency-model run (${scheduler}) reports the figures, identical to sequential`, async () => {
      const r = await benchLatency({ txs: 60, accounts: 6, latencyUs: 200, workUs: 0, threads: 2, lanes: 4, seed: 1, scheduler, harness: { minWarmup: 1, maxWarmup: 1, rounds: 1 } })
      expect(r.identical).toBe(true)
      expect(r.scheduler).toBe(scheduler)
      expect(r.inFlight).toBe(8)
      expect(r.bound).toBeGreaterThan(0)
      expect(r.bound).toBeLessThanOrEqual(8)
      expect(r.executionsPerTx).toBeGreaterThanOrEqual(1)
      for (const k of ['speedup', 'sequentialMs', 'parallelMs'] as const) expect(r[k]).toBeGreaterThan(0)
    }, 60_000)
  }
})

describe('packed mock blocks', () => {
  const every: MockBlock = {
    keyCount: 7,
    hashRoundsPerUs: 3,
    txs: [
      { ops: [{ op: 'read', k: 1 }, { op: 'read', k: 2, dynamic: true }, { op: 'write', k: 3, salt: 9 }, { op: 'write', k: 4, salt: 5, dynamic: true }] },
      { ops: [{ op: 'delta', k: 5, amount: 11 }, { op: 'delta', k: 6, amount: 2, dynamic: true }, { op: 'revert', m: 3 }, { op: 'throw', m: 1_000_003 }] },
      { ops: [] },
      { ops: [{ op: 'work', us: 2 }, { op: 'sleep', us: 250 }, { op: 'delay', kind: 'macro' }, { op: 'delay', kind: 'micro' }, { op: 'depend', tx: 0 }] },
    ],
  }

  it('unpack(pack(block)) is the block, for every op kind', () => {
    const packed = packMockBlock(every)
    expect(packed.packed).toBeInstanceOf(Float64Array)
    expect(unpackMockBlock(packed)).toEqual(every)
    const p2p = p2pBlock({ txs: 300, accounts: 50, latencyUs: 0, workUs: 1, seed: 3, hashRoundsPerUs: 1 })
    expect(unpackMockBlock(packMockBlock(p2p))).toEqual(p2p)
  })

  it('the VM runs the ops as written: a p2p block equals a direct reading of its op objects', async () => {
    const b = p2pBlock({ txs: 200, accounts: 20, latencyUs: 0, workUs: 0, seed: 5, hashRoundsPerUs: 1 })
    // The oracle: each op object read in block order, on a plain map.
    const state = new Map<number, Uint8Array>(mockBaseEntries(20, () => true).map(([, v], k) => [k, v]))
    const accs: number[] = []
    b.txs.forEach((tx, i) => {
      let acc = i
      const writes: Array<[number, Uint8Array]> = []
      for (const op of tx.ops) {
        if (op.op === 'read') acc = mix(acc, Number(decodeNumeric(state.get(op.k)) & 0xffffffffn))
        else if (op.op === 'write') writes.push([op.k, encodeNumeric(BigInt(mix(acc, op.salt)))])
        else if (op.op !== 'sleep' && op.op !== 'work') throw new Error(`the oracle does not read ${op.op}`)
      }
      for (const [k, v] of writes) state.set(k, v)
      accs.push(acc)
    })
    const seq = createSequentialExecutor({ vmModule: MOCK_VM })
    const base = new MapBaseState(mockBaseEntries(20, () => true))
    for (const payload of [b, packMockBlock(b)]) {
      const r = await seq.execute({ txCount: 200, payload, base })
      expect(r.outputs).toEqual(accs.map((acc) => ({ status: 'ok', acc })))
      const hex = (u: Uint8Array) => Buffer.from(u).toString('hex')
      const expected = new Map([...state].map(([k, v]) => [hex(mockKey(k)), hex(v)]))
      const before = new Map(mockBaseEntries(20, () => true).map(([k, v]) => [hex(k), hex(v)]))
      const changed = [...expected].filter(([k, v]) => before.get(k) !== v)
      expect(changed.length).toBeGreaterThan(0)
      expect(r.writes.map(([k, v]) => [hex(k), hex(v)]).sort()).toEqual(changed.sort())
    }
    await seq.close()
  })

  it('an unknown op code is refused', async () => {
    const p = packMockBlock({ keyCount: 2, txs: [{ ops: [{ op: 'read', k: 0 }] }] })
    p.packed[3] = 42
    expect(() => unpackMockBlock(p)).toThrow(/unknown op code 42/)
    await expect(createTransactionVM(p).execute(0, {} as never)).rejects.toThrow(/unknown op code 42/)
  })
})

describe('bad options', () => {
  const cases: string[][] = [
    ['bench-core', '--accounts', '0'],
    ['bench-core', '--accounts', '10', '--latency-us', '-1'],
    ['bench-core', '--accounts', '10', '--scheduler', 'v3'],
    ['bench-core', '--keys', '5', '--accounts', '10'],
    ['bench', '--workload', 'nft', '--scheduler', 'v3'],
    ['block', 'nowhere', '--engine', 'blockstm', '--scheduler', 'v3'],
  ]
  it('print one line and exit 2', async () => {
    const results = await Promise.all(
      cases.map((args) =>
        run(process.execPath, [join(ROOT, 'bin/blockstm.js'), ...args], { cwd: ROOT }).then(
          () => ({ args, code: 0, stderr: '' }),
          (e: { code: number; stderr: string }) => ({ args, code: e.code, stderr: e.stderr }),
        ),
      ),
    )
    for (const r of results) {
      expect({ args: r.args, code: r.code }).toEqual({ args: r.args, code: 2 })
      expect(r.stderr.trim().split('\n')).toHaveLength(1)
    }
  }, 60_000)

  it('the library rejects an unknown scheduler', async () => {
    await expect(createBlockSTMExecutor({ threads: 1, vmModule: MOCK_VM, scheduler: 'v3' as 'v1' })).rejects.toBeInstanceOf(UnknownSchedulerError)
  })
})
