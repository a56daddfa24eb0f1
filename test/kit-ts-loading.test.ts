/**
 * The kit loads a `.ts` VM module where TypeScript does not run (the compiled package under
 * plain node): through tsx when tsx is installed, else it fails with one line saying to
 * install tsx or compile the module. The kit's module loader (src/testing/module.ts) is
 * bundled with esbuild and run by plain `node`, once from inside this checkout (tsx
 * resolvable) and once from the system's temporary directory (tsx not resolvable).
 */
import { describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const repo = resolve(import.meta.dirname, '..')

async function bundleInto(dir: string): Promise<string> {
  const outfile = join(dir, 'kitModule.mjs')
  await build({ entryPoints: [join(repo, 'src/testing/module.ts')], bundle: true, format: 'esm', platform: 'node', outfile, external: ['tsx', 'fast-check'], logLevel: 'silent' })
  return outfile
}

/** Plain node (no TypeScript loader) loads `vm` through the bundled kit loader. */
function load(bundle: string, vm: string): string {
  const code = `import(${JSON.stringify(pathToFileURL(bundle).href)}).then((k) => k.loadCheckModule(${JSON.stringify(vm)})).then((m) => console.log('loaded', typeof m.createTransactionVM, typeof m.blocks), (e) => console.log(e.name + ': ' + e.message))`
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, cwd: tmpdir() })
  return r.stdout.trim()
}

describe('.ts VM modules outside TypeScript', () => {
  it('load through tsx when it is installed, else fail with one line', async () => {
    const inside = join(repo, 'node_modules', '.cache', 'blockstm-kit-test')
    mkdirSync(inside, { recursive: true })
    const outside = mkdtempSync(join(tmpdir(), 'blockstm-kit-'))
    try {
      const vm = join(repo, 'examples', 'cachingVmFixed.ts')
      expect(load(await bundleInto(inside), vm)).toBe('loaded function function')
      expect(load(await bundleInto(outside), vm)).toBe(
        `VMModuleError: cannot load ${vm}: a TypeScript VM module needs tsx (npm install tsx, or run under tsx) or compiling to .js`,
      )
    } finally {
      rmSync(inside, { recursive: true, force: true })
      rmSync(outside, { recursive: true, force: true })
    }
  })
})
