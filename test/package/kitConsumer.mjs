// The testing entry as a user runs it with plain `node` against the installed package
// (fast-check installed beside it: an optional peer): a plain-JS VM passes checkDeterminism.
import fc from 'fast-check'
import { checkDeterminism } from 'blockstm-evm/testing'
import { blocks } from './kitVm.mjs'

const r = await checkDeterminism({ vmModule: new URL('./kitVm.mjs', import.meta.url).href, blocks: blocks(fc), threads: [1, 2], runs: 10 })
console.log(`blockstm-evm/testing: ${r.blocks} blocks, ${r.parallelRuns} parallel runs, deterministic`)
if (r.blocks !== 10 || r.parallelRuns !== 20) process.exitCode = 1
