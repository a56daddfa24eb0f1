/**
 * A short client's day (BLOCKSTM_LONG_RUN=1: 200 blocks; scripts/dropin-day.ts runs 1,000 with
 * memory figures): consecutive generated blocks through one drop-in runner on the persistent
 * store; every state root equals runBlock's on a copy, and no worker is ever replaced.
 */
import { describe, expect, it } from 'vitest'
import { runClientDay } from '../src/bench/dropinDay.js'

describe('drop-in runner across consecutive blocks on the store', () => {
  it('every state root equals runBlock\'s; no worker restart', async () => {
    const blocks = process.env.BLOCKSTM_LONG_RUN === '1' ? 200 : 12
    const r = await runClientDay({ blocks, txsPerBlock: 24 })
    expect(r.blocks).toBe(blocks)
    expect(r.mismatches).toEqual([])
    expect(r.workerFailures).toEqual([])
  }, 600_000)
})
