/**
 * Test support for the Block-STM core: fast-check arbitraries of mock blocks, the pre-block
 * state that goes with them, and helpers that run a block on an executor and compare the
 * outcome (outputs + state diff, or the failing transaction) with the sequential reference.
 */
import fc from 'fast-check'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MapBaseState } from '../../src/executor/baseState.js'
import type { BlockExecutor, BlockJob } from '../../src/executor/engine.js'
import { TransactionVMError } from '../../src/executor/blockstm.js'
import { mockBaseEntries, mockKey, type MockBlock, type MockOp, type MockTx } from '../../src/mock/mockVm.js'
import { encodeNumeric } from '../../src/mvmemory/numeric.js'
import { lastExecution, resetExecution } from './progress.js'

const here = fileURLToPath(new URL('.', import.meta.url))
/** Absolute path of the mock transaction VM module (workers load it through tsx). */
export const MOCK_VM = resolve(here, '../../src/mock/mockVm.ts')
/** The mock VM recording which transaction runs (for sequential reference runs). */
export const TRACKED_MOCK_VM = resolve(here, 'trackedMockVm.ts')
/** Absolute path of the instrumented VM module of the scheduler tests. */
export const INSTRUMENTED_VM = resolve(here, 'instrumentedVm.ts')

/** Which keys of the universe the pre-block state holds. */
export type Presence =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'even' }
  | { kind: 'mod'; m: number; r: number } // k % m < r
  /** Every key present with a value ≥ 2^72 (for blocks with negative deltas). */
  | { kind: 'wide' }

export interface BlockCase {
  block: MockBlock
  presence: Presence
}

export function presentFn(p: Presence): (k: number) => boolean {
  switch (p.kind) {
    case 'none':
      return () => false
    case 'all':
    case 'wide':
      return () => true
    case 'even':
      return (k) => k % 2 === 0
    case 'mod':
      return (k) => k % p.m < p.r
  }
}

export function baseEntries(c: BlockCase): Array<[Uint8Array, Uint8Array]> {
  const entries = mockBaseEntries(c.block.keyCount, presentFn(c.presence))
  if (c.presence.kind !== 'wide') return entries
  return entries.map(([k], i) => [k, encodeNumeric((1n << 72n) + BigInt(i) * 0x1_0000_0001n)])
}

export function baseState(c: BlockCase): MapBaseState {
  return new MapBaseState(baseEntries(c))
}

export function jobOf(c: BlockCase): BlockJob {
  return { txCount: c.block.txs.length, payload: c.block, base: baseState(c) }
}

export interface ArbOptions {
  /** Smallest and largest number of transactions (default 1..150). */
  minTxs?: number
  maxTxs?: number
  /** Allow `throw` ops (VM failures that fail the block). Default true (in some blocks). */
  throws?: boolean
  /** Allow negative delta amounts (invalid: the transaction executing one fails the block). */
  negativeDeltas?: boolean
  /** The pre-state: every key present with a value ≥ 2^72 (multi-byte folds). */
  wide?: boolean
}

const keyCountArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(2) }, // everything conflicts
  { weight: 3, arbitrary: fc.integer({ min: 3, max: 12 }) },
  { weight: 3, arbitrary: fc.integer({ min: 13, max: 300 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1000, max: 5000 }) }, // few conflicts
)

const presenceArb: fc.Arbitrary<Presence> = fc.oneof(
  fc.constant<Presence>({ kind: 'none' }),
  fc.constant<Presence>({ kind: 'all' }),
  fc.constant<Presence>({ kind: 'even' }),
  fc.record({ kind: fc.constant('mod' as const), m: fc.integer({ min: 2, max: 7 }), r: fc.integer({ min: 1, max: 6 }) }),
)

