/**
 * `blockstm block` alone: the entry of the command-line bundle (dist/cli-bundle/block.js, built
 * by scripts/bundle-cli.mjs), which bin/blockstm.js runs for `blockstm block` from an installed
 * package. The command is the same as in main.ts; only its loading differs: one file per
 * thread (this entry, the engine's worker, the transaction VM, the planner's worker, and the
 * chunks they share) instead of some hundreds of modules, because a one-block process spends a
 * large part of its time loading them (docs/benchmarks.md, "A one-block process").
 */
import { runCli } from './program.js'
import { registerBlockCommand } from './block.js'

await runCli(process.argv, [{ name: 'block', description: 'execute one block fixture directory and check it against its header', load: async () => registerBlockCommand }])
