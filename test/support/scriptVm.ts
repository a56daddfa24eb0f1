/**
 * A scripted transaction VM for the core tests (loaded by path, also inside workers).
 *
 * Unlike the mock VM (which applies its writes at the end), a script applies every
 * operation to the view immediately, so it exercises reads of the incarnation's own writes
 * and deltas, write-backs of values it read (which the Block-STM view drops), raw keys of any
 * length, `dependOn`, and failures after partial writes.
 *
 * Keys and values are hex strings in the payload (structured-cloneable). The output lists
 * what every `read` returned (hex, or null for absent).
 */
import type { IncarnationView, TransactionVM } from '../../src/executor/types.js'
import { endExecution, startExecution } from './progress.js'

export { lastExecution } from './progress.js'

export type ScriptOp =
  | { op: 'read'; key: string }
  | { op: 'write'; key: string; value: string }
  /** Writes at `key` the value last read or written at `from` in this transaction (a copy). */
  | { op: 'copy'; key: string; from: string }
  | { op: 'delta'; key: string; amount: string }
  /** A delta, only when this transaction read `of` and found it absent. */
  | { op: 'deltaIfAbsent'; key: string; amount: string; of: string }
  | { op: 'dependOn'; tx: number }
  | { op: 'delay'; kind: 'macro' | 'micro' }
  /** Waits `ms` milliseconds (a slow state source). */
  | { op: 'sleep'; ms: number }
  /** Waits until word 0 of the payload's `flag` SharedArrayBuffer is non-zero. */
  | { op: 'waitFlag' }
  /** Sets word 0 of the payload's `flag` (releases the transactions waiting in `waitFlag`). */
  | { op: 'setFlag' }
  /** Writes `size` bytes of `byte` at `key` (large values, cheaply). */
  | { op: 'blob'; key: string; size: number; byte: number }
  /**
   * Reads `count` distinct keys `prefix ‖ i` (i as 4 bytes, big-endian): fills the shared
   * memory's arena or location table cheaply. `swallow`: catch what each read throws and
   * carry on (a VM that hides engine exceptions; the engine must not depend on seeing them).
   */
  | { op: 'readRange'; prefix: string; count: number; swallow?: boolean }
  /** Reads the key of `size` bytes of `byte` (a key too large for the shared memory, cheaply); `swallow` as in readRange. */
  | { op: 'readBlob'; size: number; byte: number; swallow?: boolean }
  /** Credits 1 to each of `count` distinct keys `prefix ‖ i` (as in readRange). */
  | { op: 'deltaRange'; prefix: string; count: number }
  /** Throws when the last value read, as a number, is ≡ r (default 0) mod m (m = 1: always). */
  | { op: 'throw'; m: number; r?: number }

export interface ScriptBlock {
  txs: ScriptOp[][]
  flag?: SharedArrayBuffer
}

export interface ScriptOutput {
  reads: Array<string | null>
}

export const fromHex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'))
export const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

class ScriptVM implements TransactionVM<ScriptOutput> {
  constructor(private readonly block: ScriptBlock) {}

  async execute(txIndex: number, view: IncarnationView): Promise<ScriptOutput> {
    const ops = this.block.txs[txIndex]
    if (ops === undefined) throw new RangeError(`no scripted transaction ${txIndex}`)
    const progress = startExecution(txIndex)
    const reads: Array<string | null> = []
    const seen = new Map<string, Uint8Array | undefined>()
    let last = 0n
    for (const o of ops) {
      switch (o.op) {
        case 'read': {
          const v = await view.read(fromHex(o.key))
          seen.set(o.key, v)
          reads.push(v === undefined ? null : toHex(v))
          last = v === undefined ? 0n : v.length === 0 ? 0n : BigInt('0x' + toHex(v))
          break
        }
        case 'write':
          view.write(fromHex(o.key), fromHex(o.value))
          seen.set(o.key, fromHex(o.value))
          break
        case 'copy': {
          const v = seen.get(o.from)
          if (v !== undefined) {
            view.write(fromHex(o.key), v.slice())
            seen.set(o.key, v)
          }
          break
        }
        case 'delta':
          view.addDelta(fromHex(o.key), BigInt(o.amount))
          seen.delete(o.key)
          break
        case 'deltaIfAbsent':
          if (seen.has(o.of) && seen.get(o.of) === undefined) {
            view.addDelta(fromHex(o.key), BigInt(o.amount))
            seen.delete(o.key)
          }
          break
        case 'dependOn':
          if (o.tx < txIndex) view.dependOn(o.tx)
          break
        case 'delay':
          if (o.kind === 'macro') await new Promise((r) => setImmediate(r))
          else await Promise.resolve()
          break
        case 'sleep':
          await new Promise((r) => setTimeout(r, o.ms))
          break
        case 'waitFlag': {
          const flag = new Int32Array(this.block.flag!)
          while (Atomics.load(flag, 0) === 0) await new Promise((r) => setTimeout(r, 2))
          break
        }
        case 'setFlag':
          Atomics.store(new Int32Array(this.block.flag!), 0, 1)
          break
        case 'blob':
          view.write(fromHex(o.key), new Uint8Array(o.size).fill(o.byte))
          break
        case 'readBlob':
          try {
            await view.read(new Uint8Array(o.size).fill(o.byte))
          } catch (e) {
            if (!o.swallow) throw e
          }
          break
        case 'readRange':
        case 'deltaRange': {
          const p = fromHex(o.prefix)
          for (let i = 0; i < o.count; i++) {
            const k = new Uint8Array(p.length + 4)
            k.set(p)
            new DataView(k.buffer).setUint32(p.length, i)
            if (o.op === 'deltaRange') view.addDelta(k, 1n)
            else if (!o.swallow) await view.read(k)
            else {
              try {
                await view.read(k)
              } catch {
                // hidden from the engine on purpose
              }
            }
          }
          break
        }
        case 'throw':
          if (last % BigInt(o.m) === BigInt(o.r ?? 0)) throw new Error(`scripted transaction ${txIndex} failed (last read ${last})`)
          break
      }
    }
    endExecution(progress)
    return { reads }
  }
}

export function createTransactionVM(payload: unknown): TransactionVM<ScriptOutput> {
  return new ScriptVM(payload as ScriptBlock)
}
