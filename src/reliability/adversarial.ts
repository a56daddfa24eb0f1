/**
 * Adversarial blocks for Block-STM and a runner that measures them against sequential
 * execution: results must be equal, and the engine must keep its wasted work bounded
 * (executions per transaction; the serial fallback takes over a pathological block).
 *
 * Mock VM (src/mock/mockVm.ts):
 *   chain          tx i reads the key tx i-1 writes and writes a value mixed from what it read:
 *                  each re-execution of tx i-1 changes what tx i sees (a dependency chain).
 *   late-writer    tx 0 is slow and writes key 0 at its end; every other tx reads key 0:
 *                  tx 0 invalidates all the others late.
 *   hot-slot       every tx reads and writes key 0 (one location written by every tx).
 * EVM:
 *   same-sender    `raw` workload with one account: one sender, a nonce chain of N txs.
 *   funding-chain  account i+1 starts empty and is funded by tx i, which it then spends:
 *                  every speculative tx i+1 is invalid until tx i has run.
 *   nft-hot        `nft` workload with one contract: every mint writes the same counter slot.
 */
import { fileURLToPath } from 'node:url'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockJob, type ExecutionStats } from '../executor/engine.js'
import { MapBaseState } from '../executor/baseState.js'
import { calibrateHashRounds, mockBaseEntries, type MockBlock, type MockTx } from '../mock/mockVm.js'
import { createEvmExecutor, type EvmBlockResult, type PreState } from '../evm/index.js'
import type { Block } from '@ethereumjs/block'
import { generateWorkload } from '../workloads/index.js'
import { castCommon, blockOf, coinbase } from './evmBlocks.js'
import { derivePrivateKey, addressOfKey } from '../workloads/crypto.js'
import { createTx } from '@ethereumjs/tx'
import { evmDivergence } from './compare.js'

export const MOCK_VM_PATH = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../mock/mockVm.ts' : '../mock/mockVm.js', import.meta.url))

export type MockAdversary = 'chain' | 'late-writer' | 'hot-slot'
export type EvmAdversary = 'same-sender' | 'funding-chain' | 'nft-hot'
export const MOCK_ADVERSARIES: MockAdversary[] = ['chain', 'late-writer', 'hot-slot']
export const EVM_ADVERSARIES: EvmAdversary[] = ['same-sender', 'funding-chain', 'nft-hot']

export function mockAdversarial(kind: MockAdversary, n: number, hashRoundsPerUs = 1): MockBlock {
  const txs: MockTx[] = []
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'chain':
        txs.push({ ops: [...(i > 0 ? [{ op: 'read' as const, k: i - 1 }] : []), { op: 'work', us: 30 }, { op: 'write', k: i, salt: i }] })
        break
      case 'late-writer':
        txs.push(
          i === 0
            ? { ops: [{ op: 'work', us: 20 * n }, { op: 'delay', kind: 'macro' }, { op: 'work', us: 20 * n }, { op: 'write', k: 0, salt: 7 }] }
            : { ops: [{ op: 'read', k: 0 }, { op: 'work', us: 30 }, { op: 'write', k: i, salt: i }] },
        )
        break
      case 'hot-slot':
        txs.push({ ops: [{ op: 'read', k: 0 }, { op: 'work', us: 30 }, { op: 'write', k: 0, salt: i }] })
        break
    }
  }
  return { keyCount: n + 1, txs, hashRoundsPerUs }
}

export function mockJob(block: MockBlock): BlockJob {
  return { txCount: block.txs.length, payload: block, base: new MapBaseState(mockBaseEntries(block.keyCount)) }
}

export interface EvmCase {
  block: Block
  preState: PreState
}

/** The EVM adversarial block of `kind` with about `n` transactions. */
export async function evmAdversarial(kind: EvmAdversary, n: number): Promise<EvmCase> {
  if (kind === 'same-sender') {
    const w = await generateWorkload({ kind: 'raw', txs: n, accounts: 1, seed: 1 })
    return { block: w.block, preState: w.preState }
  }
  if (kind === 'nft-hot') {
    const w = await generateWorkload({ kind: 'nft', txs: n, accounts: 1, seed: 1 })
    return { block: w.block, preState: w.preState }
  }
  // funding-chain: key i sends everything but the fee to key i+1.
  const common = await castCommon()
  const fee = 21_000n * 100n
  const keys = Array.from({ length: n + 1 }, (_, i) => derivePrivateKey('reliability', 'funding-chain', i))
  const preState: PreState = new Map()
  const start = 10n ** 18n
  preState.set(addressOfKey(keys[0]!).toString(), { balance: start, nonce: 0n, code: new Uint8Array(0), storage: new Map() })
  preState.set(coinbase().toString(), { balance: 0n, nonce: 0n, code: new Uint8Array(0), storage: new Map() })
  let value = start - fee
  const txs = []
  for (let i = 0; i < n; i++) {
    txs.push(
      createTx({ type: 2, nonce: 0n, to: addressOfKey(keys[i + 1]!), value, gasLimit: 21_000n, maxFeePerGas: 100n, maxPriorityFeePerGas: 3n, chainId: 1n }, { common }).sign(keys[i]!),
    )
    value -= fee
  }
  return { block: blockOf(common, txs), preState }
}

