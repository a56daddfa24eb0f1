/**
 * How to bundle a program that uses blockstm-evm with esbuild (README: "Bundling"). The worker
 * threads load two modules by URL next to the bundle, so they are built as separate entry
 * points with these exact names: `worker.js` (the engine's worker, `blockstm-evm/worker`) and
 * `txvm.js` (the EVM transaction VM, `blockstm-evm/txvm`). Everything else is inlined.
 * The banner gives the ESM bundle a `require` for the CommonJS dependencies it inlines.
 *
 * Used by test/package/check.sh (on the installed tarball) and test/package-bundle.test.ts
 * (on the sources).
 */
import { build } from 'esbuild'

export async function bundleConsumer({ app, worker = 'blockstm-evm/worker', txvm = 'blockstm-evm/txvm', outdir, absWorkingDir, alias }) {
  await build({
    entryPoints: { app, worker, txvm },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    ...(absWorkingDir !== undefined ? { absWorkingDir } : {}),
    ...(alias !== undefined ? { alias } : {}),
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  })
}
