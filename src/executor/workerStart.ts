/**
 * Starting worker threads whose entry is a TypeScript module next to this file. Running
 * from TypeScript sources, the worker first registers tsx's loader (an `--import` flag in
 * execArgv is not applied to a worker's entry module on Node 20), then imports the entry.
 */
import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { dirname, join } from 'node:path'

export function startWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData })
  const tsxDir = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
  const tsxApi = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}) })`
  return new Worker(code, { eval: true, workerData })
}

/** The URL of a sibling module `name` (.ts when running from sources, else .js). */
export function siblingUrl(base: string, name: string): URL {
  return new URL(base.endsWith('.ts') ? `./${name}.ts` : `./${name}.js`, base)
}
