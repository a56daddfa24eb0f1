/**
 * The `blockstm` command line. Every command prints a one-line error and exits with status 2
 * on bad input; commands that check a result exit with 1 when the check fails.
 */
import { Command, CommanderError } from 'commander'
import { registerBenchCoreCommand } from './benchCore.js'
import { fail } from './util.js'

const program = new Command()
program
  .name('blockstm')
  .description('Execute Ethereum blocks in parallel with Block-STM on the @ethereumjs EVM')
  .exitOverride()
  .configureOutput({ writeErr: () => {} })

registerBenchCoreCommand(program)
for (const [file, fn] of [
  ['./block.js', 'registerBlockCommand'],
  ['./ethtest.js', 'registerEthtestCommand'],
  ['./bench.js', 'registerBenchCommand'],
  ['./report.js', 'registerReportCommand'],
] as const) {
  const mod = (await import(file).catch(() => undefined)) as Record<string, (p: Command) => void> | undefined
  mod?.[fn]?.(program)
}

try {
  await program.parseAsync(process.argv)
} catch (e) {
  if (e instanceof CommanderError) {
    if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0)
    fail(e.message.replace(/^error: /, ''), 2)
  }
  fail(e, process.exitCode === 1 ? 1 : 2)
}
