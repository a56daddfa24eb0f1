/**
 * Outcomes of one block and how two of them differ (the determinism kit's comparison).
 *
 * An outcome is either the block's outputs and final writes (the state diff), or its failure:
 * in transaction `txIndex` with the VM's message, or outside any transaction (`txIndex` -1).
 * Two outcomes agree when every output has the same canonical bytes (canonical.ts), the
 * final writes are the same set of (location, value) byte strings, or both failed in the
 * same transaction with the same message. `firstDifference` names the first differing
 * transaction and the first differing location (in key byte order), when there are any.
 */
import type { ExecutionStats } from '../executor/engine.js'
import { TransactionVMError } from '../executor/blockstm.js'
import { errorMessage } from '../executor/executor.js'
import { bytesToHex, canonical, toJSONText } from './canonical.js'

export type Outcome =
  | { ok: true; outputs: unknown[]; writes: Array<[Uint8Array, Uint8Array]>; stats?: ExecutionStats }
  | { ok: false; txIndex: number; name: string; message: string }

/** Where and how two outcomes of one block differ. */
export interface Difference {
  /** One line saying what differs. */
  summary: string
  /** The first transaction whose output (or failure) differs, if any. */
  txIndex?: number
  /** The first location (0x-hex key) whose final value differs, if any. */
  location?: string
  /** The two sides at that transaction / location, rendered. */
  expected?: string
  actual?: string
  expectedValue?: string
  actualValue?: string
}

/** The outcome of an engine call: its result, or the failure it threw. */
export async function outcomeOf(run: () => Promise<{ outputs: unknown[]; writes: Array<[Uint8Array, Uint8Array]>; stats?: ExecutionStats }>): Promise<Outcome> {
  try {
    const r = await run()
    return { ok: true, outputs: r.outputs, writes: r.writes, ...(r.stats !== undefined ? { stats: r.stats } : {}) }
  } catch (e) {
    if (e instanceof TransactionVMError) return { ok: false, txIndex: e.txIndex, name: e.name, message: e.message }
    return { ok: false, txIndex: -1, name: e instanceof Error ? e.name : typeof e, message: errorMessage(e) }
  }
}

const render = (o: unknown): string => {
  const s = toJSONText(o)
  return s.length > 400 ? s.slice(0, 400) + '…' : s
}

const failureText = (o: { txIndex: number; name: string; message: string }) =>
  `${o.txIndex >= 0 ? `failed in tx ${o.txIndex}` : 'failed outside any transaction'} (${o.name}: ${o.message})`

/** How `actual` differs from `expected` (the sequential reference), or undefined when they agree. */
export function firstDifference(expected: Outcome, actual: Outcome): Difference | undefined {
  if (!expected.ok || !actual.ok) {
    if (!expected.ok && !actual.ok) {
      const sameMessage = expected.txIndex >= 0 ? expected.message === actual.message : actual.message.includes(expected.message)
      if (expected.txIndex === actual.txIndex && sameMessage) return undefined
    }
    const at = (o: Outcome) => (o.ok ? Infinity : o.txIndex < 0 ? Infinity : o.txIndex)
    const tx = Math.min(at(expected), at(actual))
    const side = (o: Outcome) => (o.ok ? 'succeeded' : failureText(o))
    return {
      summary: `sequential ${side(expected)}, parallel ${side(actual)}`,
      ...(Number.isFinite(tx) ? { txIndex: tx } : {}),
      expected: side(expected),
      actual: side(actual),
    }
  }
  const d: Difference = { summary: '' }
  const n = Math.max(expected.outputs.length, actual.outputs.length)
  for (let i = 0; i < n; i++) {
    if (canonical(expected.outputs[i]) !== canonical(actual.outputs[i])) {
      d.txIndex = i
      d.expected = render(expected.outputs[i])
      d.actual = render(actual.outputs[i])
      break
    }
  }
  const want = new Map(expected.writes.map(([k, v]) => [bytesToHex(k), bytesToHex(v)]))
  const got = new Map(actual.writes.map(([k, v]) => [bytesToHex(k), bytesToHex(v)]))
  const keys = [...new Set([...want.keys(), ...got.keys()])].sort()
  for (const k of keys) {
    if (want.get(k) !== got.get(k)) {
      d.location = '0x' + k
      const show = (v: string | undefined) => (v === undefined ? 'unchanged' : '0x' + v)
      d.expectedValue = show(want.get(k))
      d.actualValue = show(got.get(k))
      break
    }
  }
  if (d.txIndex === undefined && d.location === undefined) return undefined
  const parts: string[] = []
  if (d.txIndex !== undefined) parts.push(`output of tx ${d.txIndex}: sequential ${d.expected}, parallel ${d.actual}`)
  if (d.location !== undefined) parts.push(`final value at ${d.location}: sequential ${d.expectedValue}, parallel ${d.actualValue}`)
  d.summary = parts.join('; ')
  return d
}
