/**
 * A client's day for the drop-in runBlock: consecutive generated Cancun blocks (the
 * reliability cast: eight funded keys, COUNTER/STORE/FORWARD/DESTRUCT contracts, transfers,
 * creations) through one parallel runner on the persistent store (src/dropin/store.ts), and
 * through plain runBlock on an in-memory MerkleStateManager (the copy). Every block's state
 * root must equal runBlock's; the runner's workers must never be replaced; resident memory is
 * sampled at every block. The store prunes by default (`prune`): a client that builds only on
 * its latest state keeps one state in its database, not every block's.
 *
 * With `isolateReference` (default) the copy lives in a child process
 * (dropinDayReference.ts), so that this process's memory is the runner's alone: the copy's
 * in-memory trie keeps every node it ever wrote. Memory is sampled as the total resident set
 * and, on Linux, split into anonymous pages (heaps, buffers: what the runner allocates) and
 * file-backed pages (the store's memory-mapped database file and the code, which grow with
 * the database, not with the runner).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { bytesToHex } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'
import { KEY_COUNT, blockOf, castAccount, castCommon, castPreState, signTxs, type TxSpec } from '../reliability/evmBlocks.js'
import { commitPreState } from '../evm/state.js'
import { tableBlockHashChain } from '../evm/chain.js'
import { createParallelRunner } from '../dropin/runBlockParallel.js'
import { openStateStore } from '../dropin/store.js'
import type { ReferenceReply, ReferenceRequest } from './dropinDayReference.js'

export interface DayOptions {
  blocks: number
  txsPerBlock: number
  threads?: number
  lanes?: number
  /** Run the reference copy in a child process (default true): see the module comment. */
  isolateReference?: boolean
  /**
   * Open the store with pruning (default true: a client that only builds on its latest state,
   * whose database holds one state instead of every block's; src/dropin/store.ts).
   */
  prune?: boolean
  /** Called after each block with its number (0-based) and resident memory (bytes). */
  onBlock?: (i: number, rss: number) => void
}

/** Resident memory now: total, and (Linux) its anonymous and file-backed parts; bytes. */
export interface MemorySample {
  rss: number
  anon: number | null
  file: number | null
}

export function sampleMemory(): MemorySample {
  const rss = process.memoryUsage().rss
  try {
    const status = readFileSync('/proc/self/status', 'utf8')
    const kb = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)
      return m === null ? null : Number(m[1]) * 1024
    }
    return { rss, anon: kb('RssAnon'), file: kb('RssFile') }
  } catch {
    return { rss, anon: null, file: null }
  }
}

export interface DayResult {
  blocks: number
  /** Blocks whose state root differed from runBlock's (must be none). */
  mismatches: Array<{ block: number; got: string; want: string }>
  /** Engine fallbacks that name a worker failure (must be none). */
  workerFailures: string[]
  /** Per block, as {@link sampleMemory} took it after the block. */
  memory: MemorySample[]
  /** Whether the reference copy ran in a child process. */
  isolated: boolean
  /** Whether the store pruned replaced trie nodes. */
  pruned: boolean
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
  const isolated = opts.isolateReference ?? true
  // Started first: a copy that fails to start leaves nothing else to clean up (and it is
  // stopped if the store cannot be opened).
  const reference = isolated ? await startReference() : undefined
  const dir = mkdtempSync(join(tmpdir(), 'dropin-day-'))
  const store = await openStateStore(dir, { prune: opts.prune ?? true }).catch((e: unknown) => {
    reference?.close()
    rmSync(dir, { recursive: true, force: true })
    throw e
  })
  const runner = createParallelRunner({ threads: opts.threads ?? 2, lanes: opts.lanes ?? 4 })
  const result: DayResult = { blocks: 0, mismatches: [], workerFailures: [], memory: [], isolated, pruned: store.prune, parallelMs: 0, runBlockMs: 0 }
  try {
    const hashes = new Map<bigint, Uint8Array>()
    const blockchain = tableBlockHashChain(() => hashes)
    const parSm = await store.stateManager(common.copy())
    const refSm = isolated ? undefined : new MerkleStateManager({ common: common.copy() })
    for (const sm of refSm === undefined ? [parSm] : [parSm, refSm]) await commitPreState(sm, pre)
    const parVm = await createVM({ common: common.copy(), stateManager: parSm, blockchain: blockchain as never })
    const refVm = refSm === undefined ? undefined : await createVM({ common: common.copy(), stateManager: refSm, blockchain: blockchain as never })
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
      // The copy first (in its own process, or here), then the runner: one at a time.
      let t = performance.now()
      let want: string
      if (reference !== undefined) {
        const r = await reference.run(block.serialize(), number)
        result.runBlockMs += r.ms
        want = r.stateRoot
      } else {
        want = bytesToHex((await runBlock(refVm!, opts2)).stateRoot)
        result.runBlockMs += performance.now() - t
      }
      t = performance.now()
      const got = await runner.runBlock(parVm, opts2)
      result.parallelMs += performance.now() - t
      hashes.set(number, block.hash())
      check(got, want)
    }
    return result
  } finally {
    reference?.close()
    await runner.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }

  function check(got: Awaited<ReturnType<typeof runner.runBlock>>, want: string): void {
    const i = result.blocks
    if (bytesToHex(got.stateRoot) !== want) result.mismatches.push({ block: i, got: bytesToHex(got.stateRoot), want })
    const fb = got.stats.engine?.fallback
    if (fb !== undefined && /worker/i.test(fb)) result.workerFailures.push(`block ${i}: ${fb}`)
    const m = sampleMemory()
    result.memory.push(m)
    result.blocks++
    opts.onBlock?.(i, m.rss)
  }
}

interface Reference {
  run(rlp: Uint8Array, number: bigint): Promise<{ stateRoot: string; ms: number }>
  close(): void
}

/** Starts the reference copy's process (dropinDayReference.ts, or its build output). */
async function startReference(): Promise<Reference> {
  const self = import.meta.url
  const entry = new URL(self.endsWith('.ts') ? './dropinDayReference.ts' : './dropinDayReference.js', self)
  // Under tsx the child needs its loader too (fork passes this process's execArgv on).
  const child: ChildProcess = fork(entry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: self.endsWith('.ts') ? ['--import', 'tsx'] : [] })
  let pending: ((m: ReferenceReply) => void) | undefined
  let failed: Error | undefined
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (m: ReferenceReply | { ready: true }) => {
      if ('ready' in m) return resolve()
      const p = pending
      pending = undefined
      p?.(m)
    })
    child.on('exit', (code) => {
      failed = new Error(`the reference process exited with code ${code}`)
      reject(failed)
      pending?.({ error: failed.message })
    })
  })
  await ready
  return {
    run(rlp, number) {
      if (failed !== undefined) return Promise.reject(failed)
      return new Promise((resolve, reject) => {
        pending = (m) => ('error' in m ? reject(new Error(`reference runBlock: ${m.error}`)) : resolve(m))
        child.send({ rlp: bytesToHex(rlp), number: number.toString() } satisfies ReferenceRequest)
      })
    },
    close() {
      child.removeAllListeners('exit')
      child.kill()
    },
  }
}
