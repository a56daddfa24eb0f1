/**
 * Unit tests of the multi-version memory (src/mvmemory) driven directly, on a shared memory
 * laid out as `BlockSTMExecutor.layout` does it.
 *
 * What it proves: reads see the highest lower writer (VALUE), the pre-block value when no
 * lower transaction wrote (absent → undefined, present → its bytes), a READ_DEPENDENCY on
 * the blocker when the highest lower entry is an ESTIMATE (also below deltas); deltas fold
 * over a VALUE, over the pre-block value and over an absent value; a re-execution that
 * writes fewer locations removes its old entries and `record` reports `wroteNew` exactly
 * when it wrote a location the previous incarnation had not; `finalWrites` omits locations
 * whose final value equals the pre-block value; read-set validation (version, base and
 * folded-value reads). Every case runs twice: with the real hash and with a constant hash
 * (every key collides), since keys must be compared in full. A whole mock block run with
 * threads 1 under the constant hash equals the sequential run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LocationTable, hashKey } from '../src/mvmemory/locationTable.js'
import {
  READ_BASE,
  READ_DEPENDENCY,
  READ_FOLDED,
  READ_VERSION,
  type ReadResult,
} from '../src/mvmemory/mvMemory.js'
import { ReadSetCapture } from '../src/validation/readSet.js'
import { H, SharedMemory } from '../src/mvmemory/sharedMemory.js'
import { Validator } from '../src/validation/validate.js'
import { decodeNumeric, encodeNumeric } from '../src/mvmemory/numeric.js'
import { createBlockSTMExecutor, createSequentialExecutor } from '../src/executor/engine.js'
import { delta, key, layoutBlock, num, readAs, record, value, type Block } from './support/memory.js'
import { MOCK_VM, TRACKED_MOCK_VM, blockCaseArb, divergence, jobOf, runParallel, runSequential } from './support/mockBlocks.js'

const K = key(0x6b, 1)
const K2 = key(0x6b, 2)
const K3 = key(0x6b, 3)
const K4 = key(0x6b, 4)
const K5 = key(0x6b, 5)
const hex = (b: Uint8Array | undefined) => (b === undefined ? 'absent' : Buffer.from(b).toString('hex'))

function expectVersion(r: ReadResult, tx: number, inc: number, v?: Uint8Array) {
  expect({ kind: r.kind, tx: r.tx, inc: r.inc }).toEqual({ kind: READ_VERSION, tx, inc })
  if (v !== undefined) expect(hex(r.value)).toBe(hex(v))
}
function expectBase(r: ReadResult, v: Uint8Array | undefined) {
  expect(r.kind).toBe(READ_BASE)
  expect(hex(r.value)).toBe(hex(v))
}
function expectFolded(r: ReadResult, n: bigint) {
  expect(r.kind).toBe(READ_FOLDED)
  expect(decodeNumeric(r.value)).toBe(n)
}
function expectDependency(r: ReadResult, blocker: number) {
  expect({ kind: r.kind, tx: r.tx }).toEqual({ kind: READ_DEPENDENCY, tx: blocker })
}

const HASHES = [
  { name: 'FNV-1a hash', hash: hashKey },
  { name: 'constant hash (every key collides)', hash: () => 7 },
]

for (const h of HASHES) {
  describe(`MVMemory with ${h.name}`, () => {
    let hashCalls = 0
    beforeEach(() => {
      hashCalls = 0
      LocationTable.hash = (k) => {
        hashCalls++
        return h.hash(k)
      }
    })
    afterEach(() => {
      LocationTable.hash = hashKey
      expect(hashCalls).toBeGreaterThan(0) // the seam really was used
    })

    it('reads the pre-block value when no lower transaction wrote (absent and present)', () => {
      const b = layoutBlock(4, [[K, num(41)], [K3, new Uint8Array(0)]])
      expectBase(readAs(b, K, 0), num(41))
      expectBase(readAs(b, K, 3), num(41))
      expectBase(readAs(b, K2, 2), undefined) // NOT_FOUND: absent from the pre-block state
      expectBase(readAs(b, K3, 1), new Uint8Array(0)) // present but empty is not absent
      expect(readAs(b, K3, 1).value).toBeDefined()
      // Without a value copy the kind is still right.
      const r = readAs(b, K, 2, false)
      expect(r.kind).toBe(READ_BASE)
      expect(r.value).toBeUndefined()
      // A transaction's own entry and higher entries are invisible to it.
      record(b, 2, 0, [value(K, num(7))])
      expectBase(readAs(b, K, 2), num(41))
      expectBase(readAs(b, K, 1), num(41))
      expectVersion(readAs(b, K, 3), 2, 0, num(7))
    })

    it('the highest lower writer wins, whatever the insertion order', () => {
      const b = layoutBlock(10, [[K, num(1)]])
      record(b, 6, 0, [value(K, num(60))])
      record(b, 1, 2, [value(K, num(10))])
      record(b, 3, 1, [value(K, num(30))])
      expectBase(readAs(b, K, 0), num(1))
      expectBase(readAs(b, K, 1), num(1))
      expectVersion(readAs(b, K, 2), 1, 2, num(10))
      expectVersion(readAs(b, K, 3), 1, 2, num(10))
      expectVersion(readAs(b, K, 4), 3, 1, num(30))
      expectVersion(readAs(b, K, 6), 3, 1, num(30))
      expectVersion(readAs(b, K, 7), 6, 0, num(60))
      expectVersion(readAs(b, K, 9), 6, 0, num(60))
      // A new incarnation replaces the transaction's entry in place.
      record(b, 3, 2, [value(K, num(31))])
      expectVersion(readAs(b, K, 5), 3, 2, num(31))
      // Other locations are untouched.
      expectBase(readAs(b, K2, 9), undefined)
    })

    it('an ESTIMATE gives READ_DEPENDENCY on its transaction', () => {
      const b = layoutBlock(8, [[K, num(5)]])
      record(b, 1, 0, [value(K, num(10)), value(K2, num(20))])
      record(b, 4, 0, [value(K, num(40))])
      b.mv.convertWritesToEstimates(1)
      expectBase(readAs(b, K, 1), num(5)) // below the estimate
      expectDependency(readAs(b, K, 2), 1)
      expectDependency(readAs(b, K2, 7), 1)
      expectDependency(readAs(b, K, 4), 1)
      expectVersion(readAs(b, K, 5), 4, 0, num(40)) // a higher VALUE hides the estimate
      // The next incarnation's record replaces the estimates.
      record(b, 1, 1, [value(K, num(11)), value(K2, num(21))])
      expectVersion(readAs(b, K, 2), 1, 1, num(11))
      expectVersion(readAs(b, K2, 7), 1, 1, num(21))
    })

    it('folds deltas over a VALUE, over the pre-block value and over an absent value', () => {
      const big = (1n << 80n) + 12345n
      const b = layoutBlock(10, [[K2, num(50)], [K4, num(big)]])
      // over a VALUE
      record(b, 1, 0, [value(K, num(100))])
      record(b, 2, 0, [delta(K, 5)])
      record(b, 3, 0, [delta(K, 7)])
      expectVersion(readAs(b, K, 2), 1, 0, num(100))
      expectFolded(readAs(b, K, 3), 105n)
      expectFolded(readAs(b, K, 4), 112n)
      // a VALUE above deltas ends the fold
      record(b, 5, 0, [value(K, num(9))])
      expectVersion(readAs(b, K, 6), 5, 0, num(9))
      record(b, 6, 0, [delta(K, 1)])
      expectFolded(readAs(b, K, 9), 10n)
      // over the pre-block value
      record(b, 1, 0, [value(K, num(100))])
      record(b, 2, 0, [delta(K, 5), delta(K2, 5)])
      record(b, 4, 0, [delta(K2, 3)])
      expectBase(readAs(b, K2, 2), num(50))
      expectFolded(readAs(b, K2, 3), 55n)
      expectFolded(readAs(b, K2, 5), 58n)
      // over an absent value (absent is 0)
      record(b, 3, 0, [delta(K3, 4)])
      record(b, 7, 0, [delta(K3, 6)])
      expectBase(readAs(b, K3, 3), undefined)
      expectFolded(readAs(b, K3, 4), 4n)
      expectFolded(readAs(b, K3, 8), 10n)
      // multi-byte values fold exactly
      record(b, 0, 0, [delta(K4, 1n << 64n)])
      expectFolded(readAs(b, K4, 1), big + (1n << 64n))
      // a zero fold over an absent value gives the empty (minimal) encoding, present
      record(b, 8, 0, [delta(K5, 0)])
      const z = readAs(b, K5, 9)
      expect(z.kind).toBe(READ_FOLDED)
      expect(hex(z.value)).toBe('')
      expect(z.value).toBeDefined()
    })

    it('deltas over an ESTIMATE, or an ESTIMATE among deltas, give a dependency', () => {
      const b = layoutBlock(10, [[K, num(1)]])
      record(b, 1, 0, [value(K, num(100))])
      record(b, 2, 0, [delta(K, 5)])
      record(b, 3, 0, [delta(K, 7)])
      b.mv.convertWritesToEstimates(1)
      expectDependency(readAs(b, K, 4), 1) // folds down through deltas to the estimate
      expectDependency(readAs(b, K, 3), 1)
      expectBase(readAs(b, K, 1), num(1))
      record(b, 1, 1, [value(K, num(100))])
      b.mv.convertWritesToEstimates(2) // a delta turned into an estimate
      expectDependency(readAs(b, K, 4), 2)
      expectVersion(readAs(b, K, 2), 1, 1)
    })

    it('a re-execution writing fewer locations removes the old entries; record reports wroteNew', () => {
      const b = layoutBlock(6, [[K3, num(3)]])
      expect(record(b, 2, 0, [])).toBe(false) // nothing written at all
      expect(record(b, 2, 1, [value(K, num(1)), value(K2, num(2))])).toBe(true) // first writes
      expectVersion(readAs(b, K2, 3), 2, 1)
      expect(record(b, 2, 2, [value(K, num(11))])).toBe(false) // a subset
      expectBase(readAs(b, K2, 3), undefined) // K2's entry is gone
      expectVersion(readAs(b, K, 3), 2, 2, num(11))
      expect(record(b, 2, 3, [value(K, num(12)), delta(K3, 1)])).toBe(true) // K3 is new
      expectFolded(readAs(b, K3, 5), 4n)
      expect(record(b, 2, 4, [delta(K3, 2), value(K, num(13))])).toBe(false) // same set, other order
      expect(record(b, 2, 5, [value(K2, num(22))])).toBe(true) // K and K3 dropped, K2 new
      expectBase(readAs(b, K, 3), undefined)
      expectBase(readAs(b, K3, 3), num(3))
      expect(record(b, 2, 6, [])).toBe(false)
      expectBase(readAs(b, K2, 3), undefined)
      // An aborted incarnation's estimates on locations the next one skips are removed too.
      expect(record(b, 2, 7, [value(K, num(1)), value(K2, num(2))])).toBe(true)
      b.mv.convertWritesToEstimates(2)
      expectDependency(readAs(b, K2, 4), 2)
      expect(record(b, 2, 8, [value(K, num(3))])).toBe(false)
      expectBase(readAs(b, K2, 4), undefined)
      expectVersion(readAs(b, K, 4), 2, 8, num(3))
      // Entries of other transactions at the same locations survive.
      expect(record(b, 4, 0, [value(K2, num(44))])).toBe(true)
      expect(record(b, 2, 9, [value(K2, num(3))])).toBe(true)
      expect(record(b, 2, 10, [])).toBe(false)
      expectVersion(readAs(b, K2, 5), 4, 0, num(44))
    })

    it('finalWrites: the last value of every location that differs from its pre-block value', () => {
      const b = layoutBlock(5, [
        [K, num(5)],
        [K3, num(7)],
        [K4, num(10)],
      ])
      record(b, 0, 0, [value(K, num(5)), value(K3, num(8)), delta(K4, 5)]) // K rewritten unchanged
      record(b, 1, 0, [value(K2, num(9)), delta(K5, 0)]) // K5 folds to 0 over absent: present (empty) ≠ absent
      record(b, 2, 0, [value(K3, num(7)), value(K4, num(10))]) // K3 and K4 back to their base values
      record(b, 3, 0, [delta(K4, 0)]) // a zero credit over the base value changes nothing
      readAs(b, key(0x6b, 99), 4) // a location only read
      const out = b.mv
        .finalWrites(5)
        .map(([k, v]) => `${hex(k)}=${hex(v)}`)
        .sort()
      expect(out).toEqual([`${hex(K2)}=${hex(num(9))}`, `${hex(K5)}=`])
      // An ESTIMATE left behind is an invariant violation, never silently ignored.
      b.mv.convertWritesToEstimates(1)
      expect(() => b.mv.finalWrites(5)).toThrow(/ESTIMATE/)
    })

    it('finalWrites walks the written list: each written location once, however often its entries came and went', () => {
      const b = layoutBlock(6, [
        [K, num(5)],
        [K4, num(1)],
      ])
      const listed = () => {
        const recs: number[] = []
        b.mv.table.forEachWritten((rec) => recs.push(rec))
        return recs.map((rec) => hex(b.mv.table.key(rec))).sort()
      }
      expect(listed()).toEqual([]) // the pre-block locations are not on it
      readAs(b, K3, 2) // a location only read is not either
      record(b, 1, 0, [value(K, num(6)), value(K2, num(2))])
      record(b, 1, 1, [value(K2, num(3))]) // K's only entry removed
      record(b, 1, 2, [value(K, num(7)), value(K2, num(3))]) // and K written again
      record(b, 3, 0, [value(K2, num(4)), delta(K4, 2)])
      record(b, 3, 1, []) // K4's only entry removed for good
      expect(listed()).toEqual([hex(K), hex(K2), hex(K4)].sort())
      const out = b.mv.finalWrites(6).map(([k, v]) => `${hex(k)}=${hex(v)}`)
      expect(out.sort()).toEqual([`${hex(K)}=${hex(num(7))}`, `${hex(K2)}=${hex(num(3))}`].sort())
    })

    it('validation: version, base and folded reads', () => {
      const b = layoutBlock(8, [[K, num(1)]])
      const validator = new Validator(b.mv)
      record(b, 1, 0, [value(K2, num(20)), delta(K3, 2)])
      record(b, 2, 0, [delta(K3, 3)])
      // tx 5 reads K (base), K2 (version of tx 1), K3 (folded 5)
      const reads = new ReadSetCapture()
      for (const k of [K, K2, K3]) {
        const rec = b.mv.table.findOrInsert(k)
        const r = readAs(b, k, 5)
        reads.add(rec, r)
      }
      record(b, 5, 0, [], reads)
      expect(validator.validateReadSet(5)).toBe(true)
      // deltas that sum to the same value are equivalent for the reader
      record(b, 2, 1, [delta(K3, 1)])
      record(b, 3, 0, [delta(K3, 2)])
      expect(validator.validateReadSet(5)).toBe(true)
      record(b, 3, 1, [delta(K3, 3)])
      expect(validator.validateReadSet(5)).toBe(false)
      record(b, 3, 2, [delta(K3, 2)]) // back to the same sum
      expect(validator.validateReadSet(5)).toBe(true)
      // a new incarnation of the writer invalidates a version read, even with the same value
      record(b, 1, 1, [value(K2, num(20)), delta(K3, 2)])
      expect(validator.validateReadSet(5)).toBe(false)
      record(b, 5, 1, [], rebuild(b, 5, [K, K2, K3]))
      expect(validator.validateReadSet(5)).toBe(true)
      // a lower write over a base read, and an estimate, invalidate
      record(b, 4, 0, [value(K, num(1))])
      expect(validator.validateReadSet(5)).toBe(false)
      record(b, 4, 1, [])
      expect(validator.validateReadSet(5)).toBe(true)
      b.mv.convertWritesToEstimates(1)
      expect(validator.validateReadSet(5)).toBe(false)
      // a write above the reader does not matter
      record(b, 1, 2, [value(K2, num(20)), delta(K3, 2)])
      record(b, 5, 2, [], rebuild(b, 5, [K, K2, K3]))
      record(b, 6, 0, [value(K, num(66)), value(K2, num(66)), delta(K3, 6)])
      expect(validator.validateReadSet(5)).toBe(true)
    })

    it('keys that share prefixes or differ only in length are different locations', () => {
      const keys = [key(), key(0), key(0, 0), key(1), key(1, 0), key(0, 1), key(255, 255, 255, 255), key(...new Array(70).fill(9))]
      const b = layoutBlock(keys.length + 1)
      keys.forEach((k, i) => record(b, i, 0, [value(k, num(i + 100))]))
      keys.forEach((k, i) => expectVersion(readAs(b, k, keys.length), i, 0, num(i + 100)))
      expect(b.mv.table.find(key(2))).toBe(0)
      expect(b.mv.table.find(key(0, 0, 0))).toBe(0)
      const out = new Map(b.mv.finalWrites(keys.length + 1).map(([k, v]) => [hex(k), hex(v)]))
      expect(out.size).toBe(keys.length)
      keys.forEach((k, i) => expect(out.get(hex(k))).toBe(hex(num(i + 100))))
    })
  })
}

/** A fresh read-set of `keys` as transaction `tx` reads them now. */
function rebuild(b: Block, tx: number, keys: Uint8Array[]): ReadSetCapture {
  const reads = new ReadSetCapture()
  for (const k of keys) reads.add(b.mv.table.findOrInsert(k), readAs(b, k, tx))
  return reads
}

