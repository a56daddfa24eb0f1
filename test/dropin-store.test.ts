/**
 * The state store's pruning (src/dropin/store.ts, `openStateStore(dir, { prune: true })`):
 * over a run of updates the pruned store's state roots equal an unpruned in-memory
 * MerkleStateManager's, every account and slot of the final state is readable from a fresh
 * state manager at its root (no live node deleted), the store keeps fewer nodes than an
 * unpruned store given the same updates, and a store refuses to be opened with the other
 * setting. The storage-key prefix the pruned layout uses is shown to be needed: pruning
 * without it deletes a node two contracts share.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, MapDB, ValueEncoding, bytesToHex, setLengthLeft } from '@ethereumjs/util'
import { openStateStore, StoreLayoutError, type StateStore } from '../src/dropin/store.js'

const common = () => new Common({ chain: Mainnet, hardfork: Hardfork.Cancun })
const addr = (i: number) => new Address(setLengthLeft(Uint8Array.of(0xaa, i), 20))
const slot = (i: number) => setLengthLeft(Uint8Array.of(i), 32)

/** One "block" of updates: balances of some accounts, slots of two contracts (the same slot and value in both, then changed in one). */
async function applyBlock(sm: MerkleStateManager, b: number): Promise<void> {
  await sm.checkpoint()
  for (let i = 0; i < 12; i++) {
    const a = addr((b * 5 + i) % 40)
    const acc = (await sm.getAccount(a)) ?? new Account()
    acc.balance += BigInt(b * 100 + i + 1)
    await sm.putAccount(a, acc)
  }
  for (const c of [200, 201]) {
    if ((await sm.getAccount(addr(c))) === undefined) await sm.putAccount(addr(c), new Account(1n))
    await sm.putStorage(addr(c), slot(b % 3), Uint8Array.of(1 + (b % 2)))
  }
  // Contract 200 alone moves on: its old nodes go, contract 201's identical ones must stay.
  await sm.putStorage(addr(200), slot(b % 3), Uint8Array.of(9, b))
  await sm.commit()
  await sm.flush()
}

async function readAll(sm: MerkleStateManager): Promise<string[]> {
  const out: string[] = []
  for (let i = 0; i < 40; i++) out.push(`${i}:${(await sm.getAccount(addr(i)))?.balance ?? '-'}`)
  for (const c of [200, 201]) for (let s = 0; s < 3; s++) out.push(`${c}/${s}:${bytesToHex(await sm.getStorage(addr(c), slot(s)))}`)
  return out
}

const dirs: string[] = []
const opened: StateStore[] = []
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'store-test-'))
  dirs.push(d)
  return d
}
async function open(dir: string, prune: boolean): Promise<StateStore> {
  const s = await openStateStore(dir, { prune })
  opened.push(s)
  return s
}
const nodeCount = (s: StateStore) => (s.trieDB as unknown as { db: { getKeysCount(): number } }).db.getKeysCount()

describe('state store pruning', () => {
  it('roots equal an unpruned state manager at every block; the final state reads back whole; fewer nodes kept', async () => {
    const pruned = await open(tempDir(), true)
    const full = await open(tempDir(), false)
    const p = await pruned.stateManager(common())
    const f = await full.stateManager(common())
    const ref = new MerkleStateManager({ common: common() })
    for (let b = 0; b < 30; b++) {
      for (const sm of [p, f, ref]) await applyBlock(sm, b)
      const want = bytesToHex(await ref.getStateRoot())
      expect(bytesToHex(await p.getStateRoot()), `block ${b}`).toBe(want)
      expect(bytesToHex(await f.getStateRoot())).toBe(want)
    }
    const root = await p.getStateRoot()
    const fresh = await pruned.stateManager(common(), root)
    expect(await readAll(fresh)).toEqual(await readAll(ref))
    expect(nodeCount(pruned)).toBeLessThan(nodeCount(full) / 2)
  })

  it('pruning without a per-trie key prefix deletes a node another trie still uses (why the pruned layout prefixes storage tries)', async () => {
    // Two storage tries over one database, as MerkleStateManager makes them (shallow copies of
    // the account trie), holding the same slot with the same value: one node, by hash.
    for (const prefixed of [false, true]) {
      const db = new MapDB<string, Uint8Array>()
      const accounts = new MerklePatriciaTrie({ db, useKeyHashing: true, useNodePruning: true, valueEncoding: ValueEncoding.Bytes })
      const a = accounts.shallowCopy(false, prefixed ? { keyPrefix: Uint8Array.of(0xa1) } : undefined)
      const b = accounts.shallowCopy(false, prefixed ? { keyPrefix: Uint8Array.of(0xb2) } : undefined)
      await a.put(slot(0), Uint8Array.of(1))
      await b.put(slot(0), Uint8Array.of(1))
      expect(bytesToHex(a.root())).toBe(bytesToHex(b.root()))
      await a.put(slot(0), Uint8Array.of(2)) // a's update prunes its old node
      expect(await b.checkRoot(b.root()), prefixed ? 'prefixed' : 'unprefixed').toBe(prefixed)
    }
  })

  it('a store opens only with the pruning setting it was created with', async () => {
    const a = tempDir()
    await (await open(a, true)).close()
    await expect(openStateStore(a, { prune: false })).rejects.toThrow(StoreLayoutError)
    await expect(openStateStore(a)).rejects.toThrow(/created with pruning/)
    await (await open(a, true)).close() // the refusal released the lock
    const b = tempDir()
    const sb = await open(b, false)
    await applyBlock(await sb.stateManager(common()), 0)
    await sb.close()
    await expect(openStateStore(b, { prune: true })).rejects.toThrow(/created without pruning/)
    // A store written before layouts were recorded (nodes, no layout record) is unpruned.
    const { open: openLmdb } = await import('lmdb')
    const raw = openLmdb({ path: join(b, 'state.mdb'), maxDbs: 4 })
    await raw.openDB<unknown, string>({ name: 'meta', encoding: 'json' }).remove('blockstm:layout')
    await raw.close()
    await expect(openStateStore(b, { prune: true })).rejects.toThrow(/created without pruning/)
    await (await open(b, false)).close()
  })
})
