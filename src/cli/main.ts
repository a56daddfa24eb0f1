/**
 * The `blockstm` command line. Every command prints a one-line error and exits with status 2
 * on bad input; commands that check a result exit with 1 when the check fails.
 *
 * Start-up is kept short: a command's module (and what it imports: the EVM, the engine, the
 * workloads, the charts) is loaded only when that command runs. {@link COMMANDS} lists each
 * command's name and one-line description for `--help`, and how to load it; to add a command,
 * add a row (its module exports a function that registers it on the program, as block.ts does).
 */
import { runCli, type CommandEntry } from './program.js'

export const COMMANDS: CommandEntry[] = [
  { name: 'bench-core', description: 'time sequential, Block-STM and the ideal split on a block of CPU-bound mock transactions', load: async () => (await import('./benchCore.js')).registerBenchCoreCommand },
  { name: 'block', description: 'execute one block fixture directory and check it against its header', load: async () => (await import('./block.js')).registerBlockCommand },
  { name: 'ethtest', description: 'run ethereum/tests BlockchainTests fixtures (files or directories, searched recursively)', load: async () => (await import('./ethtest.js')).registerEthtestCommand },
  { name: 'chain', description: 'import BlockchainTests through the drop-in runBlock into a persistent state store (--db)', load: async () => (await import('./chain.js')).registerChainCommand },
  { name: 'statetest', description: 'run state tests (execution-spec-tests state_test format): each post entry as a one-transaction block', load: async () => (await import('./statetest.js')).registerStatetestCommand },
  { name: 'bench', description: 'time engines (sequential, blockstm, ideal, ethereumjs) on the same EVM block and check that their results are identical', load: async () => (await import('./bench.js')).registerBenchCommand },
  { name: 'report', description: 'compare the static-batch planner with Block-STM and sequential execution; write tables, charts and index.html', load: async () => (await import('./report.js')).registerReportCommand },
  { name: 'adversarial', description: 'run adversarial blocks and print executions/tx and times vs sequential', load: async () => (await import('./adversarial.js')).registerAdversarialCommand },
  { name: 'check', description: 'check that a transaction VM stays deterministic under Block-STM (random blocks from its blocks(fc), forced interleavings, shrunk counterexamples)', load: async () => (await import('./check.js')).registerCheckCommand },
  { name: 'workload', description: 'write a generated benchmark block as a fixture directory (for block and bench --block)', load: async () => (await import('./workload.js')).registerWorkloadCommand },
]

await runCli(process.argv, COMMANDS)
