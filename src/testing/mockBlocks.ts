/**
 * fast-check arbitraries of blocks of the built-in mock transaction VM (src/mock/mockVm.ts)
 * with their pre-block state, for the determinism kit and the project's own tests.
 *
 * A generated block mixes reads, writes and commutative deltas on static and
 * value-dependent keys (a re-execution that reads other values touches other locations),
 * reverts, VM failures (which fail the block), dependency hints (`dependOn` a lower
 * transaction), CPU work and explicit yields, over key universes from 2 keys (everything
 * conflicts) to thousands (few conflicts), with pre-states holding some of the keys.
 * Shrinking goes towards fewer transactions, fewer operations and smaller numbers.
 */
import fc from 'fast-check'
import { MapBaseState } from '../executor/baseState.js'
import type { BlockJob } from '../executor/engine.js'
import { mockBaseEntries, mockKey, type MockBlock, type MockOp, type MockTx } from '../mock/mockVm.js'
import { encodeNumeric } from '../mvmemory/numeric.js'

/** Which keys of the universe the pre-block state holds. */
export type Presence =
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'even' }
  | { kind: 'mod'; m: number; r: number } // k % m < r
  /** Every key present with a value ≥ 2^72 (for blocks with negative deltas). */
  | { kind: 'wide' }

/** A generated mock block and its pre-block state. */
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

/** The pre-block state of a case as `[key, value]` pairs. */
export function baseEntries(c: BlockCase): Array<[Uint8Array, Uint8Array]> {
  const entries = mockBaseEntries(c.block.keyCount, presentFn(c.presence))
  if (c.presence.kind !== 'wide') return entries
  return entries.map(([k], i) => [k, encodeNumeric((1n << 72n) + BigInt(i) * 0x1_0000_0001n)])
}

export function baseState(c: BlockCase): MapBaseState {
  return new MapBaseState(baseEntries(c))
}

/** The engine job of a case (payload: the mock block). */
export function jobOf(c: BlockCase): BlockJob {
  return { txCount: c.block.txs.length, payload: c.block, base: baseState(c) }
}

export interface MockBlockOptions {
  /** Smallest and largest number of transactions (default 1..150; blocks above 12 in about half the cases). */
  minTxs?: number
  maxTxs?: number
  /** Key universes: a fixed size, or a range (default: a mix from 2 to 5,000 keys). */
  keys?: number | { min: number; max: number }
  /** Allow `throw` ops (VM failures that fail the block). Default true (in about one block in five). */
  throws?: boolean
  /** Allow negative delta amounts (invalid: the transaction executing one fails the block). Default false. */
  negativeDeltas?: boolean
  /** Deltas at all (default true). */
  deltas?: boolean
  /** Dependency hints (`depend` ops: `dependOn` a lower transaction). Default true. */
  hints?: boolean
  /** Value-dependent keys (read/write sets that depend on the values read). Default true. */
  dynamic?: boolean
  /** The pre-state: every key present with a value ≥ 2^72 (multi-byte folds). */
  wide?: boolean
}

const defaultKeyCount: fc.Arbitrary<number> = fc.oneof(
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

function opArb(keyCount: number, maxTx: number, throws: boolean, o: MockBlockOptions): fc.Arbitrary<MockOp> {
  const k = fc.integer({ min: 0, max: keyCount - 1 })
  const dynamic = o.dynamic === false ? fc.constant(false) : fc.boolean()
  const amount = o.negativeDeltas
    ? fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }))
    : fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 2 ** 40 }))
  const ops: Array<fc.WeightedArbitrary<MockOp>> = [
    { weight: 8, arbitrary: fc.record({ op: fc.constant('read' as const), k, dynamic }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('write' as const), k, salt: fc.integer({ min: 0, max: 0xffff }), dynamic }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('revert' as const), m: fc.integer({ min: 2, max: 9 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('delay' as const), kind: fc.constantFrom('macro' as const, 'micro' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('work' as const), us: fc.integer({ min: 1, max: 30 }) }) },
  ]
  if (o.deltas !== false) ops.push({ weight: 4, arbitrary: fc.record({ op: fc.constant('delta' as const), k, amount, dynamic }) })
  if (throws) ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('throw' as const), m: fc.integer({ min: 3, max: 120 }) }) })
  if (o.hints !== false && maxTx > 1) ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('depend' as const), tx: fc.nat({ max: maxTx - 2 }) }) })
  return fc.oneof(...ops)
}

function txArb(keyCount: number, maxTx: number, throws: boolean, o: MockBlockOptions): fc.Arbitrary<MockTx> {
  return fc.record({ ops: fc.array(opArb(keyCount, maxTx, throws, o), { minLength: 1, maxLength: 8, size: 'max' }) })
}

/** Random mock blocks with their pre-state (see the module comment). */
export function mockBlocks(opts: MockBlockOptions = {}): fc.Arbitrary<BlockCase> {
  const minTxs = opts.minTxs ?? 1
  const maxTxs = opts.maxTxs ?? 150
  if (!Number.isInteger(minTxs) || !Number.isInteger(maxTxs) || minTxs < 1 || maxTxs < minTxs) {
    throw new RangeError(`mockBlocks: need 1 ≤ minTxs ≤ maxTxs, got ${minTxs}..${maxTxs}`)
  }
  const keys =
    opts.keys === undefined
      ? defaultKeyCount
      : typeof opts.keys === 'number'
        ? fc.constant(opts.keys)
        : fc.integer({ min: opts.keys.min, max: opts.keys.max })
  return fc
    .record({
      keyCount: keys,
      // Roughly one block in five may contain VM failures.
      throwing: opts.throws === false ? fc.constant(false) : fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
      presence: opts.wide ? fc.constant<Presence>({ kind: 'wide' }) : presenceArb,
      big: fc.boolean(),
    })
    .chain(({ keyCount, throwing, presence, big }) => {
      const max = big ? maxTxs : Math.min(maxTxs, Math.max(minTxs, 12))
      return fc.record({
        block: fc.record({
          keyCount: fc.constant(keyCount),
          txs: fc.array(txArb(keyCount, max, throwing, opts), { minLength: minTxs, maxLength: max, size: 'max' }),
        }),
        presence: fc.constant(presence),
      })
    })
}

export { mockKey }
