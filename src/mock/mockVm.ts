/**
 * Mock transactions for testing and benchmarking the VM-agnostic engine.
 *
 * A mock transaction is a small program over a universe of `keyCount` numeric locations.
 * Its reads decide where it writes and what: every value read is folded into an accumulator
 * `acc`, and the keys of later operations may be offset by `acc`, so a re-execution that
 * reads different values touches different locations, as real contracts do.
 *
 * Operations:
 *   read    k            acc ← mix(acc, value at key(k))
 *   write   k, salt      key(k) ← mix(acc, salt)
 *   delta   k, amount    key(k) += amount (commutative, no read)
 *   revert  m            when acc % m = 0: drop all writes, output status 'reverted'
 *   throw   m            when acc % m = 0: throw (a VM failure: fails the block)
 *   work    µs           burn CPU (hashing), like executing bytecode
 *   delay   kind         await a macrotask/microtask to vary interleavings between threads
 *   depend  tx           a dependency hint: `view.dependOn(tx)` when tx is lower (waits for it)
 *   sleep   µs           await a timer of `us` µs without using the CPU: latency (a storage
 *                        read, I/O) that a lane overlaps with other executions (Node's timers
 *                        round it up to about 1 ms at least, alike for every engine)
 * key(k) = dynamic ? (k + acc) mod keyCount : k.
 *
 * Deterministic: the output and writes depend only on the values read.
 */
import { hash } from 'node:crypto'
import { setImmediate as setImmediatePromise, setTimeout as sleep } from 'node:timers/promises'
import type { IncarnationView, TransactionVM } from '../executor/types.js'
import { decodeNumeric, encodeNumeric } from '../mvmemory/numeric.js'

export type MockOp =
  | { op: 'read'; k: number; dynamic?: boolean }
  | { op: 'write'; k: number; salt: number; dynamic?: boolean }
  | { op: 'delta'; k: number; amount: number; dynamic?: boolean }
  | { op: 'revert'; m: number }
  | { op: 'throw'; m: number }
  | { op: 'work'; us: number }
  | { op: 'delay'; kind: 'macro' | 'micro' }
  | { op: 'depend'; tx: number }
  | { op: 'sleep'; us: number }

export interface MockTx {
  ops: MockOp[]
}

export interface MockBlock {
  keyCount: number
  txs: MockTx[]
  /** sha256 rounds per microsecond of `work` (calibrated by the caller). */
  hashRoundsPerUs?: number
}

export interface MockOutput {
  status: 'ok' | 'reverted'
  acc: number
}

export function mockKey(k: number): Uint8Array {
  return new Uint8Array([0x6b, k >>> 24, (k >>> 16) & 0xff, (k >>> 8) & 0xff, k & 0xff])
}

/** How a read value or a write's salt is folded into the accumulator (exported for tests' oracles). */
export function mix(acc: number, v: number): number {
  return (Math.imul(acc ^ v, 0x2c1b3c6d) + 0x6b43a9b5) >>> 0
}

const workBuf = Buffer.alloc(64, 7)

/**
 * Burns CPU: `rounds` one-shot sha256 digests of 64 bytes. One-shot `hash()` rather than a
 * `createHash()` object per round: each Hash object is a native object the garbage collector
 * must finalize, which cost ~0.7–0.8 µs per round in collections that calibration's short
 * best-of runs did not see, so `work 10` burned ~19 µs inside the engine's lanes (measured:
 * docs/benchmarks.md, "Latency model after the mock and memory fixes"). A one-shot digest leaves one
 * small buffer of garbage per round.
 */
export function burn(rounds: number): number {
  let h = 0
  for (let i = 0; i < rounds; i++) {
    const d = hash('sha256', workBuf, 'buffer')
    h ^= d[0]!
  }
  return h
}

/**
 * Measures sha256 rounds per microsecond on this thread: after a warm-up of 200,000 rounds,
 * the median of seven runs of 20,000 (about 0.35 s in all), long enough that the collections
 * the rounds' garbage causes are in the measure. Shorter runs (30,000 rounds of warm-up, five
 * of 10,000) scattered by ±30 % within one process on this machine (`work 100` then took 72–
 * 127 µs); these stay within a few per cent.
 */