export interface AdversarialRow {
  vm: 'mock' | 'evm'
  block: string
  threads: number
  txs: number
  executionsPerTx: number
  aborts: number
  waits: number
  fallback: string
  blockstmMs: number
  sequentialMs: number
  equal: boolean
}

function row(vm: 'mock' | 'evm', block: string, threads: number, txs: number, s: ExecutionStats, blockstmMs: number, sequentialMs: number, equal: boolean): AdversarialRow {
  return {
    vm,
    block,
    threads,
    txs,
    executionsPerTx: s.executions / Math.max(1, txs),
    aborts: s.aborts,
    waits: s.dependencyWaits,
    fallback: s.fallback === undefined ? 'no' : s.fallback.startsWith('serial') ? `serial from tx ${/transaction (\d+)/.exec(s.fallback)?.[1] ?? '?'}` : s.fallback,
    blockstmMs,
    sequentialMs,
    equal,
  }
}

/** Runs each mock adversarial block on sequential and blockstm at each thread count. */
export async function runMockAdversarial(opts: { txs: number; threads: number[]; kinds?: MockAdversary[]; serialFallbackRatio?: number }): Promise<AdversarialRow[]> {
  const rounds = calibrateHashRounds()
  const seq = createSequentialExecutor({ vmModule: MOCK_VM_PATH })
  const rows: AdversarialRow[] = []
  for (const threads of opts.threads) {
    const ex = await createBlockSTMExecutor({ threads, vmModule: MOCK_VM_PATH, minParallelTxs: 0, ...(opts.serialFallbackRatio !== undefined ? { serialFallbackRatio: opts.serialFallbackRatio } : {}) })
    try {
      for (const kind of opts.kinds ?? MOCK_ADVERSARIES) {
        const block = mockAdversarial(kind, opts.txs, rounds)
        await ex.execute(mockJob(block)) // warm-up
        const s = await seq.execute(mockJob(block))
        const p = await ex.execute(mockJob(block))
        const equal = JSON.stringify(s.outputs) === JSON.stringify(p.outputs) && JSON.stringify(s.writes.map(([k, v]) => [[...k], [...v]])) === JSON.stringify(p.writes.map(([k, v]) => [[...k], [...v]]))
        rows.push(row('mock', kind, threads, opts.txs, p.stats, p.stats.wallMs, s.stats.wallMs, equal))
      }
    } finally {
      await ex.close()
    }
  }
  return rows
}

/** Runs each EVM adversarial block on sequential and blockstm at each thread count. */
export async function runEvmAdversarial(opts: { txs: number; threads: number[]; kinds?: EvmAdversary[] }): Promise<AdversarialRow[]> {
  const rows: AdversarialRow[] = []
  const seq = createEvmExecutor({ engine: 'sequential' })
  const cases = new Map<EvmAdversary, { c: EvmCase; s: EvmBlockResult; ms: number }>()
  for (const kind of opts.kinds ?? EVM_ADVERSARIES) {
    const c = await evmAdversarial(kind, opts.txs)
    await seq.executeBlock(c) // warm-up
    const t = performance.now()
    const s = await seq.executeBlock(c)
    cases.set(kind, { c, s, ms: performance.now() - t })
  }
  await seq.close()
  for (const threads of opts.threads) {
    const ex = createEvmExecutor({ engine: 'blockstm', threads, minParallelTxs: 0 })
    try {
      for (const [kind, { c, s, ms }] of cases) {
        await ex.executeBlock(c) // warm-up (workers, caches)
        const t = performance.now()
        const p = await ex.executeBlock(c)
        const pms = performance.now() - t
        rows.push(row('evm', kind, threads, c.block.transactions.length, p.stats, pms, ms, evmDivergence(s, p) === undefined))
      }
    } finally {
      await ex.close()
    }
  }
  return rows
}

/** The rows as a Markdown table. */
export function adversarialTable(rows: AdversarialRow[]): string {
  const head = '| VM | block | threads | txs | executions/tx | aborts | waits | fallback | blockstm ms | sequential ms | equal |'
  const sep = '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---|'
  const lines = rows.map(
    (r) =>
      `| ${r.vm} | ${r.block} | ${r.threads} | ${r.txs} | ${r.executionsPerTx.toFixed(2)} | ${r.aborts} | ${r.waits} | ${r.fallback} | ${r.blockstmMs.toFixed(1)} | ${r.sequentialMs.toFixed(1)} | ${r.equal ? 'yes' : 'NO'} |`,
  )
  return [head, sep, ...lines].join('\n')
}
