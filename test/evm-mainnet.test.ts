/**
 * Every mainnet fixture block: the header checks hold and the post-state equals that of a plain
 * @ethereumjs runBlock, for the sequential engine; the blockstm engine (threads 1, 2, 4) must
 * then equal the sequential result exactly (at 2 threads with the chain fallback off).
 * Fixtures root: $BLOCKSTM_FIXTURES or ../shared/fixtures.
 */
import { describe, expect, it, afterAll } from 'vitest'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createEvmExecutor, loadBlockFixture, type EvmBlockResult } from '../src/evm/index.js'
import { normalizePost, runReference } from './evm-reference.js'

const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', 'fixtures'))
const mainnet = join(root, 'mainnet')
const have = existsSync(mainnet)
if (!have) console.warn(`evm-mainnet: no fixtures at ${mainnet} (set BLOCKSTM_FIXTURES); skipping`)
const blocks = have
  ? readdirSync(mainnet).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
  : []

const sequential: Map<string, EvmBlockResult> = new Map()

describe.skipIf(!have)('mainnet fixtures, sequential engine vs runBlock', () => {
  const ex = createEvmExecutor({ engine: 'sequential' })
  afterAll(() => ex.close())
  it.each(blocks)('block %s', async (n) => {
    const f = await loadBlockFixture(join(mainnet, n))
    const r = await ex.executeBlock({ block: f.block, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints })
    sequential.set(n, r)
    expect(r.headerMatch.gasUsed).toBe(true)
    expect(r.headerMatch.logsBloom).toBe(true)
    if (f.block.header.number >= 4_370_000n) expect(r.headerMatch.receiptsRoot).toBe(true)
    else expect(r.receiptsRoot).toBeNull()
    const ref = await runReference(f.block, f.common, f.preState, f.blockHashes, r.postState)
    expect(ref.error).toBeUndefined()
    expect(r.gasUsed).toBe(ref.gasUsed)
    expect(normalizePost(r.postState, f.preState)).toEqual(normalizePost(ref.post, f.preState))
  }, 120_000)
})


describe.skipIf(!have)('mainnet fixtures, blockstm engine equals sequential', () => {
  // At 2 threads the chain fallback is off, so that the blocks that are one long chain of
  // sender waits (pool payouts, nonce chains) run through Block-STM too; at 1 and 4 threads
  // they run on the calling thread (with the workers prefetching at 4).
  for (const threads of [1, 2, 4]) {
    describe(`threads=${threads}`, () => {
      const ex = createEvmExecutor({ engine: 'blockstm', threads, ...(threads === 2 ? { chainFallbackRatio: Infinity } : {}) })
      afterAll(() => ex.close())
      it.each(blocks)('block %s', async (n) => {
        const f = await loadBlockFixture(join(mainnet, n))
        const r = await ex.executeBlock({ block: f.block, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints })
        let s = sequential.get(n)
        if (s === undefined) {
          const seq = createEvmExecutor({ engine: 'sequential' })
          s = await seq.executeBlock({ block: f.block, preState: f.preState, blockHashes: f.blockHashes })
          await seq.close()
        }
        expect(r.headerMatch).toEqual(s.headerMatch)
        expect(r.gasUsed).toBe(s.gasUsed)
        expect(r.receiptsRoot).toEqual(s.receiptsRoot)
        expect(r.results).toEqual(s.results)
        expect(normalizePost(r.postState, f.preState)).toEqual(normalizePost(s.postState, f.preState))
      }, 120_000)
    })
  }
})
