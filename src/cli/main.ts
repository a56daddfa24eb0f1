/**
 * The `blockstm` command line. Every command prints a one-line error and exits with status 2
 * on bad input; commands that check a result exit with 1 when the check fails.
 */
import { Command, CommanderError } from 'commander'
import { registerBenchCoreCommand } from './benchCore.js'
import { registerBlockCommand } from './block.js'
import { registerEthtestCommand } from './ethtest.js'
import { registerStatetestCommand } from './statetest.js'
import { registerBenchCommand } from './bench.js'
import { registerReportCommand } from './report.js'
import { registerAdversarialCommand } from './adversarial.js'
import { registerWorkloadCommand } from './workload.js'
import { fail } from './util.js'

const program = new Command()
program
  .name('blockstm')
  .description('Execute Ethereum blocks in parallel with Block-STM on the @ethereumjs EVM')
  .exitOverride()
  .configureOutput({ writeErr: () => {} })

registerBenchCoreCommand(program)
registerBlockCommand(program)
registerEthtestCommand(program)
registerStatetestCommand(program)
registerBenchCommand(program)
registerReportCommand(program)
registerAdversarialCommand(program)
registerWorkloadCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0)
    fail(e.message.replace(/^error: /, ''), 2)
  }
  fail(e, process.exitCode === 1 ? 1 : 2)
}
