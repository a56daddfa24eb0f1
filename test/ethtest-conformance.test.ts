/**
 * ethereum/tests BlockchainTests, both shared folders (`ethereum-tests`, `ethereum-tests-more`):
 * every fixture test that plain @ethereumjs (createVM + runBlock with block validation,
 * `--engine reference`) passes also passes with our executor on the blockstm engine with 2
 * threads, and every block is accepted or rejected exactly as the reference does it.
 *
 * All of it takes hours with a JavaScript EVM on a 2-core machine (docs/conformance.md has the
 * full counts per engine), so CI runs a sample chosen against a budget from measured costs
 * (support/ethtestSample.ts): every folder's cheapest file, then more files round-robin over
 * the folders within BUDGET_MS of estimated CPU time (reference + blockstm x2) per root; a
 * folder whose every file costs over 20 s of CPU (VMTests/vmPerformance), or has no measured cost
 * (stTimeConsuming), is left out and named.
 * BLOCKSTM_LONG_RUN=1 runs every file of both folders. The test logs what it chose.
 *
 * Fixtures: $BLOCKSTM_FIXTURES (default ../shared/fixtures); a missing folder is skipped.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { createEvmExecutor } from '../src/evm/index.js'
import { listFixtureFiles, loadFixtureFile } from '../src/ethtest/fixtures.js'
import { runEthTest, type EthTestResult } from '../src/ethtest/runner.js'
import { chooseSample, loadCosts } from './support/ethtestSample.js'

/** Estimated CPU milliseconds (reference + blockstm x2) per root for the CI sample. */
const BUDGET_MS: Record<string, number> = { 'ethereum-tests': 5_000, 'ethereum-tests-more': 5_000 }
const fixtures = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures'))
const long = process.env.BLOCKSTM_LONG_RUN === '1'
const costs = loadCosts()

const roots = Object.keys(BUDGET_MS)
  .map((name) => ({ name, dir: join(fixtures, name, 'BlockchainTests') }))
  .filter((r) => {
    const ok = existsSync(r.dir)
    if (!ok) console.warn(`ethtest: no fixtures at ${r.dir} (set BLOCKSTM_FIXTURES); skipping`)
    return ok
  })

const counts = { tests: 0, reference: 0, blockstm: 0 }
const mismatches: string[] = []

for (const root of roots) {
  const all = listFixtureFiles([root.dir])
  const sample = long ? { files: all, estimateMs: NaN, folders: new Set(all.map((f) => dirname(f))).size, excluded: [] } : chooseSample(all, fixtures, costs, BUDGET_MS[root.name]!)
  console.info(
    long
      ? `ethtest ${root.name}: BLOCKSTM_LONG_RUN=1, running all ${all.length} files`
      : `ethtest ${root.name}: a sample of ${sample.files.length} of ${all.length} files from ${sample.folders} folders (estimated ${Math.round(sample.estimateMs / 1000)} s of CPU)${sample.excluded.length > 0 ? `, leaving out ${sample.excluded.join(', ')} (every file over 20 s of CPU, or none measured)` : ''}; BLOCKSTM_LONG_RUN=1 runs all`,
  )
  const byFolder = new Map<string, string[]>()
  for (const f of sample.files) {
    const d = relative(root.dir, dirname(f))
    byFolder.set(d, [...(byFolder.get(d) ?? []), f])
  }

  describe(`${root.name}: blockstm x2 passes whatever plain @ethereumjs passes`, () => {
    const executor = createEvmExecutor({ engine: 'blockstm', threads: 2 })
    afterAll(() => executor.close())
    for (const [folder, folderFiles] of byFolder) {
      describe(folder, () => {
        it.each(folderFiles.map((f) => [relative(root.dir, f), f]))('%s', async (_rel, file) => {
          for (const t of loadFixtureFile(file)) {
            const ref: EthTestResult = await runEthTest(t, { kind: 'reference' })
            const ours = await runEthTest(t, { kind: 'engine', executor })
            counts.tests++
            if (ref.status === 'passed') counts.reference++
            if (ours.status === 'passed') counts.blockstm++
            const repro = `node bin/blockstm.js ethtest ${relative(process.cwd(), file)} --filter '^${t.name}$' --engine blockstm --threads 2`
            if (ref.status === 'passed' && ours.status !== 'passed') mismatches.push(`${t.name}: ${ours.reason} (${repro})`)
            if (ref.status === 'skipped') {
              expect(ours.status, t.name).toBe('skipped')
              continue
            }
            if (ref.status === 'passed') expect({ test: t.name, status: ours.status, reason: ours.reason }).toEqual({ test: t.name, status: 'passed', reason: undefined })
            // Blocks are imported or rejected as the reference does it (reasons may word differently).
            expect({ test: t.name, blocks: ours.blocks }).toEqual({ test: t.name, blocks: ref.blocks })
          }
        }, 900_000)
      })
    }
  })
}

afterAll(() => {
  if (counts.tests > 0) {
    console.info(`ethtest: ${counts.tests} tests; reference passed ${counts.reference}, blockstm x2 passed ${counts.blockstm}`)
    if (mismatches.length > 0) console.info(`ethtest: failing with blockstm but passing in the reference:\n  ${mismatches.join('\n  ')}`)
  }
})
