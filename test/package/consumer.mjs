// A user's script, run with plain `node` against the installed package (no tsx, no loader):
// imports both entries, runs one mainnet block with Block-STM on 2 threads, checks the header.
// Usage: node consumer.mjs <fixture dir>
import { createEvmExecutor, loadBlockFixture } from 'blockstm-evm'
import { createBlockSTMExecutor, MapBaseState } from 'blockstm-evm/engine'

if (typeof createBlockSTMExecutor !== 'function' || typeof MapBaseState !== 'function') throw new Error('blockstm-evm/engine: missing exports')
const dir = process.argv[2]
const { block, preState, blockHashes, senderHints } = await loadBlockFixture(dir)
const executor = createEvmExecutor({ engine: 'blockstm', threads: 2 })
try {
  const r = await executor.executeBlock({ block, preState, blockHashes, senderHints })
  const m = r.headerMatch
  const ok = m.gasUsed && m.logsBloom && m.receiptsRoot !== false
  console.log(`block ${r.number}: ${r.txCount} txs, gasUsed ${m.gasUsed}, logsBloom ${m.logsBloom}, receiptsRoot ${m.receiptsRoot}, executions ${r.stats.executions}`)
  if (!ok) process.exitCode = 1
} finally {
  await executor.close()
}
