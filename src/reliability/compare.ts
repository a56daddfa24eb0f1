/**
 * Comparing two EVM block outcomes (a result or a thrown error) without throwing: used by the
 * reliability tests, the EVM property test and its long-run mode (which counts divergences
 * instead of stopping at the first one).
 */
import { bytesToHex } from '@ethereumjs/util'
import type { EvmBlockResult, PostState } from '../evm/index.js'

function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Uint8Array) return bytesToHex(v)
  if (v instanceof Map) return [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)).map(([k, x]) => [plain(k), plain(x)])
  if (Array.isArray(v)) return v.map(plain)
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {}
    for (const k of Object.keys(v).sort()) if ((v as Record<string, unknown>)[k] !== undefined) o[k] = plain((v as Record<string, unknown>)[k])
    return o
  }
  return v
}

/** The post-state with empty storage values dropped, as plain JSON. */
export function canonicalPost(p: PostState): unknown {
  const out: Record<string, unknown> = {}
  for (const [addr, acc] of [...p].sort(([a], [b]) => (a < b ? -1 : 1))) {
    out[addr] =
      acc === null
        ? null
        : {
            balance: acc.balance.toString(),
            nonce: acc.nonce.toString(),
            code: bytesToHex(acc.code),
            storage: Object.fromEntries([...acc.storage].filter(([, v]) => v !== 0n).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.toString()])),
          }
  }
  return out
}

/** Everything a block result commits to (not stats or timings), as comparable JSON. */
export function canonicalResult(r: EvmBlockResult): Record<string, unknown> {
  return {
    number: r.number.toString(),
    gasUsed: r.gasUsed.toString(),
    logsBloom: bytesToHex(r.logsBloom),
    receiptsRoot: r.receiptsRoot === null ? null : bytesToHex(r.receiptsRoot),
    receipts: plain(r.receipts),
    results: plain(r.results),
    postState: canonicalPost(r.postState),
    headerMatch: r.headerMatch,
  }
}

export type Outcome = EvmBlockResult | Error

function errorKey(e: Error): string {
  const tx = (e as { txIndex?: number }).txIndex
  return `${e.name}${tx !== undefined ? ` at transaction ${tx}` : ''}`
}

/** undefined when both outcomes are the same (equal results, or the same error class at the same transaction); else what differs. */
export function evmDivergence(a: Outcome, b: Outcome): string | undefined {
  if (a instanceof Error || b instanceof Error) {
    if (a instanceof Error && b instanceof Error) return errorKey(a) === errorKey(b) ? undefined : `errors differ: ${a.message} / ${b.message}`
    return `one failed: ${a instanceof Error ? a.message : 'ok'} / ${b instanceof Error ? b.message : 'ok'}`
  }
  const x = canonicalResult(a)
  const y = canonicalResult(b)
  for (const k of Object.keys(x)) {
    const sx = JSON.stringify(x[k])
    const sy = JSON.stringify(y[k])
    if (sx !== sy) {
      let i = 0
      while (i < sx.length && sx[i] === sy[i]) i++
      return `${k} differs at char ${i}: …${sx.slice(Math.max(0, i - 60), i + 60)}… vs …${sy.slice(Math.max(0, i - 60), i + 60)}…`
    }
  }
  return undefined
}
