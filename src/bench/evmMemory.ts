/**
 * Peak memory per engine for `blockstm bench --memory`: each engine runs the block in its own
 * child process (src/bench/evmMemoryChild.ts), so that one engine's heap, caches and worker
 * threads do not inflate another's peak. Reported: the peak RSS of the process
 * (`process.resourceUsage().maxRSS`, worker threads included), the RSS once the block was
 * loaded (before the engine existed) and their difference.
 */
import { execFile } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { WorkloadParams } from '../workloads/index.js'
import type { BenchEngineName } from './evmEngines.js'
import { round } from './evmBench.js'

export interface MemoryFigures {
  peakRssMB: number
  loadedRssMB: number
  /** peakRssMB − loadedRssMB: what running the engine added. */
  engineRssMB: number
  /** peakRssMB over sequential's (when sequential ran). */
  vsSequential?: number
  runs: number
}

const childPath = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './evmMemoryChild.ts' : './evmMemoryChild.js', import.meta.url))

function runChild(args: unknown): Promise<{ loadedRssMB: number; peakRssMB: number }> {
  const execArgv = ['--expose-gc']
  if (childPath.endsWith('.ts')) execArgv.push('--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href)
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...execArgv, childPath, JSON.stringify(args)], { maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`memory child failed: ${(stderr || err.message).trim().split('\n').at(-1)}`))
      try {
        resolve(JSON.parse(stdout.trim().split('\n').at(-1)!))
      } catch {
        reject(new Error(`memory child printed no result: ${stdout.slice(0, 200)}`))
      }
    })
  })
}

export async function measureMemory(opts: {
  source: { workload: WorkloadParams } | { block: string }
  engines: BenchEngineName[]
  threads: number
  runs: number
  onEngine?: (engine: BenchEngineName) => void
}): Promise<Partial<Record<BenchEngineName, MemoryFigures>>> {
  const out: Partial<Record<BenchEngineName, MemoryFigures>> = {}
  for (const engine of opts.engines) {
    opts.onEngine?.(engine)
    const r = await runChild({ ...opts.source, engine, threads: opts.threads, runs: opts.runs })
    out[engine] = { peakRssMB: round(r.peakRssMB, 1), loadedRssMB: round(r.loadedRssMB, 1), engineRssMB: round(r.peakRssMB - r.loadedRssMB, 1), runs: opts.runs }
  }
  const seq = out.sequential
  if (seq !== undefined) for (const f of Object.values(out)) f.vsSequential = round(f.peakRssMB / seq.peakRssMB)
  return out
}