export function calibrateHashRounds(): number {
  burn(200_000)
  const rates: number[] = []
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now()
    burn(20_000)
    rates.push(20_000 / ((performance.now() - t0) * 1000))
  }
  return rates.sort((a, b) => a - b)[3]!
}

/**
 * Runs a mock block in its packed form ({@link packMockBlock}): the ops are read straight from
 * the typed array, so a block that crossed to a worker is never rebuilt as objects there (the
 * unpack took 0.3–4 ms per block and worker, before the first task could start).
 */
class MockVM implements TransactionVM<MockOutput> {
  private readonly w: Float64Array
  private readonly keyCount: number
  private readonly roundsPerUs: number

  constructor(block: PackedMockBlock) {
    this.w = block.packed
    this.keyCount = block.keyCount
    this.roundsPerUs = block.hashRoundsPerUs ?? 1
  }

  private key(k: number, dynamic: boolean, acc: number): Uint8Array {
    return mockKey(dynamic ? (k + acc) % this.keyCount : k % this.keyCount)
  }

  // No closure is made per transaction (pending writes are kept as data): under tsx every
  // closure created also goes through its name helper, which showed in the lanes' profiles.
  async execute(txIndex: number, view: IncarnationView): Promise<MockOutput> {
    const w = this.w
    if (!Number.isInteger(txIndex) || txIndex < 0 || txIndex >= w[0]!) throw new RangeError(`no mock transaction ${txIndex}`)
    let acc = txIndex
    // Writes and deltas are applied when the transaction ends, in op order.
    const pendingKeys: Uint8Array[] = []
    const pendingValues: Array<Uint8Array | bigint> = []
    const end = w[2 + txIndex]!
    for (let at = w[1 + txIndex]!; at < end; at += 4) {
      const a = w[at + 1]!
      const b = w[at + 2]!
      const dynamic = w[at + 3] === 1
      switch (w[at]) {
        case OP_READ: {
          const v = await view.read(this.key(a, dynamic, acc))
          acc = mix(acc, Number(decodeNumeric(v) & 0xffffffffn))
          break
        }
        case OP_WRITE:
          pendingKeys.push(this.key(a, dynamic, acc))
          pendingValues.push(encodeNumeric(BigInt(mix(acc, b))))
          break
        case OP_DELTA:
          pendingKeys.push(this.key(a, dynamic, acc))
          pendingValues.push(BigInt(b))
          break
        case OP_REVERT:
          if (acc % a === 0) return { status: 'reverted', acc }
          break
        case OP_THROW:
          if (acc % a === 0) throw new Error(`mock transaction ${txIndex} failed (acc ${acc})`)
          break
        case OP_WORK:
          burn(Math.max(1, Math.round(a * this.roundsPerUs)))
          break
        case OP_SLEEP:
          await sleep(a / 1000)
          break
        case OP_DELAY:
          if (a === 1) await setImmediatePromise()
          else await Promise.resolve()
          break
        case OP_DEPEND:
          if (a < txIndex) view.dependOn(a)
          break
        default:
          throw new RangeError(`packed mock block: unknown op code ${w[at]} at word ${at}`)
      }
    }
    for (let i = 0; i < pendingKeys.length; i++) {
      const v = pendingValues[i]!
      if (typeof v === 'bigint') view.addDelta(pendingKeys[i]!, v)
      else view.write(pendingKeys[i]!, v)
    }
    return { status: 'ok', acc }
  }
}

/**
 * A mock block as one typed array, for payloads that cross to the workers: a typed array is
 * copied as one block of memory, where the structured clone of a {@link MockBlock} builds
 * every op object again in each worker (a 2,000-transaction p2p block: ~3 ms to serialize
 * and 4–12 ms to deserialize, measured with `node:v8` serialize/deserialize). Packed, it
 * crosses as one copy of memory and each worker unpacks it once for all its lanes: in
 * bench-core's latency model the first task then starts 2–8 ms after the block is handed
 * over instead of 14–17 ms (scripts/latency-trace.ts). `createTransactionVM` accepts either
 * form.
 *
 * Layout of `packed`: [txCount, start of tx 0, …, start of tx txCount-1, end, ops…]; an op is
 * four numbers [code, a, b, c] (code: the index in `OP_CODES`).
 */
