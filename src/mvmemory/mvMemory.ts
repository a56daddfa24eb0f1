/**
 * Multi-version memory (Block-STM §3, Algorithm 2), in shared memory.
 *
 * For every location the table holds a version list: entries (txIdx, incarnation, kind,
 * value) sorted by txIdx, at most one per transaction. Kinds:
 *   VALUE     the location was set to `value` by that incarnation;
 *   DELTA     the incarnation added a non-negative amount to the numeric value (commutative);
 *   ESTIMATE  the transaction's last incarnation wrote here but was aborted: its next
 *             incarnation will probably write here again, so readers must wait for it.
 *
 * `read(location, txIdx)` looks at the highest entry below txIdx:
 *   - ESTIMATE                → a dependency on that transaction;
 *   - VALUE                   → that version (txIdx', incarnation');
 *   - DELTA                   → keep folding downwards until a VALUE or the pre-block value;
 *                               a read that folded deltas returns the folded value;
 *   - nothing (or only deltas)→ the pre-block value (NOT_FOUND of the paper when absent).
 *
 * `record(version, reads, writes)` applies an incarnation's write-set, removes the entries
 * its previous incarnation wrote and this one did not (RCU-style), publishes the read-set for
 * validation, and reports whether it wrote a location the previous incarnation had not
 * (then higher transactions must be revalidated). `convertWritesToEstimates` turns an
 * aborted incarnation's entries into ESTIMATE markers.
 *
 * Invariants: version lists are modified and read only under the location's lock; entries
 * are unique per transaction; only the thread executing (txIdx, incarnation) records it,
 * and only the thread that won the abort converts its entries to estimates.
 *
 * Registered reads (scheduler v2): a read made with the reader's incarnation leaves a node
 * [tx, incarnation, writer read (-1: the pre-block value or folded deltas), next] in the
 * location's reader list, under the same lock as the read. A `record` given an
 * `invalidated` array scans that list under the lock of each entry it changes: a reader
 * above the writer that read the writer's previous entry or anything below it read a value
 * that this write changes, and is reported (and unlinked). So a read is either before the
 * write (and reported) or after it (and sees it). Nodes of superseded incarnations and of
 * committed transactions are unlinked as the scans meet them.
 */
import { H, T, TX_WORDS, WORD, type SharedMemory } from './sharedMemory.js'
import { LocationTable, R } from './locationTable.js'
import { decodeNumeric, encodeNumeric } from './numeric.js'
import { EngineInvariantError } from './errors.js'
import type { WordMap } from './wordMap.js'

/**
 * A version entry `V` (VERSION_WORDS words; a location's entries lie at the word index
 * `R.VERS_AT`, sorted by TX). Note the units: VAL_AT is a *byte* offset (into the byte view),
 * while `R.VERS_AT` that leads here is a *word* index.
 */
export const V = {
  TX: 0, // transaction index of the writer
  INC: 1, // its incarnation
  KIND: 2, // KIND_VALUE | KIND_DELTA_ADD | KIND_ESTIMATE
  VAL_AT: 3, // byte offset of the value (VALUE) or of the delta's magnitude (DELTA_ADD)
  VAL_LEN: 4, // bytes: the value's length
} as const
/** A registered read (scheduler v2): see the module comment. */
export const RD = {
  TX: 0, // the reader
  INC: 1, // its incarnation
  SRC: 2, // the writer it read (-1: the pre-block value or folded deltas)
  NEXT: 3, // the next node of the location's reader list (word index), 0 at the end
} as const
export const READER_WORDS = 4

/**
 * Where `record` reports the registered readers its writes invalidate (scheduler v2): it
 * pushes pairs (reader tx, reader incarnation) onto `found`; `isLive` tells which registered
 * reads still matter (the reader's incarnation is current and not committed); the others
 * are unlinked as scans meet them.
 */
export interface ReaderSink {
  readonly found: number[]
  isLive(tx: number, incarnation: number): boolean
}
export const VERSION_WORDS = 5

export const V_MAP: WordMap = { record: 'version entry V', owner: 'mvmemory/mvMemory.ts', size: VERSION_WORDS, fields: V }