function opArb(keyCount: number, throws: boolean, negative: boolean): fc.Arbitrary<MockOp> {
  const k = fc.integer({ min: 0, max: keyCount - 1 })
  const amount = negative
    ? fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }))
    : fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 }))
  const ops: Array<fc.WeightedArbitrary<MockOp>> = [
    { weight: 8, arbitrary: fc.record({ op: fc.constant('read' as const), k, dynamic: fc.boolean() }) },
    {
      weight: 6,
      arbitrary: fc.record({ op: fc.constant('write' as const), k, salt: fc.integer({ min: 0, max: 0xffff }), dynamic: fc.boolean() }),
    },
    { weight: 4, arbitrary: fc.record({ op: fc.constant('delta' as const), k, amount, dynamic: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('revert' as const), m: fc.integer({ min: 2, max: 9 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delay' as const), kind: fc.constantFrom('macro' as const, 'micro' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('work' as const), us: fc.integer({ min: 1, max: 30 }) }) },
  ]
  if (throws) ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('throw' as const), m: fc.integer({ min: 3, max: 120 }) }) })
  return fc.oneof(...ops)
}

function txArb(keyCount: number, throws: boolean, negative: boolean): fc.Arbitrary<MockTx> {
  return fc.record({ ops: fc.array(opArb(keyCount, throws, negative), { minLength: 1, maxLength: 8, size: 'max' }) })
}

/** Random mock blocks with their pre-state. */
export function blockCaseArb(opts: ArbOptions = {}): fc.Arbitrary<BlockCase> {
  const minTxs = opts.minTxs ?? 1
  const maxTxs = opts.maxTxs ?? 150
  const negative = opts.negativeDeltas ?? false
  return fc
    .record({
      keyCount: keyCountArb,
      // Roughly one block in five may contain VM failures.
      throwing: opts.throws === false ? fc.constant(false) : fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
      presence: opts.wide ? fc.constant<Presence>({ kind: 'wide' }) : presenceArb,
      big: fc.boolean(),
    })
    .chain(({ keyCount, throwing, presence, big }) =>
      fc.record({
        block: fc.record({
          keyCount: fc.constant(keyCount),
          txs: fc.array(txArb(keyCount, throwing, negative), {
            minLength: minTxs,
            maxLength: big ? maxTxs : Math.min(maxTxs, Math.max(minTxs, 12)),
            size: 'max',
          }),
        }),
        presence: fc.constant(presence),
      }),
    )
}

// ---------------------------------------------------------------------------------------
// Running and comparing

/**
 * A block's outcome: outputs and state diff, or the failure — in transaction `txIndex`, or
 * outside any transaction (`txIndex` -1: the engine's own end-of-block work, or an error
 * that is not a TransactionVMError).
 */
export type Outcome =
  | { ok: true; outputs: unknown[]; writes: string[]; stats?: Record<string, unknown> }
  | { ok: false; txIndex: number; message: string; name: string }

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

export function writesHex(writes: Array<[Uint8Array, Uint8Array]>): string[] {
  return writes.map(([k, v]) => `${hex(k)}=${hex(v)}`)
}

/**
 * Runs `job` on a sequential executor whose VM runs on this thread. The failing transaction
 * comes from the mock's or script's message, else from where the VM stood when the error
 * came (test/support/progress.ts: TRACKED_MOCK_VM and the script VM record it).
 */
export async function runSequential(ex: BlockExecutor, job: BlockJob): Promise<Outcome> {
  resetExecution()
  try {
    const r = await ex.execute(job)
    return { ok: true, outputs: r.outputs, writes: writesHex(r.writes) }
  } catch (e) {
    const err = e as Error
    const m = /^(?:mock|scripted) transaction (\d+) failed/.exec(err.message)
    const at = lastExecution()
    const txIndex = m ? Number(m[1]) : at?.inside ? at.tx : -1
    return { ok: false, txIndex, message: err.message, name: err.name }
  }
}

