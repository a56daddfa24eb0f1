/**
 * Edges of the shared-memory core: capacity, offsets, key strings.
 *
 * What it proves:
 * - (the static-batch planner, which runs incarnations on the same memory, likewise, at a
 *   read, threads 1 and 2;)
 * - a capacity error (the shared memory's arena or its location table is full) raised
 *   anywhere in an incarnation — a read (`findOrInsert` from the incarnation view, also when
 *   the VM swallows the exception), the record of deltas, the sequential tail — re-runs the
 *   block sequentially, with a result equal to the sequential engine's and `stats.fallback`
 *   starting `sequential: capacity:`, never `TransactionVMError` or `WorkerFailureError`:
 *   threads 1 × 2 lanes and threads 2, with `onWorkerFailure` 'throw' and 'sequential';
 *   the tail alone (runSequentialTail) throws the capacity error itself, not the error its
 *   caller makes of a transaction's failure;
 * - `memoryBytes` outside [64 KiB, 2 GiB] is refused with RangeError when the executor is
 *   created (byte offsets live in Int32 words); at exactly 2 GiB a key and a value stored
 *   in the last bytes of the arena read back intact;
 * - `keyToString`/`stringToKey` are exact for every byte value at every length, including
 *   under a `TextDecoder` whose 'latin1' is windows-1252 (as the WHATWG spec says and Node
 *   20.0–20.18.2 and 22.0–22.12 do), and the strings sort as the keys' bytes do.
 *
 * Each of these failed before the fix that introduced this file (see its commit message):
 * the read-path blocks failed with EngineAbortedError (threads 1) or WorkerFailureError
 * "block aborted" (threads 2, 'throw'), or fell back as a worker failure ('sequential');
 * the tail threw TransactionVMError; 3 GiB was accepted; the windows-1252 decoder changed
 * keys of 64 bytes or more holding bytes 0x80–0x9F.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockJob } from '../src/executor/engine.js'
import type { BlockSTMExecutor } from '../src/executor/blockstm.js'
import { createStaticBatchExecutor } from '../src/planner/engine.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { runSequentialTail } from '../src/executor/sequentialTail.js'
import { compareKeys, keyToString, stringToKey } from '../src/executor/keys.js'
import { CapacityError, H, MAX_MEMORY_BYTES, SharedMemory } from '../src/mvmemory/sharedMemory.js'
import { LocationTableFullError, R } from '../src/mvmemory/locationTable.js'
import { ReadResult } from '../src/mvmemory/mvMemory.js'
import { layoutBlock } from './support/memory.js'
import { writesHex } from './support/mockBlocks.js'
import { SCRIPT_VM } from './support/scriptBlocks.js'
import { createTransactionVM as createScriptVM, type ScriptOp } from './support/scriptVm.js'

const MiB = 1024 * 1024
const scriptSequential = createSequentialExecutor({ vmModule: SCRIPT_VM })

function scriptJob(txs: ScriptOp[][]): BlockJob {
  return { txCount: txs.length, payload: { txs }, base: new MapBaseState([[Uint8Array.of(0x6b, 1), Uint8Array.of(7)]]) }
}

describe('a capacity error anywhere in an incarnation falls back to sequential execution', () => {
  const small: ScriptOp[] = [{ op: 'read', key: '6b01' }]
  // 1 MiB: the smallest location table takes 512 KiB, the rest is arena. A read of a new
  // 600 KiB key does not fit it: the read itself fails (after a read of a small new key,
  // so that the thread's allocation chunk exists and the small read-set still fits, as it
  // does for most reads that meet a full arena). Filling the table takes 98,304 locations.
  const huge: ScriptOp = { op: 'readBlob', size: 600 * 1024, byte: 0xaa }
  const blocks: Array<{ name: string; memoryBytes: number; txs: ScriptOp[][]; reason: RegExp; only?: string }> = [
    {
      name: 'a read exhausts the arena',
      memoryBytes: 1 * MiB,
      txs: [small, [{ op: 'read', key: 'aa01' }, huge], small],
      reason: /exhausted/,
    },
    {
      name: 'a read exhausts the arena, and the VM swallows the error',
      memoryBytes: 1 * MiB,
      txs: [small, [{ op: 'read', key: 'aa01' }, { ...huge, swallow: true }, { op: 'read', key: '6b01' }, { op: 'write', key: '6b03', value: '05' }], small],
      reason: /exhausted/,
    },
    {
      name: 'the deltas of an incarnation exhaust the arena when recorded',
      memoryBytes: 1 * MiB,
      txs: [small, [{ op: 'deltaRange', prefix: 'dd', count: 20_000 }], small],
      reason: /exhausted/,
    },
    {
      name: 'a read fills the location table',
      memoryBytes: 32 * MiB,
      txs: [small, [{ op: 'readRange', prefix: 'aa', count: 100_000 }], small],
      reason: /location table is full/,
      // 100,000 reads: one configuration is enough (and the one that failed as "block aborted")
      only: "threads 2, onWorkerFailure 'throw'",
    },
  ]
  const configs = [
    { name: "threads 1 × 2 lanes, onWorkerFailure 'throw'", threads: 1, lanes: 2, onWorkerFailure: 'throw' as const },
    { name: "threads 2, onWorkerFailure 'throw'", threads: 2, lanes: 1, onWorkerFailure: 'throw' as const },
    { name: "threads 2, onWorkerFailure 'sequential'", threads: 2, lanes: 1, onWorkerFailure: 'sequential' as const },
  ]
  for (const cfg of configs) {
    describe(cfg.name, () => {
      const executors = new Map<number, Promise<BlockSTMExecutor>>()
      const executor = (memoryBytes: number): Promise<BlockSTMExecutor> => {
        let ex = executors.get(memoryBytes)
        if (ex === undefined) {
          ex = createBlockSTMExecutor({ ...cfg, vmModule: SCRIPT_VM, minParallelTxs: 0, memoryBytes })
          executors.set(memoryBytes, ex)
        }
        return ex
      }
      afterAll(async () => {
        for (const ex of executors.values()) await (await ex).close()
      })
      for (const b of blocks) {
        if (b.only !== undefined && b.only !== cfg.name) continue
        it(b.name, async () => {
          const ex = await executor(b.memoryBytes)
          const j = scriptJob(b.txs)
          const seq = await scriptSequential.execute(j)
          const r = await ex.execute(j)
          expect(r.stats.fallback).toMatch(/^sequential: capacity: /)
          expect(r.stats.fallback).toMatch(b.reason)
          expect(r.outputs).toEqual(seq.outputs)
          expect(writesHex(r.writes)).toEqual(writesHex(seq.writes))
          // The executor is healthy afterwards: a small block runs in parallel.
          const ok = scriptJob([small, [{ op: 'write', key: '6b02', value: '01' }], small])
          const after = await ex.execute(ok)
          expect(after.stats.fallback, 'the next block').toBeUndefined()
          expect(after.outputs).toEqual((await scriptSequential.execute(ok)).outputs)
        })
      }
    })
  }

  it('threads 1 × 2 lanes, serial mode: a capacity error in the conflict-heavy block (its tail included) falls back to sequential', async () => {
    // Every transaction reads and rewrites one key (the block goes serial); the last one
    // then reads 20,000 new locations (more than 1 MiB holds), whichever thread runs it.
    const txs: ScriptOp[][] = Array.from({ length: 60 }, (_, i) => [
      { op: 'read', key: '6b01' },
      { op: 'delay', kind: 'macro' },
      { op: 'write', key: '6b01', value: (i + 1).toString(16).padStart(2, '0') },
    ])
    txs.push([{ op: 'readRange', prefix: 'aa', count: 20_000 }])
    const ex = await createBlockSTMExecutor({ threads: 1, lanes: 2, vmModule: SCRIPT_VM, minParallelTxs: 0, serialFallbackRatio: 0, memoryBytes: 1 * MiB, onWorkerFailure: 'throw' })
    try {
      const j = scriptJob(txs)
      const seq = await scriptSequential.execute(j)
      const r = await ex.execute(j)
      expect(r.stats.fallback).toMatch(/^sequential: capacity: /)
      expect(r.outputs).toEqual(seq.outputs)
      expect(writesHex(r.writes)).toEqual(writesHex(seq.writes))
    } finally {
      await ex.close()
    }
  })

  for (const swallow of [false, true]) {
    it(`the sequential tail throws the capacity error itself, not the caller's transaction failure${swallow ? ' (the VM swallows it)' : ''}`, async () => {
      // 1 MiB: the smallest location table takes 512 KiB; 40,000 new locations do not fit the rest.
      const b = layoutBlock(3, [], { bytes: 1 * MiB })
      const txs: ScriptOp[][] = [[{ op: 'read', key: '6b01' }], [{ op: 'readRange', prefix: 'aa', count: 40_000, swallow }], [{ op: 'read', key: '6b01' }]]
      const j = scriptJob(txs)
      const failures: number[] = []
      const err = await runSequentialTail(createScriptVM({ txs }), b.mv, 0, j, (tx, e) => {
        failures.push(tx)
        return new Error(`transaction ${tx} failed: ${String(e)}`)
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(CapacityError)
      expect((err as Error).message).toMatch(/exhausted/)
      expect(failures).toEqual([])
    })
  }
})

describe('the static-batch planner: a capacity error in an incarnation falls back to sequential execution', () => {
  const small: ScriptOp[] = [{ op: 'read', key: '6b01' }]
  const huge: ScriptOp = { op: 'readBlob', size: 600 * 1024, byte: 0xaa }
  const predict = (job: BlockJob) => Array.from({ length: job.txCount }, () => ({ reads: [], writes: [] }))
  for (const threads of [1, 2]) {
    for (const swallow of [false, true]) {
      it(`threads ${threads}${swallow ? ', the VM swallows the error' : ''}`, async () => {
        const ex = await createStaticBatchExecutor({ threads, vmModule: SCRIPT_VM, predict, memoryBytes: 1 * MiB })
        try {
          const j = scriptJob([small, [{ op: 'read', key: 'aa01' }, { ...huge, swallow }, { op: 'read', key: '6b01' }], small])
          const seq = await scriptSequential.execute(j)
          const r = await ex.execute(j)
          expect(r.stats.fallback).toMatch(/^sequential: capacity: .*exhausted/)
          expect(r.outputs).toEqual(seq.outputs)
          expect(writesHex(r.writes)).toEqual(writesHex(seq.writes))
        } finally {
          await ex.close()
        }
      })
    }
  }
})

describe('memoryBytes bounds (byte offsets are Int32 words)', () => {
  it('refuses sizes outside [64 KiB, 2 GiB] at creation with RangeError', async () => {
    for (const memoryBytes of [MAX_MEMORY_BYTES + 4096, 3 * 1024 * MiB, 4 * 1024 * MiB, 1000, 1.5 * MiB + 0.5, Number.NaN]) {
      const err = await createBlockSTMExecutor({ threads: 1, vmModule: SCRIPT_VM, memoryBytes }).then(
        async (ex) => {
          await ex.close()
          return undefined
        },
        (e: unknown) => e,
      )
      expect(err, `memoryBytes ${memoryBytes}`).toBeInstanceOf(RangeError)
      expect((err as Error).message).toMatch(/memoryBytes must be an integer from 65536 .* to 2147483648/)
    }
  })

  it('at 2 GiB, a location inserted in the last bytes of the arena reads back intact', () => {
    const mem = SharedMemory.create(MAX_MEMORY_BYTES)
    const b = layoutBlock(1, [], { mem })
    const key = Uint8Array.from({ length: 40 }, (_, i) => 0x80 + i)
    const base = Uint8Array.from({ length: 24 }, (_, i) => 0xf0 - i)
    // Move the allocator to the last 64 KiB chunk of the buffer.
    mem.i32[H.BUMP] = mem.i32[H.LIMIT]! - 16 * 1024
    mem.resetThreadState()
    const rec = b.mv.table.findOrInsert(key, base)
    const i32 = mem.i32
    expect(i32[rec + R.KEY_AT]).toBeGreaterThan(MAX_MEMORY_BYTES - 65536)
    expect(i32[rec + R.BASE_AT]).toBeGreaterThan(MAX_MEMORY_BYTES - 65536)
    expect(b.mv.table.find(key)).toBe(rec)
    expect(b.mv.table.key(rec)).toEqual(key)
    const r = new ReadResult()
    b.mv.read(rec, 0, r, true)
    expect(r.value).toEqual(base)
    // Nothing is left past this chunk: the next chunk is refused, not wrapped.
    mem.resetThreadState()
    expect(() => mem.alloc(1)).toThrow(CapacityError)
  })
})

/** A TextDecoder whose 'latin1' is windows-1252, as the WHATWG Encoding Standard says. */
const CP1252: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021, 0x88: 0x02c6,
  0x89: 0x2030, 0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d, 0x91: 0x2018, 0x92: 0x2019, 0x93: 0x201c,
  0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc, 0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a,
  0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
}
class Windows1252Decoder {
  readonly encoding = 'windows-1252'
  decode(input?: Uint8Array): string {
    let s = ''
    for (const b of input ?? new Uint8Array(0)) s += String.fromCharCode(CP1252[b] ?? b)
    return s
  }
}