export const KIND_VALUE = 1
export const KIND_DELTA_ADD = 2
export const KIND_ESTIMATE = 4

/** What a read observed. */
export const READ_VERSION = 1 // the VALUE entry (tx, inc)
export const READ_BASE = 2 // the pre-block value (possibly absent)
export const READ_FOLDED = 3 // deltas folded over a VALUE or the pre-block value
export const READ_DEPENDENCY = 4 // an ESTIMATE of transaction `tx`

/** A reusable read result, filled in by {@link MVMemory.read}. */
export class ReadResult {
  kind = 0
  tx = -1
  inc = 0
  /** The value read (undefined when absent); only filled in when asked for. */
  value: Uint8Array | undefined = undefined
  /** Whether the result rests on the pre-block value (READ_BASE, or deltas folded over it). */
  fromBase = false
}

/** One write of an incarnation's write-set. */
export interface WriteOp {
  key: Uint8Array
  /** KIND_VALUE or a delta kind. */
  kind: number
  /** The value, or the delta's magnitude (numeric bytes). */
  bytes: Uint8Array
}

export class MVMemory {
  readonly table: LocationTable

  constructor(readonly mem: SharedMemory) {
    this.table = new LocationTable(mem)
  }

  txRecord(txIdx: number): number {
    return this.mem.i32[H.TX_BASE]! + txIdx * TX_WORDS
  }

  /**
   * Reads `rec` as transaction `txIdx` sees it. Fills `out`; copies the value only when
   * `withValue` (validation of version reads needs no copy).
   */
  read(rec: number, txIdx: number, out: ReadResult, withValue: boolean, registerInc = -1): void {
    const mem = this.mem
    const i32 = mem.i32
    mem.lock(rec + R.LOCK)
    try {
      this.readLocked(rec, txIdx, out, withValue)
      if (registerInc >= 0 && out.kind !== READ_DEPENDENCY) {
        const node = mem.alloc(READER_WORDS)
        i32[node + RD.TX] = txIdx
        i32[node + RD.INC] = registerInc
        i32[node + RD.SRC] = out.kind === READ_VERSION ? out.tx : -1
        i32[node + RD.NEXT] = i32[rec + R.READERS]!
        i32[rec + R.READERS] = node
      }
    } finally {
      mem.unlock(rec + R.LOCK)
    }
  }

  private readLocked(rec: number, txIdx: number, out: ReadResult, withValue: boolean): void {
    const mem = this.mem
    const i32 = mem.i32
    {
      const vers = i32[rec + R.VERS_AT]!
      let p = this.lowerBound(rec, txIdx) - 1 // highest entry with tx < txIdx
      let sum = 0n
      let folded = false
      for (; p >= 0; p--) {
        const e = vers + p * VERSION_WORDS
        const kind = i32[e + V.KIND]!
        if (kind === KIND_ESTIMATE) {
          out.fromBase = false
          out.kind = READ_DEPENDENCY
          out.tx = i32[e + V.TX]!
          out.value = undefined
          return
        }
        if (kind === KIND_VALUE) {
          out.fromBase = false
          const at = i32[e + V.VAL_AT]!
          const len = i32[e + V.VAL_LEN]!
          if (!folded) {
            out.kind = READ_VERSION
            out.tx = i32[e + V.TX]!
            out.inc = i32[e + V.INC]!
            out.value = withValue ? mem.loadBytes(at, len) : undefined
          } else {
            out.kind = READ_FOLDED
            out.tx = -1
            out.value = encodeNumeric(decodeNumeric(mem.u8.subarray(at, at + len)) + sum)
          }
          return
        }
        const at = i32[e + V.VAL_AT]!
        sum += decodeNumeric(mem.u8.subarray(at, at + i32[e + V.VAL_LEN]!))
        folded = true
      }
      const baseLen = i32[rec + R.BASE_LEN]!
      const baseAt = i32[rec + R.BASE_AT]!
      out.fromBase = true
      if (!folded) {
        out.kind = READ_BASE
        out.tx = -1
        out.value = withValue && baseLen >= 0 ? mem.loadBytes(baseAt, baseLen) : undefined
      } else {
        out.kind = READ_FOLDED
        out.tx = -1
        out.value = encodeNumeric(
          (baseLen > 0 ? decodeNumeric(mem.u8.subarray(baseAt, baseAt + baseLen)) : 0n) + sum,
        )
      }
    }
  }

