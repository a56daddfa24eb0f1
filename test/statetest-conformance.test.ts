/**
 * The Osaka state tests (`execution-spec-tests`, state_test format): every entry that plain
 * @ethereumjs `runTx` passes (the reference) also passes as a one-transaction block on blockstm
 * x2 and on the sequential engine. CI runs every SAMPLE_EVERY-th file of each folder (the
 * first one included, so every EIP's folder is covered); BLOCKSTM_LONG_RUN=1 runs all 1,010
 * entries (docs/conformance.md has the counts on every engine).
 * Fixtures: $BLOCKSTM_FIXTURES/execution-spec-tests (default ../shared/fixtures); skipped when absent.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { createEvmExecutor } from '../src/evm/index.js'
import { listFixtureFiles } from '../src/ethtest/fixtures.js'
import { loadStateTestFile, runStateTestEntry } from '../src/ethtest/stateTest.js'

const SAMPLE_EVERY = 4
const dir = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures'), 'execution-spec-tests', 'state_tests')
const have = existsSync(dir)
const long = process.env.BLOCKSTM_LONG_RUN === '1'
if (!have) console.warn(`statetest: no fixtures at ${dir} (set BLOCKSTM_FIXTURES); skipping`)

function select(all: string[]): string[] {
  if (long) return all
  const seen = new Map<string, number>()
  return all.filter((f) => {
    const i = seen.get(dirname(f)) ?? 0
    seen.set(dirname(f), i + 1)
    return i % SAMPLE_EVERY === 0
  })
}

const all = have ? listFixtureFiles([dir]) : []
const files = select(all)
if (have) console.info(long ? `statetest: BLOCKSTM_LONG_RUN=1, all ${files.length} files` : `statetest: every ${SAMPLE_EVERY}th file of each folder, ${files.length} of ${all.length}; BLOCKSTM_LONG_RUN=1 runs all`)

describe.skipIf(!have)('Osaka state tests: what the reference passes passes on blockstm x2 and sequential', () => {
  const engines = [createEvmExecutor({ engine: 'blockstm', threads: 2 }), createEvmExecutor({ engine: 'sequential' })]
  afterAll(async () => {
    for (const e of engines) await e.close()
  })
  it.each(files.map((f) => [relative(dir, f), f]))('%s', async (_rel, file) => {
    let entries = 0
    for (const entry of loadStateTestFile(file)) {
      const ref = await runStateTestEntry(entry, { kind: 'reference' })
      expect({ entry: entry.name, status: ref.status, reason: ref.reason }).toEqual({ entry: entry.name, status: 'passed', reason: undefined })
      for (const executor of engines) {
        const ours = await runStateTestEntry(entry, { kind: 'engine', executor })
        expect({ entry: entry.name, engine: executor.engine, status: ours.status, reason: ours.reason }).toEqual({ entry: entry.name, engine: executor.engine, status: 'passed', reason: undefined })
      }
      entries++
    }
    expect(entries).toBeGreaterThan(0)
  }, 600_000)
})
