/**
 * The CI sample of the conformance fixtures, chosen against a time budget from measured costs.
 *
 * `ethtest-times.json` (beside this file, written by `npx tsx scripts/conformance.ts --times`)
 * gives each fixture file's CPU milliseconds for the reference plus blockstm x2, measured by the
 * conformance battery. The sample:
 *   1. covers every folder: the cheapest file of each leaf folder (ties: the first by name);
 *   2. then adds files round-robin over the folders, each folder's cheapest remaining file
 *      first, while the sum of the estimated costs stays within the budget.
 * A file costing more than `maxFileMs` is never chosen; a folder whose every file does (one
 * folder here: VMTests/vmPerformance, 30 s and more per file) is left out and named in
 * `excluded`: it runs under BLOCKSTM_LONG_RUN=1 only.
 * A file missing from the table costs its folder's median; a folder with no measured file at
 * all costs `unknownMs` per file, by default Infinity: such a folder is left out and named too
 * (here: GeneralStateTests/stTimeConsuming, whose files never finished in the battery — with a
 * guessed cost of 2 s its CALLBlake2f_MaxRounds.json made the CI sample run for over 15 minutes). The choice depends only on the file list, the table and the budget, so it
 * is the same on every run.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

export type Costs = Record<string, number>

export function loadCosts(): Costs {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'ethtest-times.json'), 'utf8')) as Costs
}

export interface Sample {
  files: string[]
  /** Estimated CPU milliseconds of the sample. */
  estimateMs: number
  folders: number
  /** Folders (relative to `root`) whose every file costs more than `maxFileMs`. */
  excluded: string[]
}

/** `files` are absolute; `root` is the directory the table's keys are relative to. */
export function chooseSample(files: string[], root: string, costs: Costs, budgetMs: number, maxFileMs = 20_000, unknownMs = Infinity): Sample {
  const byFolder = new Map<string, Array<{ file: string; cost: number }>>()
  for (const f of files) {
    const d = dirname(f)
    if (!byFolder.has(d)) byFolder.set(d, [])
    byFolder.get(d)!.push({ file: f, cost: costs[relative(root, f)] ?? NaN })
  }
  const queues: Array<Array<{ file: string; cost: number }>> = []
  const excluded: string[] = []
  for (const [dir, list] of [...byFolder].sort(([a], [b]) => a.localeCompare(b))) {
    const known = list.filter((x) => !Number.isNaN(x.cost)).map((x) => x.cost).sort((a, b) => a - b)
    const median = known.length > 0 ? known[Math.floor(known.length / 2)]! : unknownMs
    for (const x of list) if (Number.isNaN(x.cost)) x.cost = median
    const affordable = list.filter((x) => x.cost <= maxFileMs)
    if (affordable.length === 0) excluded.push(relative(root, dir))
    else queues.push(affordable.sort((a, b) => a.cost - b.cost || a.file.localeCompare(b.file)))
  }
  const chosen: string[] = []
  let total = 0
  for (const q of queues) {
    const x = q.shift()!
    chosen.push(x.file)
    total += x.cost
  }
  let added = true
  while (added) {
    added = false
    for (const q of queues) {
      const x = q[0]
      if (x === undefined || total + x.cost > budgetMs) continue
      q.shift()
      chosen.push(x.file)
      total += x.cost
      added = true
    }
  }
  return { files: chosen.sort(), estimateMs: total, folders: queues.length, excluded }
}