export interface PackedMockBlock {
  packed: Float64Array
  keyCount: number
  hashRoundsPerUs?: number
}

const OP_CODES = ['read', 'write', 'delta', 'revert', 'throw', 'work', 'delay', 'depend', 'sleep'] as const
const [OP_READ, OP_WRITE, OP_DELTA, OP_REVERT, OP_THROW, OP_WORK, OP_DELAY, OP_DEPEND, OP_SLEEP] = [0, 1, 2, 3, 4, 5, 6, 7, 8] as const

export function packMockBlock(block: MockBlock): PackedMockBlock {
  const n = block.txs.length
  let ops = 0
  for (const tx of block.txs) ops += tx.ops.length
  const w = new Float64Array(2 + n + 4 * ops)
  w[0] = n
  let at = 2 + n
  block.txs.forEach((tx, i) => {
    w[1 + i] = at
    for (const op of tx.ops) {
      w[at] = OP_CODES.indexOf(op.op)
      switch (op.op) {
        case 'read':
          w[at + 1] = op.k
          w[at + 3] = op.dynamic ? 1 : 0
          break
        case 'write':
        case 'delta':
          w[at + 1] = op.k
          w[at + 2] = op.op === 'write' ? op.salt : op.amount
          w[at + 3] = op.dynamic ? 1 : 0
          break
        case 'revert':
        case 'throw':
          w[at + 1] = op.m
          break
        case 'work':
        case 'sleep':
          w[at + 1] = op.us
          break
        case 'delay':
          w[at + 1] = op.kind === 'macro' ? 1 : 0
          break
        case 'depend':
          w[at + 1] = op.tx
          break
      }
      at += 4
    }
  })
  w[1 + n] = at
  return { packed: w, keyCount: block.keyCount, ...(block.hashRoundsPerUs !== undefined ? { hashRoundsPerUs: block.hashRoundsPerUs } : {}) }
}

export function unpackMockBlock(p: PackedMockBlock): MockBlock {
  const w = p.packed
  const n = w[0]!
  const txs: MockTx[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const ops: MockOp[] = []
    for (let at = w[1 + i]!; at < w[2 + i]!; at += 4) {
      const a = w[at + 1]!
      const dynamic = w[at + 3] === 1 ? { dynamic: true } : {}
      switch (OP_CODES[w[at]!]) {
        case 'read': ops.push({ op: 'read', k: a, ...dynamic }); break
        case 'write': ops.push({ op: 'write', k: a, salt: w[at + 2]!, ...dynamic }); break
        case 'delta': ops.push({ op: 'delta', k: a, amount: w[at + 2]!, ...dynamic }); break
        case 'revert': ops.push({ op: 'revert', m: a }); break
        case 'throw': ops.push({ op: 'throw', m: a }); break
        case 'work': ops.push({ op: 'work', us: a }); break
        case 'sleep': ops.push({ op: 'sleep', us: a }); break
        case 'delay': ops.push({ op: 'delay', kind: a === 1 ? 'macro' : 'micro' }); break
        case 'depend': ops.push({ op: 'depend', tx: a }); break
        default: throw new RangeError(`packed mock block: unknown op code ${w[at]} at word ${at}`)
      }
    }
    txs[i] = { ops }
  }
  return { keyCount: p.keyCount, txs, ...(p.hashRoundsPerUs !== undefined ? { hashRoundsPerUs: p.hashRoundsPerUs } : {}) }
}

/**
 * A VM over `payload`, a packed block or a {@link MockBlock} (packed here, on every call: a
 * caller may change its block object between blocks).
 */
export function createTransactionVM(payload: unknown): TransactionVM<MockOutput> {
  const p = payload as MockBlock | PackedMockBlock
  return new MockVM('packed' in p ? p : packMockBlock(p))
}

/** The pre-block state of a mock block: every even key holds its own number. */
export function mockBaseEntries(keyCount: number, present: (k: number) => boolean = (k) => k % 2 === 0): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = []
  for (let k = 0; k < keyCount; k++) if (present(k)) out.push([mockKey(k), encodeNumeric(BigInt(k + 1))])
  return out
}