describe('a whole block under a constant hash', () => {
  afterEach(() => {
    LocationTable.hash = hashKey
  })

  it('threads 1 (1 and 3 lanes) equals sequential when every key collides', async () => {
    const sequential = createSequentialExecutor({ vmModule: TRACKED_MOCK_VM })
    const one = await createBlockSTMExecutor({ threads: 1, vmModule: MOCK_VM, minParallelTxs: 0 })
    const three = await createBlockSTMExecutor({ threads: 1, lanes: 3, vmModule: MOCK_VM, minParallelTxs: 0 })
    try {
      const cases = fc.sample(blockCaseArb({ minTxs: 40, maxTxs: 120 }), { seed: 4242, numRuns: 12 })
      let calls = 0
      LocationTable.hash = () => {
        calls++
        return 7
      }
      for (const bc of cases) {
        if (bc.block.keyCount > 400) bc.block.keyCount = 400 // linear probing over every key
        const job = jobOf(bc)
        const seq = await runSequential(sequential, job)
        for (const ex of [one, three]) {
          const d = divergence(seq, await runParallel(ex, job), job.txCount)
          expect(d, JSON.stringify(bc)).toBeUndefined()
        }
      }
      expect(calls).toBeGreaterThan(1000)
    } finally {
      LocationTable.hash = hashKey
      await one.close()
      await three.close()
    }
  })
})

