/**
 * Hint analysis: what the caller's per-transaction sender hints (`ExecuteBlockArgs.senderHints`)
 * say about a block before it runs.
 *
 * Hints are a scheduling aid only: they never change a result. A hint that is wrong (a sender
 * that differs from the recovered one) costs at most a needless wait or a re-execution,
 * because the transaction VM declares the same waits from the real senders (txvm.ts).
 *
 * - {@link prevSameSenderFromHints}: per transaction, the previous transaction of the same
 *   sender (-1: none), which the payload carries so that no thread recomputes it;
 * - {@link hintCriticalPath}: the longest chain of those waits, which tells the engine
 *   whether a block is mostly one chain (then parallel execution cannot gain).
 */

/**
 * Per transaction, the index of the previous transaction with the same sender, or -1; undefined
 * unless every one of the `n` transactions has a hint.
 */
export function prevSameSenderFromHints(hints: Array<string | undefined> | undefined, n: number): Int32Array | undefined {
  if (hints === undefined || hints.length !== n || hints.some((h) => h === undefined)) return undefined
  const prev = new Int32Array(n)
  const last = new Map<string, number>()
  for (let i = 0; i < n; i++) {
    const s = hints[i]!
    prev[i] = last.get(s) ?? -1
    last.set(s, i)
  }
  return prev
}

/**
 * The longest chain of the waits the transaction VM declares up front (txvm.ts): each
 * transaction waits for its sender's previous one, and one sent by the fee recipient (with
 * `coinbase` given) for every lower one. Computed from the sender hints, before execution.
 */
export function hintCriticalPath(prev: Int32Array, hints: Array<string | undefined>, coinbase: string | undefined): number {
  const depth = new Int32Array(prev.length)
  let longest = 0
  for (let i = 0; i < prev.length; i++) {
    let d = prev[i]! >= 0 ? depth[prev[i]!]! + 1 : 1
    if (coinbase !== undefined && hints[i] === coinbase) d = Math.max(d, longest + 1)
    depth[i] = d
    if (d > longest) longest = d
  }
  return longest
}
