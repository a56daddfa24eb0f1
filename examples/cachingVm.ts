/**
 * An example transaction VM with a subtle nondeterminism bug, for `blockstm check`.
 *
 * It keeps account balances in a module-level cache "to avoid re-reading hot accounts": a
 * balance is read through the view once, then served from the cache, which every transfer
 * updates. Run sequentially this is correct (the cache always equals the state). Under
 * Block-STM it is not: the cache outlives an incarnation (an aborted incarnation's balances
 * stay in it) and each thread has its own copy (it never sees the other threads' writes),
 * and a balance served from the cache is a read the engine never saw, so validation cannot
 * catch it. `blockstm check --vm examples/cachingVm.ts` finds and shrinks a counterexample;
 * cachingVmFixed.ts is the corrected VM.
 */
import type { IncarnationView, TransactionVM } from '../src/executor/types.js'
import { accountKey, decodeBalance, encodeBalance, type BankBlock } from './bank.js'

export { blocks } from './bank.js'

/** The bug: module-level state that survives incarnations (one cache per block and thread). */
let cachedBlock: unknown
const cache = new Map<number, bigint>()

async function balance(view: IncarnationView, account: number): Promise<bigint> {
  const hit = cache.get(account)
  if (hit !== undefined) return hit // a read the engine never sees
  const v = decodeBalance(await view.read(accountKey(account)))
  cache.set(account, v)
  return v
}

function setBalance(view: IncarnationView, account: number, v: bigint): void {
  cache.set(account, v)
  view.write(accountKey(account), encodeBalance(v))
}

export function createTransactionVM(payload: unknown): TransactionVM {
  if (payload !== cachedBlock) {
    cache.clear()
    cachedBlock = payload
  }
  const block = payload as BankBlock
  return {
    async execute(txIndex: number, view: IncarnationView) {
      const { from, to, amount } = block.txs[txIndex]!
      const a = await balance(view, from)
      if (a < BigInt(amount)) return { ok: false }
      setBalance(view, from, a - BigInt(amount))
      setBalance(view, to, (await balance(view, to)) + BigInt(amount))
      return { ok: true }
    },
  }
}
