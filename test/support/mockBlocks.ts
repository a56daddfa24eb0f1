/**
 * Test support for the Block-STM core: fast-check arbitraries of mock blocks, the pre-block
 * state that goes with them, and helpers that run a block on an executor and compare the
 * outcome (outputs + state diff, or the failing transaction) with the sequential reference.
 */
import type fc from 'fast-check'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BlockExecutor, BlockJob } from '../../src/executor/engine.js'
import { TransactionVMError } from '../../src/executor/blockstm.js'
import { mockKey } from '../../src/mock/mockVm.js'
import { mockBlocks, type BlockCase, type MockBlockOptions } from '../../src/testing/mockBlocks.js'
import { lastExecution, resetExecution } from './progress.js'

const here = fileURLToPath(new URL('.', import.meta.url))
/** Absolute path of the mock transaction VM module (workers load it through tsx). */
export const MOCK_VM = resolve(here, '../../src/mock/mockVm.ts')
/** The mock VM recording which transaction runs (for sequential reference runs). */
export const TRACKED_MOCK_VM = resolve(here, 'trackedMockVm.ts')
/** Absolute path of the instrumented VM module of the scheduler tests. */
export const INSTRUMENTED_VM = resolve(here, 'instrumentedVm.ts')

// The arbitraries live in the determinism kit (src/testing/mockBlocks.ts); `blockCaseArb`
// keeps this file's historical default of no dependency hints (the oracle predictor does not
// record `dependOn`).
export { baseEntries, baseState, jobOf, presentFn, type BlockCase, type Presence } from '../../src/testing/mockBlocks.js'
export type ArbOptions = MockBlockOptions
export function blockCaseArb(opts: ArbOptions = {}): fc.Arbitrary<BlockCase> {
  return mockBlocks({ hints: false, ...opts })
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
