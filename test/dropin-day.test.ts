/**
 * A short client's day (BLOCKSTM_LONG_RUN=1: 200 blocks; scripts/dropin-day.ts runs 1,000 with
 * memory figures): consecutive generated blocks through one drop-in runner on the persistent
 * store; every state root equals runBlock's on a copy — in a child process by default (so that
 * the memory figures are the runner's alone), or in this process — and no worker is ever
 * replaced. Memory samples come with their anonymous / file-backed split on Linux.
 */
import { describe, expect, it } from 'vitest'
import { runClientDay } from '../src/bench/dropinDay.js'

describe('drop-in runner across consecutive blocks on the store', () => {
  it("every state root equals runBlock's (copy in a child process); no worker restart", async () => {
    const blocks = process.env.BLOCKSTM_LONG_RUN === '1' ? 200 : 12
    const r = await runClientDay({ blocks, txsPerBlock: 24 })
    expect(r.isolated).toBe(true)
    expect(r.pruned).toBe(true) // the store a client that builds on its latest state opens
    expect(r.blocks).toBe(blocks)
    expect(r.mismatches).toEqual([])
    expect(r.workerFailures).toEqual([])
    expect(r.runBlockMs).toBeGreaterThan(0)
    expect(r.memory).toHaveLength(blocks)
    if (process.platform === 'linux') for (const m of r.memory) expect(m.anon! + m.file!).toBeLessThanOrEqual(m.rss + 2 ** 20)
  }, 600_000)

  it('the same with the copy in this process', async () => {
    const r = await runClientDay({ blocks: 4, txsPerBlock: 24, isolateReference: false })
    expect(r.isolated).toBe(false)
    expect(r.mismatches).toEqual([])
    expect(r.workerFailures).toEqual([])
  }, 600_000)
})
