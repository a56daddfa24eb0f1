/**
 * State root of a complete state (every account with its full storage), computed the way
 * @ethereumjs MerkleStateManager stores it: a secure (keccak-keyed) account trie whose values
 * are RLP([nonce, balance, storageRoot, codeHash]), each storage trie keyed by keccak(slot)
 * with RLP(unpadded value) values. Zero slots are absent.
 */
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { Account, bigIntToUnpaddedBytes, hexToBytes } from '@ethereumjs/util'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { slotBytes } from '../evm/state.js'
import type { AccountState, PostState, PreState } from '../evm/types.js'

export async function storageRoot(storage: Map<string, bigint>): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie({ useKeyHashing: true })
  for (const [k, v] of storage) {
    if (v === 0n) continue
    await trie.put(slotBytes(k), RLP.encode(bigIntToUnpaddedBytes(v)))
  }
  return trie.root()
}

export function accountRlp(acc: AccountState, storageRootBytes: Uint8Array): Uint8Array {
  return new Account(acc.nonce, acc.balance, storageRootBytes, keccak_256(acc.code)).serialize()
}

/** Root of the state: accounts mapped to null (deleted) are left out. */
export async function stateRoot(state: PreState | PostState): Promise<Uint8Array> {
  const trie = new MerklePatriciaTrie({ useKeyHashing: true })
  for (const [addr, acc] of state) {
    if (acc === null) continue
    await trie.put(hexToBytes(addr as `0x${string}`), accountRlp(acc, await storageRoot(acc.storage)))
  }
  return trie.root()
}

/** A post-state as a pre-state for the next block (deleted accounts dropped). */
export function postToPre(post: PostState): PreState {
  const pre: PreState = new Map()
  for (const [addr, acc] of post) if (acc !== null) pre.set(addr, acc)
  return pre
}

/** First difference between two states (undefined when equal), for messages. */
export function diffStates(got: PreState, want: PreState, limit = 3): string | undefined {
  const diffs: string[] = []
  const addrs = [...new Set([...got.keys(), ...want.keys()])].sort()
  for (const a of addrs) {
    if (diffs.length >= limit) break
    const g = got.get(a)
    const w = want.get(a)
    if (g === undefined) {
      diffs.push(`${a}: missing account`)
      continue
    }
    if (w === undefined) {
      diffs.push(`${a}: extra account (balance ${g.balance}, nonce ${g.nonce})`)
      continue
    }
    if (g.balance !== w.balance) diffs.push(`${a}: balance ${g.balance}, want ${w.balance}`)
    if (g.nonce !== w.nonce) diffs.push(`${a}: nonce ${g.nonce}, want ${w.nonce}`)
    if (Buffer.compare(Buffer.from(g.code), Buffer.from(w.code)) !== 0) diffs.push(`${a}: code differs (${g.code.length} bytes, want ${w.code.length})`)
    const slots = [...new Set([...g.storage.keys(), ...w.storage.keys()])].sort()
    for (const s of slots) {
      const gv = g.storage.get(s) ?? 0n
      const wv = w.storage.get(s) ?? 0n
      if (gv !== wv) {
        diffs.push(`${a}: storage ${s} = 0x${gv.toString(16)}, want 0x${wv.toString(16)}`)
        if (diffs.length >= limit) break
      }
    }
  }
  return diffs.length === 0 ? undefined : diffs.join('; ')
}
