/**
 * The program behind every `blockstm` entry: the version, the listed commands (the one named on
 * the command line loaded in full, the others by name and description only) and the exit
 * statuses (0 for help and version, 2 with one line for a usage error, 1 or 2 for a failure).
 * Used by main.ts (every command) and blockMain.ts (the `block` command alone, bundled).
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError } from 'commander'
import { fail } from './util.js'

export interface CommandEntry {
  name: string
  description: string
  load: () => Promise<(program: Command) => unknown>
}

/**
 * The package's version: package.json two levels up from this module's file, which is true of
 * src/cli, dist/cli and the bundle's dist/cli-bundle alike.
 */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
}

async function main(argv: string[], commands: readonly CommandEntry[]): Promise<void> {
  const program = new Command()
  program
    .name('blockstm')
    .description('Execute Ethereum blocks in parallel with Block-STM on the @ethereumjs EVM')
    .version(packageVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
  // The command named on the command line (`blockstm help <name>` too) is loaded in full;
  // the others are registered by name and description only, for the overview.
  const args = argv.slice(2)
  const wanted = args[0] === 'help' ? args[1] : args[0]
  for (const c of commands) {
    if (c.name === wanted) (await c.load())(program)
    else program.command(c.name).description(c.description)
  }
  await program.parseAsync(argv)
}

/** Runs the command line `argv` over `commands`; failures end the process with their status. */
export async function runCli(argv: string[], commands: readonly CommandEntry[]): Promise<void> {
  try {
    await main(argv, commands)
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version') process.exit(0)
      fail(e.message.replace(/^error: /, ''), 2)
    }
    fail(e, process.exitCode === 1 ? 1 : 2)
  }
}
