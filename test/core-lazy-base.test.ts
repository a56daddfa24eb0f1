/**
 * The engine's fetch path for a lazy base state (`BaseState.lazy`: read only through an
 * asynchronous `get` on the calling thread, never enumerated). Generated mock blocks run on
 * Block-STM (threads 1 and 2, several lanes) against a lazy copy of the pre-state must equal
 * the sequential engine on the plain pre-state, with every location read from the source at
 * most once per block and no full load. A `get` that fails mid-block fails the block with
 * BaseStateReadError (never a partial result, never a sequential re-run), and the executor
 * runs the next block normally.
 */
import { afterAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor } from '../src/executor/engine.js'
import { BaseStateReadError, MapBaseState, type BaseState } from '../src/executor/baseState.js'
import { keyToString } from '../src/executor/keys.js'
import { mockAdversarial } from '../src/reliability/adversarial.js'
import { MOCK_VM, baseEntries, blockCaseArb, divergence, runParallel, runSequential, type BlockCase } from './support/mockBlocks.js'

/** A lazy source over a map: asynchronous reads (a macrotask each), counted per key. */
class LazySource implements BaseState {
  readonly lazy = true
  readonly reads = new Map<string, number>()
  private readonly inner: MapBaseState
  constructor(
    c: BlockCase,
    private readonly failAt = -1,
  ) {
    this.inner = new MapBaseState(baseEntries(c))
  }
  get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const s = keyToString(key)
    this.reads.set(s, (this.reads.get(s) ?? 0) + 1)
    const n = [...this.reads.values()].reduce((a, b) => a + b, 0)
    return new Promise((resolve, reject) =>
      setImmediate(() => (n === this.failAt ? reject(new Error('disk read failed')) : resolve(this.inner.get(key)))),
    )
  }
  entries(): Iterable<[Uint8Array, Uint8Array]> {
    throw new Error('a lazy base state is never enumerated')
  }
}

const RUNS = Number(process.env.BLOCKSTM_PROPERTY_RUNS ?? 25)
const seq = createSequentialExecutor({ vmModule: MOCK_VM })
const configs: Array<[string, () => Promise<BlockExecutor>]> = [
  ['threads 1 lanes 4', () => createBlockSTMExecutor({ threads: 1, lanes: 4, vmModule: MOCK_VM, minParallelTxs: 0 })],
  ['threads 2 lanes 4', () => createBlockSTMExecutor({ threads: 2, lanes: 4, vmModule: MOCK_VM, minParallelTxs: 0 })],
  ['threads 2 lanes 4 scheduler v2', () => createBlockSTMExecutor({ threads: 2, lanes: 4, vmModule: MOCK_VM, minParallelTxs: 0, scheduler: 'v2' })],
]
const opened: BlockExecutor[] = []
afterAll(async () => {
  for (const e of opened) await e.close()
})

describe.each(configs)('lazy base state on Block-STM %s', (_name, make) => {
  it('equals sequential on generated blocks; each location read at most once per block', async () => {
    const ex = await make()
    opened.push(ex)
    await fc.assert(
      fc.asyncProperty(blockCaseArb({ throws: false, maxTxs: 80 }), async (c) => {
        const want = await runSequential(seq, { txCount: c.block.txs.length, payload: c.block, base: new MapBaseState(baseEntries(c)) })
        const source = new LazySource(c)
        const r = await ex.execute({ txCount: c.block.txs.length, payload: c.block, base: source })
        const got = await runParallel(ex, { txCount: c.block.txs.length, payload: c.block, base: new LazySource(c) })
        expect(divergence(want, got, c.block.txs.length)).toBeUndefined()
        for (const [k, n] of source.reads) expect(n, `location ${k} read ${n} times`).toBe(1)
        if (r.stats.fallback === undefined) {
          expect(r.stats.fetch).toBeDefined()
          expect(r.stats.fetch!.fetches).toBe(source.reads.size)
        }
      }),
      { numRuns: RUNS },
    )
  })

  it('a read that fails mid-block fails it with BaseStateReadError; the next block runs', async () => {
    const ex = await make()
    opened.push(ex)
    // 60 transactions reading and writing 61 distinct locations: the 20th read fails.
    const c: BlockCase = { block: mockAdversarial('chain', 60), presence: { kind: 'even' } }
    const want = await runSequential(seq, { txCount: c.block.txs.length, payload: c.block, base: new MapBaseState(baseEntries(c)) })
    const source = new LazySource(c, 20)
    const err = await ex.execute({ txCount: c.block.txs.length, payload: c.block, base: source }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BaseStateReadError)
    expect((err as Error).message).toMatch(/disk read failed/)
    const again = await runParallel(ex, { txCount: c.block.txs.length, payload: c.block, base: new LazySource(c) })
    expect(divergence(want, again, c.block.txs.length)).toBeUndefined()
  })
})
