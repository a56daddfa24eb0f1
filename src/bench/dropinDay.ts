/**
 * A client's day for the drop-in runBlock: consecutive generated Cancun blocks (the
 * reliability cast: eight funded keys, COUNTER/STORE/FORWARD/DESTRUCT contracts, transfers,
 * creations) through one parallel runner on the persistent store (src/dropin/store.ts), and
 * through plain runBlock on an in-memory MerkleStateManager (the copy). Every block's state
 * root must equal runBlock's; the runner's workers must never be replaced; resident memory is
 * sampled at every block.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'
import { KEY_COUNT, blockOf, castAccount, castCommon, castPreState, signTxs, type TxSpec } from '../reliability/evmBlocks.js'
import { putPreState } from '../evm/state.js'
import { createParallelRunner } from '../dropin/runBlockParallel.js'
import { openStateStore } from '../dropin/store.js'

export interface DayOptions {
  blocks: number
  txsPerBlock: number
  threads?: number
  lanes?: number
  /** Called after each block with its number (0-based) and resident memory (bytes). */
  onBlock?: (i: number, rss: number) => void
}

export interface DayResult {
  blocks: number
  /** Blocks whose state root differed from runBlock's (must be none). */
  mismatches: Array<{ block: number; got: string; want: string }>
  /** Engine fallbacks that name a worker failure (must be none). */
  workerFailures: string[]
  rss: number[]
  parallelMs: number
  runBlockMs: number
}

/** The specs of block `i`: transfers, counter bumps, balance stores, payments to the fee recipient, a creation now and then. */
function specs(i: number, n: number): TxSpec[] {
  const out: TxSpec[] = []
  for (let t = 0; t < n; t++) {
    const from = (i * 7 + t) % KEY_COUNT
    const kind = (i + t) % 5
    if (kind === 0) out.push({ from, to: (from + 1) % KEY_COUNT, value: 1000n + BigInt(t) })
    else if (kind === 1) out.push({ from, to: 'COUNTER' })
    else if (kind === 2) out.push({ from, to: 'STORE', value: BigInt(t) })
    else if (kind === 3) out.push({ from, to: 'FORWARD', value: 7n })
    else out.push(t % 3 === 0 ? { from, gasLimit: 300_000n } : { from, to: (from + 3) % KEY_COUNT, value: 1n })
  }
  return out
}

export async function runClientDay(opts: DayOptions): Promise<DayResult> {
  const common = await castCommon()
  const pre = castPreState()
  const dir = mkdtempSync(join(tmpdir(), 'dropin-day-'))
  const store = await openStateStore(dir)
  const runner = createParallelRunner({ threads: opts.threads ?? 2, lanes: opts.lanes ?? 4 })
  const result: DayResult = { blocks: 0, mismatches: [], workerFailures: [], rss: [], parallelMs: 0, runBlockMs: 0 }
  try {
    const hashes = new Map<bigint, Uint8Array>()
    const blockchain = {
      getBlock: async (n: number) => {
        const h = hashes.get(BigInt(n))
        if (h === undefined) throw new Error(`no block ${n}`)
        return { hash: () => h }
      },
      shallowCopy() {
        return this
      },
    }
    const parSm = await store.stateManager(common.copy())
    const refSm = new MerkleStateManager({ common: common.copy() })
    for (const sm of [parSm, refSm]) {
      await sm.checkpoint()
      await putPreState(sm, pre)
      await sm.commit()
      await sm.flush()
    }
    const parVm = await createVM({ common: common.copy(), stateManager: parSm, blockchain: blockchain as never })
    const refVm = await createVM({ common: common.copy(), stateManager: refSm, blockchain: blockchain as never })
    const nonces = new Map<string, bigint>()
    for (let i = 0; i < opts.blocks; i++) {
      const txs = signTxs(common, specs(i, opts.txsPerBlock), (key) => nonces.get(Buffer.from(key).toString('hex')) ?? 0n)
      for (let k = 0; k < KEY_COUNT; k++) {
        const key = castAccount(k).key
        const id = Buffer.from(key).toString('hex')
        const sent = txs.filter((tx) => tx.getSenderAddress().equals(castAccount(k).address)).length
        nonces.set(id, (nonces.get(id) ?? 0n) + BigInt(sent))
      }
      const number = 20_000_000n + BigInt(i)
      const block = blockOf(common, txs, { number, timestamp: 1_720_000_000n + 12n * BigInt(i) })
      const opts2 = { block, generate: true, skipBlockValidation: true }
      let t = performance.now()
      const want = await runBlock(refVm, opts2)
      result.runBlockMs += performance.now() - t
      t = performance.now()
      const got = await runner.runBlock(parVm, opts2)
      result.parallelMs += performance.now() - t
      hashes.set(number, block.hash())
      if (bytesToHex(got.stateRoot) !== bytesToHex(want.stateRoot)) result.mismatches.push({ block: i, got: bytesToHex(got.stateRoot), want: bytesToHex(want.stateRoot) })
      const fb = got.stats.engine?.fallback
      if (fb !== undefined && /worker/i.test(fb)) result.workerFailures.push(`block ${i}: ${fb}`)
      const rss = process.memoryUsage().rss
      result.rss.push(rss)
      result.blocks++
      opts.onBlock?.(i, rss)
    }
    return result
  } finally {
    await runner.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