/** Keys of `len` bytes covering every byte value, each key a different rotation. */
function everyByteKeys(len: number): Uint8Array[] {
  const keys: Uint8Array[] = []
  for (let start = 0; start < 256; start += len >= 256 ? 64 : 1) keys.push(Uint8Array.from({ length: len }, (_, i) => (start + i) & 0xff))
  return keys
}

describe('location keys as strings (src/executor/keys.ts)', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    vi.resetModules()
  })

  const lengths = [0, 1, 2, 31, 63, 64, 65, 100, 256, 1024, 70_000]

  function checkExact(toStr: (k: Uint8Array) => string, toKey: (s: string) => Uint8Array): void {
    for (const len of lengths) {
      for (const k of everyByteKeys(len)) {
        const s = toStr(k)
        const back = toKey(s)
        let bad = s.length === len && back.length === len ? -1 : 0
        for (let i = 0; i < len && bad < 0; i++) if (s.charCodeAt(i) !== k[i] || back[i] !== k[i]) bad = i
        if (bad >= 0) expect({ len, at: bad, code: s.charCodeAt(bad), back: back[bad] }).toEqual({ len, at: bad, code: k[bad], back: k[bad] })
      }
    }
  }

  it('convert every byte value at every length both ways exactly', () => {
    checkExact(keyToString, stringToKey)
    // Views into a larger (and a shared) buffer.
    const backing = new Uint8Array(new SharedArrayBuffer(512))
    for (let i = 0; i < 512; i++) backing[i] = (i * 7) & 0xff
    for (const [from, to] of [[0, 10], [3, 200], [100, 512]] as const) {
      const view = backing.subarray(from, to)
      expect(stringToKey(keyToString(view))).toEqual(Uint8Array.from(view))
    }
  })

  it("stay exact where TextDecoder('latin1') follows the WHATWG spec (windows-1252)", async () => {
    expect(new Windows1252Decoder().decode(Uint8Array.of(0x80, 0x41))).toBe('\u20acA') // the stub does differ
    vi.stubGlobal('TextDecoder', Windows1252Decoder)
    vi.resetModules()
    const fresh = await import('../src/executor/keys.js')
    checkExact(fresh.keyToString, fresh.stringToKey)
  })

  it('sort as the keys do', () => {
    let x = 12345
    const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16) & 0xff
    const keys = Array.from({ length: 600 }, (_, i) => Uint8Array.from({ length: (i % 90) + (i % 3) }, () => (rnd() & 1 ? 0x80 + (rnd() & 0x1f) : rnd())))
    const byBytes = [...keys].sort(compareKeys).map(keyToString)
    const byString = keys.map(keyToString).sort()
    expect(byString).toEqual(byBytes)
  })
})

describe('capacity error classes', () => {
  it('ArenaExhaustedError and LocationTableFullError are CapacityErrors, exported from the engine entry', async () => {
    const engine = await import('../src/executor/index.js')
    expect(new engine.LocationTableFullError()).toBeInstanceOf(engine.CapacityError)
    expect(new engine.ArenaExhaustedError(1, 2)).toBeInstanceOf(engine.CapacityError)
    expect(new LocationTableFullError()).toBeInstanceOf(CapacityError)
  })
})
