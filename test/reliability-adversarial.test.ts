/**
 * Reliability, adversarial blocks (src/reliability/adversarial.ts): dependency chains whose
 * values change on each re-execution, a slow tx 0 that invalidates every other tx late, one
 * location written by every tx (mock VM), and on the EVM one sender's nonce chain, a funding
 * chain (each sender is paid by the previous tx) and `nft --accounts 1`. At threads 2 and 4:
 * results equal sequential, executions per transaction ≤ 3, and `stats.fallback` reports the
 * serial switch whenever aborts alone exceeded the budget (half the block; waits that cost
 * work count too, but the stats do not tell them from the free waits on a `dependOn` hint).
 * The full-size table (1,000 txs) is printed by `blockstm adversarial` (docs/reliability.md).
 */
import { describe, expect, it } from 'vitest'
import { runEvmAdversarial, runMockAdversarial, adversarialTable, type AdversarialRow } from '../src/reliability/adversarial.js'

function check(rows: AdversarialRow[]): void {
  console.log(adversarialTable(rows))
  for (const r of rows) {
    const name = `${r.vm} ${r.block} threads ${r.threads}`
    expect(r.equal, `${name}: result differs from sequential`).toBe(true)
    expect(r.executionsPerTx, `${name}: executions/tx`).toBeLessThanOrEqual(3)
    const budget = Math.max(16, Math.floor(r.txs * 0.5))
    if (r.aborts > budget) expect(r.fallback, `${name}: aborts ${r.aborts} > ${budget} without a serial fallback`).toMatch(/^serial/)
  }
}

describe('adversarial blocks', () => {
  it('mock VM (200 txs): chain, late-writer, hot-slot at threads 2 and 4', async () => {
    check(await runMockAdversarial({ txs: 200, threads: [2, 4] }))
  }, 120_000)

  it('EVM (80 txs): same-sender, funding-chain, nft-hot at threads 2 and 4', async () => {
    check(await runEvmAdversarial({ txs: 80, threads: [2, 4] }))
  }, 240_000)
})
