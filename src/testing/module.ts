/**
 * Loading a user's VM module for the determinism kit, on the calling thread and in every
 * worker (through delayingVm.ts), and the module contract of `blockstm check`.
 *
 * A `.ts` module loads as it is where TypeScript already runs (under tsx, vitest, or the
 * project's sources); otherwise the kit registers tsx's loader when tsx is installed and
 * tries again, and failing that says in one line to compile the module or run under tsx.
 * Every failure is a {@link VMModuleError} with a one-line message.
 */
import type fc from 'fast-check'
import { moduleUrl } from '../executor/engine.js'
import type { TransactionVMModule } from '../executor/types.js'
import type { GeneratedBlock } from './types.js'

/** The VM module does not load or does not export what is needed. */
export class VMModuleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'VMModuleError'
  }
}

/** What `blockstm check` needs from a module: a VM and a block generator. */
export interface CheckModule extends TransactionVMModule {
  /** Given fast-check, an arbitrary of blocks `{ txCount, payload, base }` for this VM. */
  blocks(fast: typeof fc): fc.Arbitrary<GeneratedBlock>
}

let tsxRegistered: Promise<boolean> | undefined

/** Registers tsx's ESM loader once, if tsx is installed; true when it is. */
function registerTsx(): Promise<boolean> {
  tsxRegistered ??= import('tsx/esm/api').then(
    (m: { register: () => unknown }) => {
      m.register()
      return true
    },
    () => false,
  )
  return tsxRegistered
}

const oneLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]

/** Imports `vmModule` (path or file URL); see the module comment for `.ts` files. */
export async function importModule(vmModule: string): Promise<Record<string, unknown>> {
  const url = moduleUrl(vmModule)
  try {
    return (await import(url)) as Record<string, unknown>
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(url)) {
      if (!(await registerTsx())) throw new VMModuleError(`cannot load ${vmModule}: a TypeScript VM module needs tsx (npm install tsx, or run under tsx) or compiling to .js`)
      try {
        // A new URL: the module map keeps the failed import of the plain one.
        return (await import(`${url}${url.includes('?') ? '&' : '?'}tsx`)) as Record<string, unknown>
      } catch (e2) {
        throw new VMModuleError(`cannot load ${vmModule}: ${oneLine(e2)}`)
      }
    }
    throw new VMModuleError(`cannot load ${vmModule}: ${oneLine(e)}`)
  }
}

/** Imports a VM module and checks that it exports `createTransactionVM`. */
export async function loadUserVM(vmModule: string): Promise<TransactionVMModule> {
  const mod = await importModule(vmModule)
  if (typeof mod.createTransactionVM !== 'function') throw new VMModuleError(`${vmModule} exports no createTransactionVM(payload, lane)`)
  return mod as unknown as TransactionVMModule
}

/** Imports a module for `blockstm check`: it must export `createTransactionVM` and `blocks(fc)`. */
export async function loadCheckModule(vmModule: string): Promise<CheckModule> {
  const mod = await loadUserVM(vmModule)
  if (typeof (mod as Partial<CheckModule>).blocks !== 'function') {
    throw new VMModuleError(`${vmModule} exports no blocks(fc) (an arbitrary of { txCount, payload, base } blocks for its VM)`)
  }
  return mod as CheckModule
}
