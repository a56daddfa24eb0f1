/**
 * Test support: fast-check arbitraries of scripted blocks (test/support/scriptVm.ts) over a
 * small universe of raw keys of different lengths (including the empty key and keys that
 * are prefixes of others), with a random pre-state (values of 0–8 bytes, some empty, some
 * with leading zero bytes).
 */
import fc from 'fast-check'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MapBaseState } from '../../src/executor/baseState.js'
import type { BlockJob } from '../../src/executor/engine.js'
import { fromHex, type ScriptBlock, type ScriptOp } from './scriptVm.js'

export const SCRIPT_VM = resolve(fileURLToPath(new URL('.', import.meta.url)), 'scriptVm.ts')

export interface ScriptCase {
  block: ScriptBlock
  base: Array<[string, string]>
}

const KEY_POOL = ['', '00', '0000', '01', '0100', '0001', 'ff', 'ffffffff', '6b00000001', '6b0000000100', 'aa'.repeat(70), 'ab'.repeat(32)]

const hexBytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((b) => Buffer.from(b).toString('hex'))

export interface ScriptArbOptions {
  maxTxs?: number
  /** Allow `delta` amounts of 0 (no-ops; default true). */
  zeroDeltas?: boolean
  throws?: boolean
}

export function scriptCaseArb(opts: ScriptArbOptions = {}): fc.Arbitrary<ScriptCase> {
  return fc
    .record({
      keys: fc.subarray(KEY_POOL, { minLength: 2 }),
      txCount: fc.integer({ min: 1, max: opts.maxTxs ?? 60 }),
    })
    .chain(({ keys, txCount }) => {
      const k = fc.constantFrom(...keys)
      const amount = fc
        .oneof(
          ...(opts.zeroDeltas !== false ? [fc.constant(0)] : []),
          fc.integer({ min: 1, max: 10 }),
          fc.integer({ min: 1, max: 2 ** 48 }),
        )
        .map(String)
      const ops: Array<fc.WeightedArbitrary<ScriptOp>> = [
        { weight: 6, arbitrary: fc.record({ op: fc.constant('read' as const), key: k }) },
        { weight: 4, arbitrary: fc.record({ op: fc.constant('write' as const), key: k, value: hexBytes(0, 4) }) },
        { weight: 3, arbitrary: fc.record({ op: fc.constant('copy' as const), key: k, from: k }) },
        { weight: 3, arbitrary: fc.record({ op: fc.constant('delta' as const), key: k, amount }) },
        { weight: 2, arbitrary: fc.record({ op: fc.constant('delay' as const), kind: fc.constantFrom('macro' as const, 'micro' as const) }) },
        { weight: 1, arbitrary: fc.record({ op: fc.constant('dependOn' as const), tx: fc.nat({ max: Math.max(0, txCount - 1) }) }) },
      ]
      // r ≥ 1: absent and zero values (the most common) never throw
      const throwOp = fc
        .integer({ min: 3, max: 40 })
        .chain((m) => fc.record({ op: fc.constant('throw' as const), m: fc.constant(m), r: fc.integer({ min: 1, max: m - 1 }) }))
      if (opts.throws !== false) ops.push({ weight: 1, arbitrary: throwOp })
      return fc.record({
        block: fc.record({ txs: fc.array(fc.array(fc.oneof(...ops), { minLength: 1, maxLength: 8 }), { minLength: txCount, maxLength: txCount }) }),
        base: fc.uniqueArray(fc.tuple(k, hexBytes(0, 8)), { selector: (e) => e[0], maxLength: keys.length }),
      })
    })
}

export function scriptJob(c: ScriptCase): BlockJob {
  return { txCount: c.block.txs.length, payload: c.block, base: new MapBaseState(c.base.map(([k, v]) => [fromHex(k), fromHex(v)])) }
}

/** The failing transaction of a scripted block, parsed from the VM's message (-1 if none). */
export function scriptFailureIndex(message: string): number {
  const m = /^scripted transaction (\d+) failed/.exec(message)
  return m ? Number(m[1]) : -1
}
