/**
 * `EvmExecutorOptions` is a union keyed on `engine`: an option of one engine given with
 * another engine does not type-check. The `@ts-expect-error` lines are checked by
 * `tsc --noEmit` (CI type-checks test/): each fails the type-check if it ever compiles,
 * i.e. if an option became silently accepted by an engine that ignores it. No executor is
 * started (nothing here executes a block).
 */
import { describe, expect, it } from 'vitest'
import { createEvmExecutor, type EvmExecutorOptions } from '../src/evm/index.js'

describe('EvmExecutorOptions', () => {
  it("rejects another engine's options at compile time", () => {
    const wrong: EvmExecutorOptions[] = [
      // @ts-expect-error lanes is a blockstm option
      { engine: 'sequential', lanes: 2 },
      // @ts-expect-error threads is not an option of the sequential engine
      { engine: 'sequential', threads: 2 },
      // @ts-expect-error predictor is a static-batch option
      { engine: 'blockstm', predictor: 'address' },
      // @ts-expect-error minParallelTxs is a blockstm option
      { engine: 'static-batch', minParallelTxs: 0 },
      // @ts-expect-error trace is a blockstm option
      { engine: 'static-batch', trace: true },
      // @ts-expect-error without an engine the options are the sequential engine's
      { threads: 2 },
    ]
    const right: EvmExecutorOptions[] = [
      {},
      { engine: 'sequential', crypto: 'default', coinbaseDelta: false, readLatencyUs: 10 },
      { engine: 'blockstm', threads: 2, lanes: 4, minParallelTxs: 0, chainFallbackRatio: 0.5, trace: true, readLatencyUs: 10 },
      { engine: 'static-batch', threads: 2, predictor: 'oracle', crypto: 'native' },
    ]
    expect(wrong).toHaveLength(6)
    expect(right).toHaveLength(4)
  })

  it('reports the engine and its threads (sequential: 1) without starting it', async () => {
    const cases: Array<[EvmExecutorOptions, string, number]> = [
      [{}, 'sequential', 1],
      [{ engine: 'blockstm', threads: 3 }, 'blockstm', 3],
      [{ engine: 'static-batch' }, 'static-batch', 1],
    ]
    for (const [opts, engine, threads] of cases) {
      const ex = createEvmExecutor(opts)
      expect([ex.engine, ex.threads]).toEqual([engine, threads])
      await ex.close()
    }
  })
})
