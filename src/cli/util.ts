/** Shared helpers of the command line: option parsing and one-line failures. */
import { relative } from 'node:path'
import { InvalidArgumentError } from 'commander'
import { SCHEDULER_KINDS, type SchedulerKind } from '../scheduler/types.js'

/** Raised for unreadable or invalid input: printed as one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export function positiveInt(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v)
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`)
    return n
  }
}

/** A comma-separated list of distinct positive integers, e.g. `1,2,4`. */
export function positiveIntList(name: string): (v: string) => number[] {
  const one = positiveInt(name)
  return (v: string) => {
    const xs = v.split(',').map((x) => one(x.trim()))
    if (new Set(xs).size !== xs.length) throw new InvalidArgumentError(`${name}: a thread count appears twice`)
    return xs
  }
}

export function nonNegativeNumber(name: string): (v: string) => number {
  return (v: string) => {
    const n = Number(v)
    if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`)
    return n
  }
}

/** Prints `err` as one line on stderr and exits with status 2 (bad input) or 1. */
export function fail(err: unknown, status = 2): never {
  const msg = err instanceof Error ? err.message : String(err)
  process.stderr.write(`blockstm: ${msg.split('\n')[0]}\n`)
  process.exit(status)
}

/** `--scheduler v1|v2`. */
export function parseScheduler(v: string): SchedulerKind {
  if (!(SCHEDULER_KINDS as readonly string[]).includes(v)) throw new InvalidArgumentError(`--scheduler must be one of ${SCHEDULER_KINDS.join(', ')}`)
  return v as SchedulerKind
}

export const SCHEDULER_HELP = `Block-STM scheduler: ${SCHEDULER_KINDS.join(' | ')} (default: the engine's)`

/** The engines of the conformance commands (`ethtest`, `statetest`): ours, or plain @ethereumjs. */
export type ConformanceEngine = 'sequential' | 'blockstm' | 'reference'

export function parseConformanceEngine(v: string): ConformanceEngine {
  if (v !== 'sequential' && v !== 'blockstm' && v !== 'reference') throw new InvalidArgumentError("engine must be 'sequential', 'blockstm' or 'reference'")
  return v
}

/** A fixture path as the conformance commands print it: relative to the working directory unless that climbs far. */
export function displayPath(file: string): string {
  const r = relative(process.cwd(), file)
  return r.startsWith('..') && r.split('/').filter((p) => p === '..').length > 2 ? file : r
}
