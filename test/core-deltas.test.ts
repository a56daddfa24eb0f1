/**
 * Delta (commutative credit) semantics: Block-STM must agree with the sequential engine byte
 * for byte, in what transactions read, in the block's state diff, and in how a block fails.
 *
 * What it proves (scripted VM, test/support/scriptVm.ts, which applies every operation at
 * once), each with threads 1 × 3 lanes and threads 2 × 2 lanes: reads of a transaction's own
 * deltas, deltas after writes and writes after deltas; many transactions crediting one
 * location while others read it (value validation of folded reads); deltas over absent,
 * empty and non-minimally encoded values; a zero delta changes nothing (an absent location
 * stays absent, a value keeps its bytes); a negative amount (deltas are credits only) fails
 * the block in the transaction that adds it, in both engines, including when only a stale
 * incarnation would have added it.
 *
 * History: these cases found that the two engines disagreed on zero deltas (the Block-STM
 * view re-encoded the value), on deltas of one transaction summing to zero, and on numeric
 * underflow (blamed on different transactions; a transiently negative fold failed blocks
 * that succeed sequentially). Fixed by making zero deltas no-ops and deltas credits only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor } from '../src/executor/engine.js'
import { MapBaseState } from '../src/executor/baseState.js'
import { divergence, runParallel, runSequential } from './support/mockBlocks.js'
import { SCRIPT_VM } from './support/scriptBlocks.js'
import { fromHex, type ScriptBlock, type ScriptOp } from './support/scriptVm.js'

const K = '6b01'
const L = '6b02'
const sequential = createSequentialExecutor({ vmModule: SCRIPT_VM })
const executors: Array<[string, BlockExecutor]> = []

beforeAll(async () => {
  executors.push(['threads 1 × 3 lanes', await createBlockSTMExecutor({ threads: 1, lanes: 3, vmModule: SCRIPT_VM, minParallelTxs: 0 })])
  executors.push(['threads 2 × 2 lanes', await createBlockSTMExecutor({ threads: 2, lanes: 2, vmModule: SCRIPT_VM, minParallelTxs: 0 })])
})
afterAll(async () => {
  for (const [, ex] of executors) await ex.close()
})

function job(txs: ScriptOp[][], base: Array<[string, string]> = []) {
  const block: ScriptBlock = { txs }
  return { txCount: txs.length, payload: block, base: new MapBaseState(base.map(([k, v]) => [fromHex(k), fromHex(v)])) }
}

/** Every executor's outcome equals the sequential one (outputs, state diff, or failure). */
async function expectSameAsSequential(txs: ScriptOp[][], base: Array<[string, string]> = []) {
  const j = job(txs, base)
  const seq = await runSequential(sequential, j)
  for (const [name, ex] of executors) {
    const par = await runParallel(ex, j)
    expect(divergence(seq, par, j.txCount), name).toBeUndefined()
  }
  return seq
}

const read = (key: string): ScriptOp => ({ op: 'read', key })
const write = (key: string, value: string): ScriptOp => ({ op: 'write', key, value })
const add = (key: string, amount: number | bigint): ScriptOp => ({ op: 'delta', key, amount: String(amount) })
const delay: ScriptOp = { op: 'delay', kind: 'macro' }

describe('deltas: Block-STM equals sequential', () => {
  it('reads of own deltas, deltas after writes, writes after deltas', async () => {
    const seq = await expectSameAsSequential(
      [
        [add(K, 5), read(K), add(K, 7), read(K)],
        [write(L, '10'), add(L, 6), read(L)],
        [add(K, 1), write(K, '0100'), read(K), add(K, 1), read(K)],
        [read(K), read(L)],
      ],
      [[L, '01']],
    )
    expect(seq.ok && seq.outputs).toEqual([{ reads: ['05', '0c'] }, { reads: ['16'] }, { reads: ['0100', '0101'] }, { reads: ['0101', '16'] }])
  })

  it('deltas over absent, empty and non-minimal values', async () => {
    const seq = await expectSameAsSequential(
      [[add(K, 3)], [add(L, 4)], [add('6b03', 5), read('6b03')], [read(K), read(L), read('6b03')]],
      [
        [L, ''],
        ['6b03', '000005'],
      ],
    )
    expect(seq.ok && seq.outputs[3]).toEqual({ reads: ['03', '04', '0a'] })
  })

  it('many transactions credit one location while others read it', async () => {
    const txs: ScriptOp[][] = []
    for (let i = 0; i < 60; i++) {
      if (i % 10 === 9) txs.push([delay, read(K), { op: 'copy', key: `6c${i.toString(16).padStart(2, '0')}`, from: K }])
      else txs.push([i % 3 === 0 ? delay : { op: 'delay', kind: 'micro' }, add(K, i + 1)])
    }
    const seq = await expectSameAsSequential(txs, [[K, '0100']])
    expect(seq.ok).toBe(true)
  })

  it('a zero delta changes nothing: an absent location stays absent, a value keeps its bytes', async () => {
    const seq = await expectSameAsSequential([[add(K, 0), read(K), add(L, 0), read(L)], [read(K), add(K, 0)]], [[L, '0005']])
    expect(seq.ok && seq.outputs).toEqual([{ reads: [null, '0005'] }, { reads: [null] }])
    expect(seq.ok && seq.writes).toEqual([])
  })

  it('a negative amount fails the block in the transaction that adds it', async () => {
    const cases: ScriptOp[][][] = [
      [[add(K, -5)]],
      [[add(K, 2)], [read(K)], [add(K, 1), add(K, -1)], [read(K)]],
      [[write(K, '01')], [delay, add(L, 3)], [read(K), add(K, -1)], [add(K, -7)]],
    ]
    for (const txs of cases) {
      const seq = await expectSameAsSequential(txs)
      expect(seq.ok).toBe(false)
      expect(seq.ok ? -1 : seq.txIndex).toBeGreaterThanOrEqual(0)
    }
  })

  it('a negative amount only in a stale incarnation does not fail the block', async () => {
    // tx 1 debits K only when it finds 6b09 absent: its first incarnation does, because tx 0
    // writes 6b09 only after tx 1 has read it (tx 0 waits for the flag tx 1 sets after its
    // read: forced, whatever the threads do); its final one does not (tx 0 wrote 6b09).
    const txs: ScriptOp[][] = [
      [{ op: 'waitFlag' }, write('6b09', '01')],
      [read('6b09'), { op: 'setFlag' }, { op: 'deltaIfAbsent', key: K, amount: '-1', of: '6b09' }, add(L, 1)],
      [read(L), read(K)],
    ]
    const flagged = (set: boolean) => {
      const flag = new SharedArrayBuffer(4)
      if (set) Atomics.store(new Int32Array(flag), 0, 1)
      return { txCount: txs.length, payload: { txs, flag } satisfies ScriptBlock, base: new MapBaseState() }
    }
    const seq = await runSequential(sequential, flagged(true))
    expect(seq.ok).toBe(true)
    for (const [name, ex] of executors) {
      const par = await runParallel(ex, flagged(false))
      expect(divergence(seq, par, txs.length), name).toBeUndefined()
      expect(par.ok && (par.stats!.aborts as number), `${name}: tx 1's stale incarnation was not aborted`).toBeGreaterThanOrEqual(1)
    }
  })
})
