/**
 * Test helper: runs a block with plain @ethereumjs `runBlock` on a MerkleStateManager and reads
 * its post-state back from a fresh state manager over the same trie (the original one can serve
 * stale storage for an account deleted and re-created within the block).
 *
 * The addresses and slots compared are those of the pre-state, of the binding's post-state and
 * every one the reference wrote (recorded by wrapping its state manager), so an extra write on
 * either side shows up.
 */
import { type Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Address, bytesToHex, bytesToBigInt, hexToBytes } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'
import { blockHashFor, type BlockHashes } from '../src/evm/chain.js'
import { putPreState, slotBytes, slotHex } from '../src/evm/state.js'
import type { PostState, PreState, AccountState } from '../src/evm/types.js'

export interface ReferenceResult {
  post: PostState
  error?: string
  gasUsed?: bigint
  receiptsRoot?: Uint8Array
  logsBloom?: Uint8Array
  statuses?: number[]
  /** EIP-7685 (Prague): the requests commitment runBlock computed. */
  requestsHash?: Uint8Array
}

export async function runReference(
  block: Block,
  common: Common,
  pre: PreState,
  hashes: BlockHashes | undefined,
  extra: PostState = new Map(),
): Promise<ReferenceResult> {
  const sm = new MerkleStateManager({ common })
  const blockchain = { getBlock: async (n: number) => ({ hash: () => blockHashFor(hashes, BigInt(n)) }), shallowCopy() { return this } }
  const vm = await createVM({ common: common.copy(), stateManager: sm, blockchain: blockchain as never })
  await putPreState(sm, pre)
  await sm.checkpoint()
  await sm.commit()
  await sm.flush()
  const touched = new Map<string, Set<string>>()
  const touch = (a: Address, slot?: Uint8Array) => {
    const s = touched.get(a.toString()) ?? new Set<string>()
    touched.set(a.toString(), s)
    if (slot !== undefined) s.add(slotHex(slot))
  }
  const wrap = <K extends 'putAccount' | 'deleteAccount' | 'putCode' | 'putStorage' | 'clearStorage'>(name: K) => {
    const orig = (sm[name] as (...a: unknown[]) => Promise<void>).bind(sm)
    ;(sm as unknown as Record<string, unknown>)[name] = (a: Address, ...rest: unknown[]) => {
      touch(a, name === 'putStorage' ? (rest[0] as Uint8Array) : undefined)
      return orig(a, ...rest)
    }
  }
  for (const n of ['putAccount', 'deleteAccount', 'putCode', 'putStorage', 'clearStorage'] as const) wrap(n)
  let res
  try {
    res = await runBlock(vm, { block, generate: true, skipBlockValidation: true, skipHeaderValidation: true })
  } catch (e) {
    return { post: new Map(), error: (e as Error).message }
  }
  const root = await sm.getStateRoot()
  const fresh = new MerkleStateManager({ common, trie: (sm as unknown as { _trie: { shallowCopy(b: boolean): never } })._trie.shallowCopy(false) })
  await fresh.setStateRoot(root)
  const addrs = new Set<string>([...pre.keys(), ...extra.keys(), ...touched.keys()])
  const post: PostState = new Map()
  for (const addr of [...addrs].sort()) {
    const a = new Address(hexToBytes(addr as `0x${string}`))
    const acc = await fresh.getAccount(a)
    if (acc === undefined) {
      if (pre.has(addr) || extra.has(addr) || touched.has(addr)) post.set(addr, null)
      continue
    }
    const slots = new Set<string>([...(pre.get(addr)?.storage.keys() ?? []), ...(extra.get(addr)?.storage.keys() ?? []), ...(touched.get(addr) ?? [])])
    const storage = new Map<string, bigint>()
    for (const k of [...slots].sort()) {
      const v = bytesToBigInt(await fresh.getStorage(a, slotBytes(k)))
      if (v !== 0n) storage.set(k, v)
    }
    const st: AccountState = { balance: acc.balance, nonce: acc.nonce, code: await fresh.getCode(a), storage }
    post.set(addr, st)
  }
  return {
    post,
    gasUsed: res.gasUsed,
    receiptsRoot: res.receiptsRoot,
    logsBloom: res.logsBloom,
    statuses: res.receipts.map((r) => ('status' in r ? r.status : -1)),
    ...(res.requestsHash !== undefined ? { requestsHash: res.requestsHash } : {}),
  }
}

/** Normalizes a post-state for equality checks (accounts that never existed and stay absent are dropped). */
export function normalizePost(p: PostState, pre: PreState): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [addr, acc] of [...p].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (acc === null) {
      if (pre.has(addr)) out[addr] = null
      continue
    }
    out[addr] = {
      balance: acc.balance.toString(),
      nonce: acc.nonce.toString(),
      code: bytesToHex(acc.code),
      storage: Object.fromEntries([...acc.storage].filter(([, v]) => v !== 0n).sort().map(([k, v]) => [k, v.toString()])),
    }
  }
  return out
}
