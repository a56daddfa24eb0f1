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

export function createTransactionVM(payload: unknown): TransactionVM<MockOutput> {
  return new MockVM(payload as MockBlock)
}

/** The pre-block state of a mock block: every even key holds its own number. */
export function mockBaseEntries(keyCount: number, present: (k: number) => boolean = (k) => k % 2 === 0): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = []
  for (let k = 0; k < keyCount; k++) if (present(k)) out.push([mockKey(k), encodeNumeric(BigInt(k + 1))])
  return out
}
