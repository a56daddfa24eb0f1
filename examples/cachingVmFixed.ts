/**
 * The corrected version of cachingVm.ts: every balance is read through the view. The view
 * already returns an incarnation's own writes and reads each location from the
 * multi-version memory only once per incarnation, so a cache of one's own adds nothing; a
 * VM that wants one must keep it per incarnation (create it inside `execute`), never across
 * incarnations. `blockstm check --vm examples/cachingVmFixed.ts` passes.
 */
import type { IncarnationView, TransactionVM } from '../src/executor/types.js'
import { accountKey, decodeBalance, encodeBalance, type BankBlock } from './bank.js'

export { blocks } from './bank.js'

export function createTransactionVM(payload: unknown): TransactionVM {
  const block = payload as BankBlock
  return {
    async execute(txIndex: number, view: IncarnationView) {
      const { from, to, amount } = block.txs[txIndex]!
      const balance = async (n: number) => decodeBalance(await view.read(accountKey(n)))
      const a = await balance(from)
      if (a < BigInt(amount)) return { ok: false }
      view.write(accountKey(from), encodeBalance(a - BigInt(amount)))
      view.write(accountKey(to), encodeBalance((await balance(to)) + BigInt(amount)))
      return { ok: true }
    },
  }
}
