/**
 * Read-set capture (Block-STM §3): what each read of one incarnation observed, so that the
 * incarnation can later be validated by any thread.
 *
 * During execution the set is kept in thread-local arrays; `publish` copies it into shared
 * memory as one block `[count, entry0, entry1, …]` (READ_ENTRY_WORDS words per entry, this
 * module's; map in {@link RS_MAP}) whose word index the multi-version memory publishes
 * atomically with the incarnation's record (`T.READS_AT`). A dependency is never recorded:
 * the incarnation stops at it. Deltas are validated by value (READ_FOLDED keeps the bytes).
 *
 * Invariant: each location appears at most once, with its first read: the incarnation view
 * answers repeated reads from its cache, so reads within one incarnation are consistent.
 */
import type { SharedMemory } from '../mvmemory/sharedMemory.js'
import { READ_FOLDED, READ_VERSION, type ReadResult } from '../mvmemory/mvMemory.js'
import type { WordMap } from '../mvmemory/wordMap.js'

export const RS = {
  REC: 0, // word index of the location record `R` read
  KIND: 1, // READ_VERSION | READ_BASE | READ_FOLDED
  TX: 2, // transaction index of the version read (READ_VERSION), else -1
  INC: 3, // its incarnation (READ_VERSION), else 0
  VAL_AT: 4, // byte offset of the folded value (READ_FOLDED), else 0
  VAL_LEN: 5, // bytes: the folded value's length (READ_FOLDED), else 0
} as const
export const READ_ENTRY_WORDS = 6

export const RS_MAP: WordMap = { record: 'read-set entry RS', owner: 'validation/readSet.ts', size: READ_ENTRY_WORDS, fields: RS }

export class ReadSetCapture {
  private recs: number[] = []
  private kinds: number[] = []
  private txs: number[] = []
  private incs: number[] = []
  private values: Array<Uint8Array | undefined> = []
  private n = 0

  reset(): void {
    this.n = 0
  }

  get size(): number {
    return this.n
  }

  add(rec: number, r: ReadResult): void {
    const i = this.n++
    this.recs[i] = rec
    this.kinds[i] = r.kind
    this.txs[i] = r.tx
    this.incs[i] = r.inc
    this.values[i] = r.kind === READ_FOLDED ? r.value : undefined
  }

  /** Copies the set into shared memory; returns the block's word index. */
  publish(mem: SharedMemory): number {
    const n = this.n
    const at = mem.alloc(1 + n * READ_ENTRY_WORDS)
    const i32 = mem.i32
    i32[at] = n
    for (let i = 0; i < n; i++) {
      const e = at + 1 + i * READ_ENTRY_WORDS
      const kind = this.kinds[i]!
      i32[e + RS.REC] = this.recs[i]!
      i32[e + RS.KIND] = kind
      i32[e + RS.TX] = kind === READ_VERSION ? this.txs[i]! : -1
      i32[e + RS.INC] = kind === READ_VERSION ? this.incs[i]! : 0
      if (kind === READ_FOLDED) {
        const v = this.values[i]!
        i32[e + RS.VAL_AT] = mem.storeBytes(v)
        i32[e + RS.VAL_LEN] = v.length
      } else {
        i32[e + RS.VAL_AT] = 0
        i32[e + RS.VAL_LEN] = 0
      }
      this.values[i] = undefined
    }
    return at
  }
}