describe('idle lanes sleep until woken (SharedMemory.sleepForWork / wakeIdle)', () => {
  it('does not sleep when work turns up on the last look; a wake with nobody asleep changes nothing', async () => {
    const mem = SharedMemory.create(1 << 16, true)
    const t0 = performance.now()
    await mem.sleepForWork(() => true, 5_000)
    expect(performance.now() - t0).toBeLessThan(1_000)
    const seq = Atomics.load(mem.i32, H.IDLE_SEQ)
    mem.wakeIdle()
    expect(Atomics.load(mem.i32, H.IDLE_SEQ)).toBe(seq)
    expect(Atomics.load(mem.i32, H.IDLE_WAITERS)).toBe(0)
  })

  it('a sleeper is woken by wakeIdle long before its timeout, and a wake between its last look and its wait is not lost', async () => {
    const mem = SharedMemory.create(1 << 16, true)
    // Woken while waiting.
    const t0 = performance.now()
    const sleeping = mem.sleepForWork(() => false, 10_000)
    expect(Atomics.load(mem.i32, H.IDLE_WAITERS)).toBe(1)
    setTimeout(() => mem.wakeIdle(), 20)
    await sleeping
    expect(performance.now() - t0).toBeLessThan(5_000)
    expect(Atomics.load(mem.i32, H.IDLE_WAITERS)).toBe(0)
    // Work appears (and is announced) after the counter was read but before the wait.
    const t1 = performance.now()
    await mem.sleepForWork(() => {
      mem.wakeIdle()
      return false
    }, 10_000)
    expect(performance.now() - t1).toBeLessThan(5_000)
  })
})

describe('numeric values (mvmemory/numeric.ts)', () => {
  const viaHex = (n: bigint): string => (n === 0n ? '' : n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0'))
  it('encode is minimal big-endian (0 is empty) and decode inverts it, on both sides of the safe-integer boundary', () => {
    const edges = [0n, 1n, 255n, 256n, 65535n, 65536n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 2n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n, 2n ** 256n - 1n]
    const arb = fc.oneof(fc.constantFrom(...edges), fc.bigInt({ min: 0n, max: 2n ** 60n }), fc.bigInt({ min: 0n, max: 2n ** 300n }))
    fc.assert(
      fc.property(arb, (n) => {
        const b = encodeNumeric(n)
        expect(Buffer.from(b).toString('hex')).toBe(viaHex(n))
        expect(b[0]).not.toBe(0)
        expect(decodeNumeric(b)).toBe(n)
      }),
      { numRuns: 2000 },
    )
    expect(() => encodeNumeric(-1n)).toThrow(RangeError)
  })
})
