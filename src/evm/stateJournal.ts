/**
 * The state manager's write journal: the working state of each location an incarnation
 * touched ({@link Entry}) and the undo log behind `checkpoint` / `commit` / `revert`.
 *
 * Invariants:
 * - Undo records are kept only inside a checkpoint (`marks` non-empty); at depth 0 a write
 *   cannot be reverted and records nothing.
 * - `revert` undoes, newest first, every record since the innermost checkpoint: entry writes
 *   itself, credit and fee-recipient delta records through the owner's `undo` (credits.ts).
 * - `commit` of the outermost checkpoint drops the whole log.
 */
import type { LocationKey } from '../executor/types.js'

/** The working state of one location in the current incarnation. */
export interface Entry {
  readonly id: string
  readonly key: LocationKey
  readonly tag: number
  /** 0: not read; 1: read from the view; 2: deduced (account known absent). */
  readState: 0 | 1 | 2
  readVal: unknown
  written: boolean
  cur: unknown
}

/** An undo record of a fee-recipient delta or of a value credit (credits.ts). */
export type CreditUndo = { delta: bigint } | { credit: string; bytes: Uint8Array; prev: bigint | undefined }

type JournalOp = { e: Entry; written: boolean; cur: unknown } | CreditUndo

export class StateJournal {
  private ops: JournalOp[] = []
  private marks: number[] = []

  constructor(private readonly undoCredit: (op: CreditUndo) => void) {}

  /** Forgets every record and checkpoint (a new incarnation). */
  reset(): void {
    this.ops = []
    this.marks = []
  }

  /** Sets `e`'s current value, journaled inside a checkpoint. */
  set(e: Entry, v: unknown): void {
    if (this.marks.length > 0) this.ops.push({ e, written: e.written, cur: e.cur })
    e.written = true
    e.cur = v
  }

  /** Records a credit or delta change (inside a checkpoint only). */
  record(op: CreditUndo): void {
    if (this.marks.length > 0) this.ops.push(op)
  }

  /** Whether a change would be journaled now (inside a checkpoint). */
  get recording(): boolean {
    return this.marks.length > 0
  }

  checkpoint(): void {
    this.marks.push(this.ops.length)
  }

  commit(): void {
    this.marks.pop()
    if (this.marks.length === 0) this.ops.length = 0
  }

  revert(): void {
    const mark = this.marks.pop() ?? 0
    for (let i = this.ops.length - 1; i >= mark; i--) {
      const op = this.ops[i]!
      if ('e' in op) {
        op.e.written = op.written
        op.e.cur = op.cur
      } else this.undoCredit(op)
    }
    this.ops.length = mark
  }
}