/** Runs `job` on a Block-STM executor (a failure other than TransactionVMError: txIndex -1). */
export async function runParallel(ex: BlockExecutor, job: BlockJob): Promise<Outcome> {
  try {
    const r = await ex.execute(job)
    return { ok: true, outputs: r.outputs, writes: writesHex(r.writes), stats: { ...r.stats } }
  } catch (e) {
    if (e instanceof TransactionVMError) return { ok: false, txIndex: e.txIndex, message: e.message, name: e.name }
    const err = e as Error
    return { ok: false, txIndex: -1, message: err?.message ?? String(e), name: err?.name ?? 'unknown' }
  }
}

/**
 * Why a parallel outcome differs from the sequential one, or undefined when it matches:
 * same outputs and state diff, or a TransactionVMError for the same transaction carrying the
 * same VM message. A parallel run must also have run Block-STM (no `sequential:` fallback;
 * the `serial:` mode, where one thread finishes the block with the same algorithm, counts
 * as Block-STM) and report sane statistics.
 */
export function divergence(seq: Outcome, par: Outcome, txCount: number): string | undefined {
  if (seq.ok !== par.ok) {
    return seq.ok
      ? `sequential succeeded but parallel failed at tx ${(par as { txIndex: number }).txIndex}: ${(par as { name: string }).name}: ${(par as { message: string }).message}`
      : `sequential failed at tx ${seq.txIndex} (${seq.message}) but parallel succeeded`
  }
  if (!seq.ok && !par.ok) {
    const where = (o: { txIndex: number; name: string; message: string }) =>
      `${o.txIndex >= 0 ? `tx ${o.txIndex}` : 'outside any transaction'} (${o.name}: ${o.message})`
    if (seq.txIndex >= 0 && par.name !== 'TransactionVMError') return `sequential failed in ${where(seq)}, parallel ${where(par)}`
    if (seq.txIndex < 0 && par.name === 'TransactionVMError') return `sequential failed ${where(seq)}, parallel in ${where(par)}`
    if (par.txIndex !== seq.txIndex) return `sequential failed in ${where(seq)}, parallel in ${where(par)}`
    if (!par.message.includes(seq.message)) return `failure message: sequential "${seq.message}", parallel "${par.message}"`
    return undefined
  }
  if (seq.ok && par.ok) {
    const st = par.stats!
    if (st.fallback !== undefined && !String(st.fallback).startsWith('serial:')) return `parallel run fell back: ${String(st.fallback)}`
    if ((st.executions as number) < txCount) return `executions ${st.executions} < txCount ${txCount}`
    // In serial mode the tail after the committed prefix runs sequentially, unvalidated.
    const serial = String(st.fallback ?? '').startsWith('serial:')
    if (!serial && (st.validations as number) < txCount) return `validations ${st.validations} < txCount ${txCount}`
    if (par.outputs.length !== txCount) return `parallel returned ${par.outputs.length} outputs for ${txCount} txs`
    for (let i = 0; i < txCount; i++) {
      if (JSON.stringify(par.outputs[i]) !== JSON.stringify(seq.outputs[i])) {
        return `output of tx ${i}: sequential ${JSON.stringify(seq.outputs[i])}, parallel ${JSON.stringify(par.outputs[i])}`
      }
    }
    const a = seq.writes.join('\n')
    const b = par.writes.join('\n')
    if (a !== b) {
      const sa = new Set(seq.writes)
      const sb = new Set(par.writes)
      const onlySeq = seq.writes.filter((w) => !sb.has(w)).slice(0, 5)
      const onlyPar = par.writes.filter((w) => !sa.has(w)).slice(0, 5)
      return `state diff differs (${seq.writes.length} vs ${par.writes.length} entries); only sequential: ${onlySeq.join(', ')}; only parallel: ${onlyPar.join(', ')}`
    }
  }
  return undefined
}

/** Whether two parallel outcomes are identical (outputs, state diff, failure). */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.ok !== b.ok) return false
  if (!a.ok && !b.ok) return a.txIndex === b.txIndex && a.message === b.message
  if (a.ok && b.ok) return JSON.stringify(a.outputs) === JSON.stringify(b.outputs) && a.writes.join() === b.writes.join()
  return false
}

export { mockKey }
