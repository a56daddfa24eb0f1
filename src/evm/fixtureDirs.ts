/**
 * Where block fixtures are found by default (command line, report, tests in a clone).
 *
 * - Mainnet blocks: `$BLOCKSTM_FIXTURES/mainnet` when the variable is set, else the
 *   brotli-compressed copy kept in the repository (`fixtures/mainnet`, read transparently by
 *   fixtures.ts: `block.json.br` stands for `block.json`). The package does not ship it.
 * - The large conformance suites (ethereum-tests, execution-spec-tests) are not in the
 *   repository: `$BLOCKSTM_FIXTURES` or `../shared/fixtures` beside the clone.
 */
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The fixtures root in the repository (`fixtures/`, holding `mainnet/`). */
export const REPOSITORY_FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url))

/** The root whose `mainnet/` holds the mainnet blocks: $BLOCKSTM_FIXTURES, else the repository's copy. */
export function fixturesRoot(): string {
  return resolve(process.env.BLOCKSTM_FIXTURES ?? REPOSITORY_FIXTURES)
}

/** The mainnet blocks' directory. */
export function mainnetFixturesDir(): string {
  return resolve(fixturesRoot(), 'mainnet')
}

/** The root of the conformance suites: $BLOCKSTM_FIXTURES, else ../shared/fixtures beside the clone. */
export function sharedFixturesRoot(): string {
  return resolve(process.env.BLOCKSTM_FIXTURES ?? fileURLToPath(new URL('../../../shared/fixtures', import.meta.url)))
}
