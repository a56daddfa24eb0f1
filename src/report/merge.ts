/**
 * Figures of other machines merged into a report (`blockstm report --merge FILE`), so that a
 * run on a many-core machine adds its thread counts. Accepted files:
 *
 * - a report's `results.json` (its rows at every thread count, labelled with its machine);
 * - `blockstm bench --workload|--block … --threads 1,2,4,… --json` (a thread sweep:
 *   `{ label, txCount, threads, byThreads }`);
 * - `blockstm bench --mainnet --threads T --json` (`{ threads, blocks }`).
 *
 * A single-thread-count `bench --json` (an object of engines only) does not say its thread
 * count and is refused with a message saying so. Anything unreadable or of another shape
 * throws `MergeInputError` (the command line prints it as one line and exits 2).
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { MergedRow } from './types.js'

export class MergeInputError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MergeInputError'
  }
}

type Obj = Record<string, unknown>
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x)
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : typeof x === 'string' && x !== '' && Number.isFinite(Number(x)) ? Number(x) : null)

/** Engine figures of `bench --json` ({ sequential: {ms, speedup, …}, blockstm: {…}, … }) as merged rows. */
function engineRows(machine: string, file: string, block: string, txs: number | null, threads: number, engines: Obj): MergedRow[] {
  const out: MergedRow[] = []
  for (const [engine, f] of Object.entries(engines)) {
    if (!isObj(f) || engine === 'sequential') continue
    const speedup = num(f.speedup)
    if (speedup === null) continue
    out.push({
      machine,
      file,
      block,
      txs,
      engine,
      threads,
      speedup,
      ms: num(f.ms),
      executionsPerTx: num(f.executionsPerTx),
      correct: typeof f.identical === 'boolean' ? f.identical : null,
    })
  }
  return out
}

export function parseMerged(text: string, file: string): MergedRow[] {
  let j: unknown
  try {
    j = JSON.parse(text)
  } catch (e) {
    throw new MergeInputError(`--merge ${file}: not JSON (${(e as Error).message})`)
  }
  const name = basename(file)
  if (isObj(j) && Array.isArray(j.rows) && isObj(j.machine)) {
    // A report's results.json.
    const m = j.machine
    const machine = `${num(m.cpus) ?? '?'} CPUs${typeof m.cpuModel === 'string' ? ` (${m.cpuModel})` : ''}`
    return (j.rows as unknown[]).filter(isObj).filter((r) => r.engine !== 'sequential').map((r) => ({
      machine,
      file: name,
      block: String(r.block),
      txs: num(r.txs),
      engine: String(r.label ?? r.engine),
      threads: num(r.threads) ?? 0,
      speedup: num(r.speedup) ?? NaN,
      ms: num(r.medianMs),
      executionsPerTx: num(r.executionsPerTx),
      correct: typeof r.correct === 'boolean' ? r.correct : null,
    }))
  }
  if (isObj(j) && isObj(j.byThreads) && Array.isArray(j.threads)) {
    // bench --threads a,b,… --json
    const machine = typeof j.machine === 'string' ? j.machine : `${name}`
    const label = String(j.label ?? name)
    return Object.entries(j.byThreads).flatMap(([t, engines]) => (isObj(engines) ? engineRows(machine, name, label, num(j.txCount), Number(t), engines) : []))
  }
  if (isObj(j) && Array.isArray(j.blocks) && num(j.threads) !== null) {
    // bench --mainnet --json
    const threads = num(j.threads)!
    const machine = typeof j.machine === 'string' ? j.machine : name
    return (j.blocks as unknown[]).filter(isObj).flatMap((b) => {
      const engines: Obj = {}
      for (const [k, v] of Object.entries(b)) if (isObj(v)) engines[k] = v
      return engineRows(machine, name, String(b.number), num(b.txCount), threads, engines)
    })
  }
  if (isObj(j) && Object.values(j).some((v) => isObj(v) && 'ms' in v)) {
    throw new MergeInputError(`--merge ${file}: a single bench run does not record its thread count; run bench with a list, e.g. --threads 1,2,4,8,16`)
  }
  throw new MergeInputError(`--merge ${file}: neither a report's results.json nor the JSON of blockstm bench (--threads list or --mainnet)`)
}

export function readMerged(file: string): MergedRow[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (e) {
    throw new MergeInputError(`--merge ${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`)
  }
  const rows = parseMerged(text, file)
  if (rows.length === 0) throw new MergeInputError(`--merge ${file}: no engine figures in it`)
  return rows
}
