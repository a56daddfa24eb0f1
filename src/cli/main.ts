/**
 * The `blockstm` command line. Every command prints a one-line error and exits with status 2
 * on bad input; commands that check a result exit with 1 when the check fails.
 */
import { Command, CommanderError } from 'commander'
import { existsSync } from 'node:fs'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { registerBenchCoreCommand } from './benchCore.js'
import { registerBlockCommand } from './block.js'
import { fail } from './util.js'

const program = new Command()
program
  .name('blockstm')
  .description('Execute Ethereum blocks in parallel with Block-STM on the @ethereumjs EVM')
  .exitOverride()
  .configureOutput({ writeErr: () => {} })

registerBenchCoreCommand(program)
registerBlockCommand(program)
// Commands whose modules are still being written are registered when their file exists.
for (const [name, fn] of [
  ['ethtest', 'registerEthtestCommand'],
  ['bench', 'registerBenchCommand'],
  ['report', 'registerReportCommand'],
] as const) {
  const url = new URL(`./${name}${extname(fileURLToPath(import.meta.url))}`, import.meta.url)
  if (!existsSync(url)) continue
  const mod = (await import(url.href)) as Record<string, (p: Command) => void>
  mod[fn]!(program)
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