  /**
   * Scheduler v2: under the location's lock, reports (pushes tx, incarnation onto `out`) and
   * unlinks the registered readers above `writer` whose read this write changes: those that
   * read `writer`'s previous entry, and (`below`) those that read anything lower.
   */
  private collectReaders(rec: number, writer: number, below: boolean, sink: ReaderSink): void {
    const i32 = this.mem.i32
    const out = sink.found
    let prev = -1
    let node = i32[rec + R.READERS]!
    while (node !== 0) {
      const next = i32[node + RD.NEXT]!
      const tx = i32[node + RD.TX]!
      const inc = i32[node + RD.INC]!
      const src = i32[node + RD.SRC]!
      const dead = !sink.isLive(tx, inc)
      const hit = !dead && tx > writer && (src === writer || (below && src < writer))
      if (hit) out.push(tx, inc)
      if (dead || hit) {
        if (prev < 0) i32[rec + R.READERS] = next
        else i32[prev + RD.NEXT] = next
      } else prev = node
      node = next
    }
  }

  /**
   * Records incarnation (txIdx, incarnation): its write-set and its read-set (already placed
   * in shared memory by the caller). Returns true when it wrote a location that the previous
   * incarnation of txIdx did not.
   */
  record(txIdx: number, incarnation: number, writes: readonly WriteOp[], readsAt: number, invalidated?: ReaderSink): boolean {
    const mem = this.mem
    const i32 = mem.i32
    const tx = this.txRecord(txIdx)
    const recs = writes.length > 0 ? mem.alloc(writes.length) : 0
    for (let w = 0; w < writes.length; w++) {
      const op = writes[w]!
      const rec = this.table.findOrInsert(op.key)
      i32[recs + w] = rec
      const valAt = mem.storeBytes(op.bytes)
      this.upsert(rec, txIdx, incarnation, op.kind, valAt, op.bytes.length, invalidated)
    }
    // Locations the previous incarnation wrote and this one did not lose their entry.
    const prevAt = i32[tx + T.WRITES_AT]!
    const prevLen = i32[tx + T.WRITES_LEN]!
    let wroteNew = false
    if (prevLen === 0) {
      wroteNew = writes.length > 0
    } else {
      const now = new Set<number>()
      for (let w = 0; w < writes.length; w++) now.add(i32[recs + w]!)
      const prev = new Set<number>()
      for (let j = 0; j < prevLen; j++) {
        const rec = i32[prevAt + j]!
        prev.add(rec)
        if (!now.has(rec)) this.remove(rec, txIdx, invalidated)
      }
      for (const rec of now) if (!prev.has(rec)) wroteNew = true
    }
    i32[tx + T.WRITES_AT] = recs
    i32[tx + T.WRITES_LEN] = writes.length
    // One word, so that a concurrent validation of an older incarnation never sees a torn
    // (pointer, length) pair: the read-set block starts with its own length.
    Atomics.store(i32, tx + T.READS_AT, readsAt)
    return wroteNew
  }

  /** Marks every entry of txIdx's last recorded incarnation as an ESTIMATE. */
  convertWritesToEstimates(txIdx: number): void {
    const i32 = this.mem.i32
    const tx = this.txRecord(txIdx)
    const at = i32[tx + T.WRITES_AT]!
    const len = i32[tx + T.WRITES_LEN]!
    for (let j = 0; j < len; j++) {
      const rec = i32[at + j]!
      this.mem.lock(rec + R.LOCK)
      const p = this.indexOf(rec, txIdx)
      if (p >= 0) i32[i32[rec + R.VERS_AT]! + p * VERSION_WORDS + V.KIND] = KIND_ESTIMATE
      this.mem.unlock(rec + R.LOCK)
    }
  }

