/**
 * A VM module's optional `warmUp` (executor/types.ts): each worker calls it once, when the
 * module has loaded, whatever number of blocks follows; a warm-up that throws changes nothing
 * (the blocks run with the results of sequential execution).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createBlockSTMExecutor, createSequentialExecutor } from '../src/executor/engine.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { p2pBlock } from '../src/bench/p2p.js'
import { mockBaseEntries, packMockBlock } from '../src/mock/mockVm.js'

const vmModule = resolve(import.meta.dirname, 'support/warmUpVm.ts')

describe("the VM module's warmUp", () => {
  const accounts = 200
  const txs = 120
  const payload = packMockBlock(p2pBlock({ txs, accounts, latencyUs: 100, workUs: 5, seed: 3, hashRoundsPerUs: 1 }))
  const base = new MapBaseState(mockBaseEntries(accounts, () => true))
  const dir = mkdtempSync(join(tmpdir(), 'blockstm-warmup-'))
  afterAll(() => {
    delete process.env.BLOCKSTM_TEST_WARMUP_DIR
    delete process.env.BLOCKSTM_TEST_WARMUP_FAIL
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs once in each worker, before or beside its first block, and not again', async () => {
    process.env.BLOCKSTM_TEST_WARMUP_DIR = dir
    const par = await createBlockSTMExecutor({ threads: 3, lanes: 2, vmModule })
    const seq = createSequentialExecutor({ vmModule })
    try {
      const want = await seq.execute({ txCount: txs, payload, base })
      for (let b = 0; b < 2; b++) {
        const got = await par.execute({ txCount: txs, payload, base })
        expect(got.outputs).toEqual(want.outputs)
        expect(got.writes).toEqual(want.writes)
      }
      const files = readdirSync(dir)
      // Three workers (the calling thread does not execute here), one call each.
      expect(files).toHaveLength(3)
      for (const f of files) expect(readFileSync(join(dir, f), 'utf8')).toBe('warmUp\n')
    } finally {
      await par.close()
    }
  }, 60_000)

  it('a warm-up that throws is ignored: the blocks run as sequential execution does', async () => {
    process.env.BLOCKSTM_TEST_WARMUP_FAIL = '1'
    const par = await createBlockSTMExecutor({ threads: 2, lanes: 2, vmModule })
    const seq = createSequentialExecutor({ vmModule })
    try {
      const want = await seq.execute({ txCount: txs, payload, base })
      const got = await par.execute({ txCount: txs, payload, base })
      expect(got.stats.fallback).toBeUndefined()
      expect(got.outputs).toEqual(want.outputs)
      expect(got.writes).toEqual(want.writes)
    } finally {
      await par.close()
    }
  }, 60_000)
})
