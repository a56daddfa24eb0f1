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
import { createHash } from 'node:crypto'
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

function mix(acc: number, v: number): number {
  return (Math.imul(acc ^ v, 0x2c1b3c6d) + 0x6b43a9b5) >>> 0
}

const workBuf = Buffer.alloc(64, 7)

export function burn(rounds: number): number {
  let h = 0
  for (let i = 0; i < rounds; i++) {
    const d = createHash('sha256').update(workBuf).digest()
    h ^= d[0]!
  }
  return h
}

/** Measures sha256 rounds per microsecond on this thread. */
export function calibrateHashRounds(): number {
  burn(30000)
  let best = 0
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now()
    burn(5000)
    best = Math.max(best, 5000 / ((performance.now() - t0) * 1000))
  }
  return best
}

class MockVM implements TransactionVM<MockOutput> {
  constructor(private readonly block: MockBlock) {}

  async execute(txIndex: number, view: IncarnationView): Promise<MockOutput> {
    const { keyCount, txs } = this.block
    const tx = txs[txIndex]
    if (tx === undefined) throw new RangeError(`no mock transaction ${txIndex}`)
    let acc = txIndex
    const pending: Array<() => void> = []
    const key = (k: number, dynamic?: boolean) => mockKey(dynamic ? (k + acc) % keyCount : k % keyCount)
    for (const op of tx.ops) {
      switch (op.op) {
        case 'read': {
          const v = await view.read(key(op.k, op.dynamic))
          acc = mix(acc, Number(decodeNumeric(v) & 0xffffffffn))
          break
        }
        case 'write': {
          const kk = key(op.k, op.dynamic)
          const value = encodeNumeric(BigInt(mix(acc, op.salt)))
          pending.push(() => view.write(kk, value))
          break
        }
        case 'delta': {
          const kk = key(op.k, op.dynamic)
          pending.push(() => view.addDelta(kk, BigInt(op.amount)))
          break
        }
        case 'revert':
          if (acc % op.m === 0) return { status: 'reverted', acc }
          break
        case 'throw':
          if (acc % op.m === 0) throw new Error(`mock transaction ${txIndex} failed (acc ${acc})`)
          break
        case 'work':
          burn(Math.max(1, Math.round(op.us * (this.block.hashRoundsPerUs ?? 1))))
          break
        case 'sleep':
          await new Promise((r) => setTimeout(r, op.us / 1000))
          break
        case 'delay':
          if (op.kind === 'macro') await new Promise((r) => setImmediate(r))
          else await Promise.resolve()
          break
        case 'depend':
          if (op.tx < txIndex) view.dependOn(op.tx)
          break
      }
    }
    for (const w of pending) w()
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

/** Unpacked blocks, per payload object: the lanes of a thread share one. */
const unpacked = new WeakMap<PackedMockBlock, MockBlock>()

export function createTransactionVM(payload: unknown): TransactionVM<MockOutput> {
  const p = payload as MockBlock | PackedMockBlock
  if (!('packed' in p)) return new MockVM(p)
  let block = unpacked.get(p)
  if (block === undefined) unpacked.set(p, (block = unpackMockBlock(p)))
  return new MockVM(block)
}

/** The pre-block state of a mock block: every even key holds its own number. */
export function mockBaseEntries(keyCount: number, present: (k: number) => boolean = (k) => k % 2 === 0): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = []
  for (let k = 0; k < keyCount; k++) if (present(k)) out.push([mockKey(k), encodeNumeric(BigInt(k + 1))])
  return out
}