  /**
   * The block's final state diff: every location whose value after the last transaction
   * differs from its pre-block value. Call only when the block is done.
   */
  finalWrites(txCount: number): Array<[Uint8Array, Uint8Array]> {
    const i32 = this.mem.i32
    const out: Array<[Uint8Array, Uint8Array]> = []
    const r = new ReadResult()
    this.table.forEachWritten((rec) => {
      if (i32[rec + R.VERS_LEN] === 0) return
      this.read(rec, txCount, r, true)
      if (r.kind === READ_DEPENDENCY) {
        throw new EngineInvariantError(`ESTIMATE of transaction ${r.tx} left after the block finished`)
      }
      if (r.kind === READ_BASE) return
      const value = r.value!
      const baseLen = i32[rec + R.BASE_LEN]!
      if (baseLen >= 0 && this.mem.bytesEqual(i32[rec + R.BASE_AT]!, baseLen, value)) return
      out.push([this.table.key(rec), value])
    })
    return out
  }

  /** Index of the first entry with tx >= txIdx. Caller holds the lock. */
  private lowerBound(rec: number, txIdx: number): number {
    const i32 = this.mem.i32
    const vers = i32[rec + R.VERS_AT]!
    let lo = 0
    let hi = i32[rec + R.VERS_LEN]!
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (i32[vers + mid * VERSION_WORDS + V.TX]! < txIdx) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  private indexOf(rec: number, txIdx: number): number {
    const p = this.lowerBound(rec, txIdx)
    const i32 = this.mem.i32
    if (p < i32[rec + R.VERS_LEN]! && i32[i32[rec + R.VERS_AT]! + p * VERSION_WORDS + V.TX] === txIdx) return p
    return -1
  }

  private upsert(rec: number, txIdx: number, inc: number, kind: number, valAt: number, valLen: number, invalidated?: ReaderSink): void {
    const mem = this.mem
    const i32 = mem.i32
    mem.lock(rec + R.LOCK)
    try {
      let vers = i32[rec + R.VERS_AT]!
      const len = i32[rec + R.VERS_LEN]!
      const p = this.lowerBound(rec, txIdx)
      if (!(p < len && i32[vers + p * VERSION_WORDS + V.TX] === txIdx)) {
        const cap = i32[rec + R.VERS_CAP]!
        if (len === cap) {
          const newCap = cap === 0 ? 4 : cap * 2
          const grown = mem.alloc(newCap * VERSION_WORDS)
          i32.copyWithin(grown, vers, vers + len * VERSION_WORDS)
          vers = grown
          i32[rec + R.VERS_AT] = grown
          i32[rec + R.VERS_CAP] = newCap
        }
        i32.copyWithin(vers + (p + 1) * VERSION_WORDS, vers + p * VERSION_WORDS, vers + len * VERSION_WORDS)
        i32[rec + R.VERS_LEN] = len + 1
        if (len === 0) this.table.markWritten(rec)
      }
      const e = vers + p * VERSION_WORDS
      i32[e + V.TX] = txIdx
      i32[e + V.INC] = inc
      i32[e + V.KIND] = kind
      i32[e + V.VAL_AT] = valAt
      i32[e + V.VAL_LEN] = valLen
      if (invalidated !== undefined && i32[rec + R.READERS] !== 0) this.collectReaders(rec, txIdx, true, invalidated)
    } finally {
      mem.unlock(rec + R.LOCK)
    }
  }

  private remove(rec: number, txIdx: number, invalidated?: ReaderSink): void {
    const mem = this.mem
    const i32 = mem.i32
    mem.lock(rec + R.LOCK)
    if (invalidated !== undefined && i32[rec + R.READERS] !== 0) this.collectReaders(rec, txIdx, false, invalidated)
    const p = this.indexOf(rec, txIdx)
    if (p >= 0) {
      const vers = i32[rec + R.VERS_AT]!
      const len = i32[rec + R.VERS_LEN]!
      i32.copyWithin(vers + p * VERSION_WORDS, vers + (p + 1) * VERSION_WORDS, vers + len * VERSION_WORDS)
      i32[rec + R.VERS_LEN] = len - 1
    }
    mem.unlock(rec + R.LOCK)
  }
}

export { WORD }
