/**
 * Command-line generator: writes a workload as a fixture directory that `blockstm block <dir>`
 * can run.
 *
 *   npx tsx src/workloads/generate.ts --kind erc20 --txs 2000 --accounts 100 [--seed 1]
 *       [--zipf 1.1] [--out fixtures/erc20] [--no-cache]
 */
import { parseArgs } from 'node:util'
import { generateWorkload, writeFixture, WORKLOAD_KINDS, type WorkloadKind } from './index.js'

const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    txs: { type: 'string', default: '1000' },
    accounts: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    zipf: { type: 'string' },
    out: { type: 'string' },
    'no-cache': { type: 'boolean', default: false },
  },
})

const kind = values.kind as WorkloadKind | undefined
if (kind === undefined || !WORKLOAD_KINDS.includes(kind)) {
  console.error(`--kind must be one of ${WORKLOAD_KINDS.join(', ')}`)
  process.exit(2)
}
const t0 = performance.now()
const w = await generateWorkload(
  {
    kind,
    txs: Number(values.txs),
    accounts: Number(values.accounts),
    seed: values.seed!,
    ...(values.zipf !== undefined ? { zipf: Number(values.zipf) } : {}),
  },
  values['no-cache'] ? { cacheDir: false } : {},
)
const out = values.out ?? `workloads/${w.name}`
writeFixture(w, out)
console.log(`${w.name}: ${w.block.transactions.length} txs, gas ${w.block.header.gasUsed}, ${w.preState.size} accounts → ${out} (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
console.log(w.description)
