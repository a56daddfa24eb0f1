/**
 * Optional peer dependencies: packages that only some commands need (the report's charts,
 * the benchmark workloads' contract artifacts, the bench progress bar). They are not
 * installed with the package; a clone has them as devDependencies. Each is loaded when first
 * needed, and a missing one is a {@link MissingOptionalDependencyError} naming the package,
 * what needs it and the command that installs it (one line on the command line, exit 2).
 */
import { createRequire } from 'node:module'

/** An optional peer dependency is needed and not installed. */
export class MissingOptionalDependencyError extends Error {
  constructor(
    readonly packages: string[],
    readonly purpose: string,
  ) {
    super(`${purpose} needs ${packages.join(' and ')}, which ${packages.length > 1 ? 'are' : 'is'} not installed: npm install ${packages.join(' ')}`)
    this.name = 'MissingOptionalDependencyError'
  }
}

function isNotFound(e: unknown, pkg: string): boolean {
  const code = (e as { code?: string }).code
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((e as Error).message).includes(pkg)
}

const require = createRequire(import.meta.url)

/** `require(id)` of a file of the optional package `pkg` (CommonJS or JSON). */
export function requireOptional<T>(pkg: string, id: string, purpose: string): T {
  try {
    return require(id) as T
  } catch (e) {
    if (isNotFound(e, pkg)) throw new MissingOptionalDependencyError([pkg], purpose)
    throw e
  }
}

/** `import(pkg)` of an optional package. */
export async function importOptional<T>(pkg: string, purpose: string, also: string[] = []): Promise<T> {
  try {
    return (await import(pkg)) as T
  } catch (e) {
    if (isNotFound(e, pkg)) throw new MissingOptionalDependencyError([pkg, ...also], purpose)
    throw e
  }
}
