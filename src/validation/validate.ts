/**
 * Read-set validation (Block-STM §3, `validate_read_set`): an incarnation is still valid
 * when every location it read would read the same now.
 *
 * - a version read (txIdx', incarnation') is valid when the highest entry below is still
 *   that very version;
 * - a read of the pre-block value is valid when no lower transaction has an entry there;
 * - a read that folded deltas is valid when folding now gives the same bytes (value
 *   validation: deltas from different incarnations that sum to the same value are
 *   equivalent for the reader);
 * - meeting an ESTIMATE makes the read-set invalid (the writer is being re-executed).
 *
 * The abort decision itself belongs to the scheduler (`tryValidationAbort`): only the first
 * failed validation of an incarnation aborts it.
 */
import { T } from '../mvmemory/sharedMemory.js'
import { EngineInvariantError } from '../mvmemory/errors.js'
import {
  READ_BASE,
  READ_DEPENDENCY,
  READ_FOLDED,
  READ_VERSION,
  ReadResult,
  type MVMemory,
} from '../mvmemory/mvMemory.js'
import { READ_ENTRY_WORDS, RS } from './readSet.js'

export class Validator {
  private readonly scratch = new ReadResult()

  constructor(private readonly mv: MVMemory) {}

  /** Validates the read-set of the last recorded incarnation of `txIdx`. */
  validateReadSet(txIdx: number): boolean {
    const mv = this.mv
    const mem = mv.mem
    const i32 = mem.i32
    const at = Atomics.load(i32, mv.txRecord(txIdx) + T.READS_AT)
    if (at === 0) throw new EngineInvariantError(`validating transaction ${txIdx} that never recorded`)
    const n = i32[at]!
    const r = this.scratch
    for (let i = 0; i < n; i++) {
      const e = at + 1 + i * READ_ENTRY_WORDS
      const kind = i32[e + RS.KIND]!
      mv.read(i32[e + RS.REC]!, txIdx, r, kind === READ_FOLDED)
      if (r.kind === READ_DEPENDENCY) return false
      switch (kind) {
        case READ_VERSION:
          if (r.kind !== READ_VERSION || r.tx !== i32[e + RS.TX] || r.inc !== i32[e + RS.INC]) return false
          break
        case READ_BASE:
          if (r.kind !== READ_BASE) return false
          break
        case READ_FOLDED: {
          const v = r.value
          if (v === undefined || !mem.bytesEqual(i32[e + RS.VAL_AT]!, i32[e + RS.VAL_LEN]!, v)) return false
          break
        }
        default:
          throw new EngineInvariantError(`unknown read kind ${kind} in the read-set of ${txIdx}`)
      }
    }
    return true
  }
}
