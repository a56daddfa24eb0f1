/**
 * Commutative credits of one incarnation: the fee recipient's delta and value credits to
 * accounts whose balance the incarnation has not read. Both reach the view as `addDelta`
 * (commutative: many transactions crediting one hot account do not conflict).
 *
 * Invariants:
 * - Every change is journaled (stateJournal.ts) and undone by {@link PendingCredits.undo}.
 * - A credit to an address exists only while the incarnation has neither read nor written
 *   that balance; the state manager turns it into an ordinary write (read + amount) as soon
 *   as it needs the balance (`materializeCredit` in stateManager.ts).
 * - The fee recipient never has a value credit: it has its own delta path.
 */
import type { IncarnationView } from '../executor/types.js'
import { balanceKey } from './keys.js'
import type { CreditUndo, StateJournal } from './stateJournal.js'

export class PendingCredits {
  /** The fee recipient (0x-prefixed lower-case address and bytes), when set. */
  coinbase: string | undefined
  coinbaseBytes: Uint8Array | undefined
  /** The fee recipient's pending delta. */
  coinbaseDelta = 0n
  /** Delta accounts of the fee recipient handed out in this incarnation. */
  deltaAccountsIssued = 0
  /**
   * Value credits to accounts whose balance this incarnation has not read: address → amount,
   * flushed as commutative deltas.
   */
  private credits = new Map<string, { bytes: Uint8Array; amount: bigint }>()

  constructor(private readonly journal: StateJournal) {}

  /** Forgets the incarnation's credits and delta (the fee recipient stays). */
  reset(): void {
    this.coinbaseDelta = 0n
    this.deltaAccountsIssued = 0
    this.credits = new Map()
  }

  setCoinbase(address: string | undefined, bytes: Uint8Array | undefined): void {
    this.coinbase = address
    this.coinbaseBytes = bytes
  }

  /** Adds `d` to the fee recipient's delta (journaled). */
  addCoinbaseDelta(d: bigint): void {
    this.journal.record({ delta: d })
    this.coinbaseDelta += d
  }

  has(addr: string): boolean {
    return this.credits.has(addr)
  }

  get(addr: string): { bytes: Uint8Array; amount: bigint } | undefined {
    return this.credits.get(addr)
  }

  /** The credit pending for `addr` (0n when none). */
  pending(addr: string): bigint {
    return this.credits.get(addr)?.amount ?? 0n
  }

  /** Sets (or with `undefined` removes) the credit of `addr` (journaled). */
  set(addr: string, bytes: Uint8Array, amount: bigint | undefined): void {
    if (this.journal.recording) this.journal.record({ credit: addr, bytes, prev: this.credits.get(addr)?.amount })
    if (amount === undefined) this.credits.delete(addr)
    else this.credits.set(addr, { bytes, amount })
  }

  /** Undoes one journal record of this module. */
  undo(op: CreditUndo): void {
    if ('delta' in op) this.coinbaseDelta -= op.delta
    else if (op.prev === undefined) this.credits.delete(op.credit)
    else this.credits.set(op.credit, { bytes: op.bytes, amount: op.prev })
  }

  /** Sends the delta and the credits to `view` as commutative deltas. */
  flush(view: IncarnationView): void {
    if (this.coinbaseDelta !== 0n) view.addDelta(balanceKey(this.coinbaseBytes!), this.coinbaseDelta)
    for (const c of this.credits.values()) view.addDelta(balanceKey(c.bytes), c.amount)
  }
}
