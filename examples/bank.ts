/**
 * A small transfer VM's block format, shared by the two example VMs (cachingVm.ts, with a
 * nondeterminism bug, and cachingVmFixed.ts, corrected), and its block generator for
 * `blockstm check` and `checkDeterminism`.
 *
 * State: one balance per account at key `acct:<n>` (unsigned big-endian bytes). A transfer
 * moves `amount` from `from` to `to` when `from` holds enough, else it fails (output
 * `{ ok: false }`, no writes).
 */
import type fc from 'fast-check'

export interface Transfer {
  from: number
  to: number
  amount: number
}

export interface BankBlock {
  txs: Transfer[]
}

export const accountKey = (n: number): Uint8Array => new TextEncoder().encode(`acct:${n}`)

export function encodeBalance(v: bigint): Uint8Array {
  const hex = v.toString(16)
  return Uint8Array.from(Buffer.from(hex.length % 2 ? '0' + hex : hex, 'hex'))
}

export function decodeBalance(b: Uint8Array | undefined): bigint {
  return b === undefined || b.length === 0 ? 0n : BigInt('0x' + Buffer.from(b).toString('hex'))
}

/** Blocks of 1–30 transfers among 2–6 accounts, each account starting with 0–100. */
export function blocks(fast: typeof fc) {
  return fast.integer({ min: 2, max: 6 }).chain((accounts) =>
    fast
      .record({
        txs: fast.array(
          fast.record({
            from: fast.nat({ max: accounts - 1 }),
            to: fast.nat({ max: accounts - 1 }),
            amount: fast.integer({ min: 1, max: 60 }),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        balances: fast.array(fast.integer({ min: 0, max: 100 }), { minLength: accounts, maxLength: accounts }),
      })
      .map(({ txs, balances }) => ({
        txCount: txs.length,
        payload: { txs } satisfies BankBlock,
        base: balances.map((b, n): [Uint8Array, Uint8Array] => [accountKey(n), encodeBalance(BigInt(b))]),
      })),
  )
}
