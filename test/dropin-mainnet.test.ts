/**
 * The drop-in runBlock on the shared mainnet fixtures: each block's pre-state is put into a
 * MerkleStateManager (two of them, committed), the block runs through runBlock on one VM and
 * through a parallel runner (threads 2) on the other; results and the state managers' roots
 * afterwards must be equal. CI runs a sample (every pre-Byzantium one goes to runBlock
 * itself, reported as a fallback); BLOCKSTM_LONG_RUN=1 runs every fixture. Also: setHardfork
 * across fork boundaries (a VM configured for the hardfork before the block's), and a state
 * read that fails mid-block (BaseStateReadError, the state manager unchanged).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync, readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { runBlock } from '@ethereumjs/vm'
import { loadBlockFixture } from '../src/evm/index.js'
import { BaseStateReadError, createParallelRunner } from '../src/dropin/index.js'
import { outcome, rootOf, vmWithState } from './support/dropin.js'

const root = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures'))
const mainnet = join(root, 'mainnet')
const have = existsSync(mainnet)
if (!have) console.warn(`dropin-mainnet: no fixtures at ${mainnet} (set BLOCKSTM_FIXTURES); skipping`)
const all = have ? readdirSync(mainnet).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b)) : []
const SAMPLE = ['2641321', '6137495', '15537394', '19426587', '19923400']
const blocks = process.env.BLOCKSTM_LONG_RUN === '1' ? all : all.filter((b) => SAMPLE.includes(b))

const runner = createParallelRunner({ threads: 2, lanes: 4 })
afterAll(() => runner.close())

describe.skipIf(!have)('runBlockParallel equals runBlock on mainnet fixtures', () => {
  it.each(blocks)('block %s', async (n) => {
    const f = await loadBlockFixture(join(mainnet, n))
    const ref = await vmWithState(f.common, f.preState, f.blockHashes)
    const par = await vmWithState(f.common, f.preState, f.blockHashes)
    const want = await runBlock(ref.vm, { block: f.block, generate: true, skipBlockValidation: true })
    const got = await runner.runBlock(par.vm, { block: f.block, generate: true, skipBlockValidation: true })
    expect(outcome(got)).toEqual(outcome(want))
    expect(await rootOf(par.sm)).toBe(await rootOf(ref.sm))
    if (f.block.header.number < 4_370_000n) expect(got.stats.fallback).toMatch(/^runBlock: before Byzantium/)
    else expect(got.stats.fallback).toBeUndefined()
  }, 300_000)

  it.each([
    ['4370000', 'spuriousDragon', 'byzantium'],
    ['15537394', 'grayGlacier', 'paris'],
  ])('setHardfork: block %s on a VM configured for %s runs as %s, as with runBlock', async (n, before, after) => {
    const dir = join(mainnet, n)
    if (!existsSync(dir)) return
    const f = await loadBlockFixture(dir)
    const common = f.common.copy()
    common.setHardfork(before)
    const ref = await vmWithState(common, f.preState, f.blockHashes)
    const par = await vmWithState(common, f.preState, f.blockHashes)
    const want = await runBlock(ref.vm, { block: f.block, generate: true, skipBlockValidation: true, setHardfork: true })
    const got = await runner.runBlock(par.vm, { block: f.block, generate: true, skipBlockValidation: true, setHardfork: true })
    expect(par.vm.common.hardfork()).toBe(after)
    expect(ref.vm.common.hardfork()).toBe(after)
    expect(outcome(got)).toEqual(outcome(want))
    expect(await rootOf(par.sm)).toBe(await rootOf(ref.sm))
  }, 300_000)

  it('a state read that throws mid-block: BaseStateReadError, the state manager unchanged, then the block runs', async () => {
    const f = await loadBlockFixture(join(mainnet, '19933122'))
    const par = await vmWithState(f.common, f.preState, f.blockHashes)
    const ref = await vmWithState(f.common, f.preState, f.blockHashes)
    const want = await runBlock(ref.vm, { block: f.block, generate: true, skipBlockValidation: true })
    const before = await rootOf(par.sm)
    const sm = par.sm as unknown as { getStorage: (...a: unknown[]) => Promise<Uint8Array> }
    const getStorage = sm.getStorage.bind(par.sm)
    let calls = 0
    sm.getStorage = (...a) => (++calls === 15 ? Promise.reject(new Error('injected: disk read failed')) : getStorage(...a))
    const err = await runner.runBlock(par.vm, { block: f.block, generate: true, skipBlockValidation: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(calls).toBeGreaterThanOrEqual(15)
    expect(err).toBeInstanceOf(BaseStateReadError)
    expect((err as Error).message).toMatch(/injected: disk read failed/)
    expect(await rootOf(par.sm)).toBe(before)
    sm.getStorage = getStorage
    const got = await runner.runBlock(par.vm, { block: f.block, generate: true, skipBlockValidation: true })
    expect(outcome(got)).toEqual(outcome(want))
  }, 300_000)
})
