/**
 * The drop-in's speed on a database: a generated block (default: 2,000 ERC-20 transfers among
 * 10,000 holders) whose pre-state is stored in the on-disk Merkle state (src/dropin/store.ts),
 * run from the same stored state root by
 *   - runBlock(vm, { block, root, generate: true }) with the VM as a user configures it by
 *     default (a Common without custom crypto: @ethereumjs's pure-JS ecrecover),
 *   - the same with the native ecrecover given to runBlock's Common,
 *   - a parallel runner (threads 2, lanes 4): runner.runBlock(vm, same options),
 * each including the state root computation, alternating, in one process; prints the median of
 * each, the ratios, and the drop-in's time breakdown (execution, fetches, commit, state root).
 *
 *   npx tsx scripts/dropin-bench.ts [--txs 2000] [--accounts 10000] [--runs 3] [--threads 2] [--lanes 4]
 */
import { parseArgs } from 'node:util'
import { Common, Mainnet } from '@ethereumjs/common'
import { createVM, runBlock } from '@ethereumjs/vm'
import { nativeEcrecover } from '../src/evm/crypto.js'
import { createParallelRunner, type ParallelRunBlockResult } from '../src/dropin/index.js'
import { storedErc20Block } from '../src/bench/storedBlock.js'

const { values } = parseArgs({ options: { txs: { type: 'string', default: '2000' }, accounts: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' }, lanes: { type: 'string', default: '4' } } })
const stored = await storedErc20Block({ txs: Number(values.txs), accounts: Number(values.accounts) })
const { workload: w, store, common: plain, root } = stored
const runner = createParallelRunner({ threads: Number(values.threads), lanes: Number(values.lanes) })
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!
try {
  const rec = nativeEcrecover()
  const native = new Common({ chain: Mainnet, hardfork: w.common.hardfork(), customCrypto: rec !== null ? { ecrecover: rec } : {} })
  const opts = { block: w.block, root, generate: true, skipBlockValidation: true }
  // A fresh VM and state manager per run: nothing cached from an earlier run, every read from the database.
  const fresh = async (common: Common) => {
    const sm = await store.stateManager(common, root)
    return createVM({ common, stateManager: sm })
  }
  const time = async (f: () => Promise<unknown>) => {
    const t = performance.now()
    await f()
    return performance.now() - t
  }
  const t = { runBlock: [] as number[], runBlockNative: [] as number[], parallel: [] as number[] }
  let last: ParallelRunBlockResult | undefined
  let roots = new Set<string>()
  for (let i = 0; i <= Number(values.runs); i++) {
    const a = await fresh(plain.copy())
    const ta = await time(async () => roots.add(Buffer.from((await runBlock(a, opts)).stateRoot).toString('hex')))
    const b = await fresh(native.copy())
    const tb = await time(async () => roots.add(Buffer.from((await runBlock(b, opts)).stateRoot).toString('hex')))
    const c = await fresh(plain.copy())
    const tc = await time(async () => {
      last = await runner.runBlock(c, opts)
      roots.add(Buffer.from(last.stateRoot).toString('hex'))
    })
    if (i === 0) continue // warm-up
    t.runBlock.push(ta)
    t.runBlockNative.push(tb)
    t.parallel.push(tc)
  }
  if (roots.size !== 1) throw new Error(`state roots differ: ${[...roots].join(', ')}`)
  const s = last!.stats
  const out = {
    block: `${w.name} (${w.block.transactions.length} txs)`,
    threads: runner.threads,
    lanes: runner.lanes,
    runBlockMs: median(t.runBlock),
    runBlockNativeEcrecoverMs: median(t.runBlockNative),
    parallelMs: median(t.parallel),
    ratio: median(t.runBlock) / median(t.parallel),
    ratioNativeEcrecover: median(t.runBlockNative) / median(t.parallel),
    samplesMs: { runBlock: t.runBlock.map(Math.round), runBlockNativeEcrecover: t.runBlockNative.map(Math.round), parallel: t.parallel.map(Math.round) },
    access: s.access,
    breakdown: { executeMs: s.executeMs, commitMs: s.commitMs, stateRootMs: s.stateRootMs, totalMs: s.totalMs, source: s.source, fetch: s.engine?.fetch, executions: s.engine?.executions, fallback: s.engine?.fallback },
    loadavg: (await import('node:os')).loadavg(),
  }
  console.log(JSON.stringify(out, null, 1))
} finally {
  await runner.close()
  await stored.dispose()
}
