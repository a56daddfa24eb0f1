/**
 * The drop-in's direct path into a plain MerkleStateManager (src/dropin/merkleDirect.ts,
 * src/dropin/trieEditor.ts):
 * - the trie editor against @ethereumjs's MerklePatriciaTrie on generated edits (fast-check):
 *   the same root after every batch, every key readable from the stored nodes by a fresh
 *   MerklePatriciaTrie, and with pruning (the editor's `replaced` deleted) still readable and
 *   holding no unreachable node;
 *   keys with long shared prefixes and tiny values exercise extensions and embedded nodes;
 * - the direct commit against the interface commit (commit.ts) on generated state diffs
 *   (accounts created, changed, deleted; storage cleared; code; slots set and zeroed), over
 *   plain and pruned, prefixed stores: equal state roots and equal reads afterwards;
 * - which path a runner takes (`stats.access`), and why not;
 * - a database read that throws mid-block on the direct path: BaseStateReadError, the state
 *   manager unchanged;
 * - a pruned store and an invalid block (wrong state root): rejected, and the old state is
 *   whole afterwards (the storage nodes the block replaced are deleted only after a commit).
 */
import { afterEach, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, MapDB, bytesToBigInt, bytesToHex, hexToBytes, setLengthLeft, ValueEncoding, type BatchDBOp, type DB } from '@ethereumjs/util'
import { createBlock } from '@ethereumjs/block'
import { createVM } from '@ethereumjs/vm'
import { TrieEditor } from '../src/dropin/trieEditor.js'
import { MerkleDirect, whyNotDirect } from '../src/dropin/merkleDirect.js'
import { commitDiff, groupByAccount } from '../src/dropin/commit.js'
import { BaseStateReadError, BlockRejectedError, createParallelRunner, openStateStore, type StateStore } from '../src/dropin/index.js'
import { keccak256 } from '../src/evm/keccak.js'
import { EXISTS_VALUE, balanceKey, codeKey, encodeBool, encodeNumeric, encodeSlot, epochKey, existsKey, nonceKey, slotKey } from '../src/evm/keys.js'
import { generateWorkload } from '../src/workloads/index.js'
import { commitPreState } from '../src/evm/state.js'
import { tableBlockHashChain } from '../src/evm/chain.js'

const common = () => new Common({ chain: Mainnet, hardfork: Hardfork.Cancun })

describe('TrieEditor equals MerklePatriciaTrie', () => {
  /**
   * Keys: 32 bytes from small spaces, so that edits hit existing keys: hashes of 0..47 (paths
   * as a state trie has them), or keys that share long prefixes (extensions, and short leaves
   * whose nodes are embedded in their parents).
   */
  const keyArb = fc.oneof(
    fc.integer({ min: 0, max: 47 }).map((i) => keccak256(Uint8Array.of(i))),
    fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })).map(([a, b, c]) => {
      const k = new Uint8Array(32)
      k[0] = a
      k[30] = b * 17
      k[31] = c
      return k
    }),
  )
  const valueArb = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 2 }), fc.uint8Array({ minLength: 30, maxLength: 40 }))
  const opArb = fc.tuple(keyArb, fc.option(valueArb, { freq: 2 }))
  const batchesArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 })

  /** Applies `initial` then each batch to an editor over stored nodes and to a reference trie: equal roots, readable nodes. */
  async function checkAgainstMpt(initial: Array<[Uint8Array, Uint8Array]>, batches: Array<Array<[Uint8Array, Uint8Array | null]>>, prune: boolean): Promise<void> {
    const db = new MapDB<string, Uint8Array>()
    const ref = new MerklePatriciaTrie({ useKeyHashing: false })
    const seed = new MerklePatriciaTrie({ db: db as never, useKeyHashing: false, valueEncoding: ValueEncoding.Bytes, useNodePruning: prune })
    const live = new Map<string, Uint8Array>()
    for (const [k, v] of initial) {
      await ref.put(k, v)
      await seed.put(k, v)
      live.set(bytesToHex(k), v)
    }
    let root = seed.root()
    expect(bytesToHex(root)).toBe(bytesToHex(ref.root()))
    for (const batch of batches) {
      const ed = new TrieEditor(root, { read: async (k) => db.get(bytesToHex(k).slice(2)) as Promise<Uint8Array | undefined>, hash: keccak256, pruning: prune })
      for (const [k, v] of batch) {
        const value = v ?? new Uint8Array(0)
        await ed.put(k, value)
        if (value.length === 0) await ref.del(k)
        else await ref.put(k, value)
        if (value.length === 0) live.delete(bytesToHex(k))
        else live.set(bytesToHex(k), value)
        // Reads see the edits made so far.
        expect(bytesToHex((await ed.get(k)) ?? new Uint8Array(0))).toBe(bytesToHex(value))
      }
      const edit = ed.finish()
      expect(bytesToHex(edit.root)).toBe(bytesToHex(ref.root()))
      const ops: BatchDBOp<string, Uint8Array>[] = edit.puts.map(([k, value]) => ({ type: 'put', key: bytesToHex(k).slice(2), value }))
      if (!prune) expect(edit.replaced).toEqual([])
      for (const k of edit.replaced) ops.push({ type: 'del', key: bytesToHex(k).slice(2) })
      await db.batch(ops)
      root = edit.root
      const reader = new MerklePatriciaTrie({ db: db as never, useKeyHashing: false, valueEncoding: ValueEncoding.Bytes, root })
      for (const [k, v] of live) expect(bytesToHex((await reader.get(Uint8Array.from(Buffer.from(k.slice(2), 'hex')))) ?? new Uint8Array(0))).toBe(bytesToHex(v))
      // Pruning: every node the database still holds is reachable from the root (none left behind).
      if (prune) expect(await reader.verifyPrunedIntegrity()).toBe(true)
    }
  }

  it.each([false, true])('roots, stored nodes and reads after every batch (pruning %s)', async (prune) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 30 }), batchesArb, (initial, batches) => checkAgainstMpt(initial, batches, prune)),
      { numRuns: 250 },
    )
  }, 120_000)

  it('deletes that collapse a branch into an extension, a leaf, or an extension longer by one nibble', async () => {
    const k = (a: number, b: number, c: number) => {
      const x = new Uint8Array(32)
      x[0] = a
      x[30] = b
      x[31] = c
      return x
    }
    const v = Uint8Array.of(1)
    const long = new Uint8Array(33).fill(9)
    // Two keys under one extension and a third beside them: deleting the third collapses the
    // branch above into that extension, one nibble longer.
    await checkAgainstMpt([[k(1, 0, 0), v], [k(1, 0, 1), long], [k(2, 0, 0), v]], [[[k(2, 0, 0), null]], [[k(1, 0, 1), null]]], true)
    // A branch left with one leaf: the leaf moves up.
    await checkAgainstMpt([[k(0, 0, 1), long], [k(0, 0, 2), long], [k(0, 0, 3), long]], [[[k(0, 0, 1), null], [k(0, 0, 2), null]], [[k(0, 0, 3), null]]], false)
  })

  it('a batch that changes nothing keeps the root and writes nothing', async () => {
    const db = new MapDB<string, Uint8Array>()
    const t = new MerklePatriciaTrie({ db: db as never, useKeyHashing: false, valueEncoding: ValueEncoding.Bytes })
    for (let i = 0; i < 20; i++) await t.put(keccak256(Uint8Array.of(i)), Uint8Array.of(i + 1))
    const ed = new TrieEditor(t.root(), { read: async (k) => db.get(bytesToHex(k).slice(2)) as Promise<Uint8Array | undefined>, hash: keccak256, pruning: true })
    await ed.put(keccak256(Uint8Array.of(3)), Uint8Array.of(4)) // the same value
    await ed.put(keccak256(Uint8Array.of(99)), new Uint8Array(0)) // delete an absent key
    const edit = ed.finish()
    expect(bytesToHex(edit.root)).toBe(bytesToHex(t.root()))
    expect(edit.puts).toEqual([])
    expect(edit.replaced).toEqual([])
  })
})

const addr = (i: number) => new Address(setLengthLeft(Uint8Array.of(0xbb, i), 20))
const slot = (i: number) => setLengthLeft(Uint8Array.of(i), 32)

/** A pre-state: accounts 0..9, the even ones contracts with code and slots 0..5. */
async function seed(sm: MerkleStateManager): Promise<void> {
  await sm.checkpoint()
  for (let i = 0; i < 10; i++) {
    await sm.putAccount(addr(i), new Account(BigInt(i), BigInt(1000 + i)))
    if (i % 2 === 0) {
      await sm.putCode(addr(i), Uint8Array.of(0x60, i, 0x00))
      for (let s = 0; s < 6; s++) await sm.putStorage(addr(i), slot(s), Uint8Array.of(i + 1, s + 1))
    }
  }
  await sm.commit()
  await sm.flush()
}

/** A state diff as the engine writes one: location keys and encoded values. */
const diffArb = fc.array(
  fc.record({
    who: fc.integer({ min: 0, max: 13 }),
    exists: fc.constantFrom<boolean | undefined>(undefined, undefined, true, false),
    nonce: fc.option(fc.bigInt({ min: 0n, max: 50n })),
    balance: fc.option(fc.bigInt({ min: 0n, max: 10n ** 20n })),
    epoch: fc.constantFrom(0, 0, 0, 1),
    code: fc.option(fc.uint8Array({ minLength: 1, maxLength: 8 }), { freq: 4 }),
    slots: fc.array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.bigInt({ min: 0n, max: 3n ** 60n }), fc.constantFrom(0, 1)), { maxLength: 6 }),
  }),
  { maxLength: 8 },
)

function toLocations(d: Array<{ who: number; exists: boolean | undefined; nonce: bigint | null; balance: bigint | null; epoch: number; code: Uint8Array | null; slots: Array<[number, bigint, number]> }>): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = []
  for (const a of d) {
    const b = addr(a.who).bytes
    if (a.exists !== undefined) out.push([existsKey(b), a.exists ? EXISTS_VALUE : encodeBool(false)])
    if (a.nonce !== null) out.push([nonceKey(b), encodeNumeric(a.nonce)])
    if (a.balance !== null) out.push([balanceKey(b), encodeNumeric(a.balance)])
    if (a.epoch !== 0) out.push([epochKey(b), encodeNumeric(BigInt(a.epoch))])
    if (a.code !== null) out.push([codeKey(b), a.code])
    for (const [s, v, e] of a.slots) out.push([slotKey(b, slot(s)), encodeSlot(e === 1 ? a.epoch : 0, v)])
  }
  return out
}

/** Everything the state holds for accounts 0..13 (slots 0..8), as a string. */
async function dump(sm: MerkleStateManager): Promise<string> {
  const parts: string[] = []
  for (let i = 0; i < 14; i++) {
    const a = await sm.getAccount(addr(i))
    if (a === undefined) continue
    parts.push(`${i}:${a.nonce}:${a.balance}:${bytesToHex(a.codeHash)}:${bytesToHex(await sm.getCode(addr(i)))}`)
    for (let s = 0; s < 9; s++) parts.push(bytesToHex(await sm.getStorage(addr(i), slot(s))))
  }
  return parts.join(',')
}

const dirs: string[] = []
const stores: StateStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})
async function store(prune: boolean): Promise<StateStore> {
  const d = mkdtempSync(join(tmpdir(), 'direct-'))
  dirs.push(d)
  const s = await openStateStore(d, { prune })
  stores.push(s)
  return s
}

describe('the direct commit equals the interface commit', () => {
  it.each([
    ['a MerkleStateManager on a MapDB', 'memory'],
    ['the store, unpruned', 'store'],
    ['the store, pruned (prefixed storage tries)', 'pruned'],
  ])('%s: roots and reads after generated diffs', async (_name, kind) => {
    await fc.assert(
      fc.asyncProperty(fc.array(diffArb, { minLength: 1, maxLength: 3 }), async (blocks) => {
        const make = async () => {
          if (kind === 'memory') return new MerkleStateManager({ common: common() })
          const s = await store(kind === 'pruned')
          return s.stateManager(common())
        }
        const a = await make()
        const b = await make()
        await seed(a)
        await seed(b)
        for (const d of blocks) {
          const diff = toLocations(d)
          const direct = MerkleDirect.for(a)
          expect(direct).toBeDefined()
          await a.checkpoint()
          const after = await direct!.commit(groupByAccount(diff))
          await a.commit()
          await after()
          await b.checkpoint()
          await commitDiff(b, diff)
          await b.commit()
          await b.flush()
          expect(bytesToHex(await a.getStateRoot())).toBe(bytesToHex(await b.getStateRoot()))
        }
        expect(await dump(a)).toBe(await dump(b))
        for (const s of stores.splice(0)) await s.close()
      }),
      { numRuns: kind === 'memory' ? 80 : 25 },
    )
  }, 180_000)

  it.each(['direct', 'interface'])('%s: a deleted account created again has empty storage (no storage trie left cached)', async (path) => {
    const sm = new MerkleStateManager({ common: common() })
    await seed(sm) // account 4's storage trie is now cached by the state manager
    const diff = toLocations([{ who: 4, exists: false, nonce: null, balance: null, epoch: 0, code: null, slots: [] }])
    await sm.checkpoint()
    if (path === 'direct') await MerkleDirect.for(sm)!.commit(groupByAccount(diff))
    else await commitDiff(sm, diff)
    await sm.commit()
    expect(await sm.getAccount(addr(4))).toBeUndefined()
    // Created again through the state manager itself, as a later runBlock would.
    await sm.putAccount(addr(4), new Account(1n))
    expect(bytesToHex(await sm.getStorage(addr(4), slot(0)))).toBe('0x')
    await sm.putStorage(addr(4), slot(1), Uint8Array.of(5))
    expect(bytesToHex(await sm.getStorage(addr(4), slot(0)))).toBe('0x')
    expect(bytesToHex(await sm.getStorage(addr(4), slot(1)))).toBe('0x05')
  })

  it('a reverted direct commit leaves the state as before', async () => {
    const sm = new MerkleStateManager({ common: common() })
    await seed(sm)
    const before = bytesToHex(await sm.getStateRoot())
    const dumped = await dump(sm)
    await sm.checkpoint()
    await MerkleDirect.for(sm)!.commit(groupByAccount(toLocations([{ who: 2, exists: undefined, nonce: 7n, balance: 1n, epoch: 1, code: Uint8Array.of(1), slots: [[1, 5n, 1]] }])))
    expect(bytesToHex(await sm.getStateRoot())).not.toBe(before)
    await sm.revert()
    expect(bytesToHex(await sm.getStateRoot())).toBe(before)
    expect(await dump(sm)).toBe(dumped)
  })
})

describe('which path a state manager takes', () => {
  it('a plain MerkleStateManager is taken directly; caches, an override or another class are not', () => {
    expect(whyNotDirect(new MerkleStateManager({ common: common() }))).toBeUndefined()
    const overridden = new MerkleStateManager({ common: common() })
    overridden.getStorage = overridden.getStorage.bind(overridden)
    expect(whyNotDirect(overridden)).toMatch(/getStorage is overridden/)
    class Mine extends MerkleStateManager {}
    expect(whyNotDirect(new Mine({ common: common() }))).toMatch(/not a plain MerkleStateManager/)
  })
})

/** A VM on a MerkleStateManager over `db`, holding a small ERC-20 block's pre-state. */
async function erc20(db?: DB<string, Uint8Array>) {
  const w = await generateWorkload({ kind: 'erc20', txs: 12, accounts: 30, seed: 3 })
  const trie = new MerklePatriciaTrie({ useKeyHashing: true, common: w.common, ...(db !== undefined ? { db: db as never } : {}) })
  const sm = new MerkleStateManager({ common: w.common, trie })
  await commitPreState(sm, w.preState)
  const vm = await createVM({ common: w.common.copy(), stateManager: sm, blockchain: tableBlockHashChain(() => new Map()) as never })
  return { w, sm, vm }
}

describe('the runner on the direct path', () => {
  const runner = createParallelRunner({ threads: 2, lanes: 4 })

  it('reports its access path; a failing database read fails the block, state unchanged', async () => {
    class FailingDB extends MapDB<string, Uint8Array> {
      failAt = -1
      reads = 0
      override async get(key: string) {
        if (++this.reads === this.failAt) throw new Error('injected: node read failed')
        return super.get(key)
      }
    }
    const db = new FailingDB()
    const { w, sm, vm } = await erc20(db)
    const before = bytesToHex(await sm.getStateRoot())
    db.reads = 0
    db.failAt = 20
    const err = await runner.runBlock(vm, { block: w.block, generate: true, skipBlockValidation: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BaseStateReadError)
    expect((err as Error).message).toMatch(/injected: node read failed/)
    expect(bytesToHex(await sm.getStateRoot())).toBe(before)
    db.failAt = -1
    const ok = await runner.runBlock(vm, { block: w.block, generate: true, skipBlockValidation: true })
    expect(ok.stats.access).toBe('trie')
    expect(ok.stats.interfaceReason).toBeUndefined()
    const ref = await erc20()
    const { runBlock } = await import('@ethereumjs/vm')
    const want = await runBlock(ref.vm, { block: w.block, generate: true, skipBlockValidation: true })
    expect(bytesToHex(ok.stateRoot)).toBe(bytesToHex(want.stateRoot))
    expect(bytesToHex(await sm.getStateRoot())).toBe(bytesToHex(await ref.sm.getStateRoot()))
  }, 60_000)

  it('a pruned store and a block with a wrong state root: rejected, the old state whole, then the right block commits', async () => {
    const s = await store(true)
    const w = await generateWorkload({ kind: 'erc20', txs: 12, accounts: 30, seed: 3 })
    const sm = await s.stateManager(w.common)
    await commitPreState(sm, w.preState)
    const root = await sm.getStateRoot()
    const vm = await createVM({ common: w.common.copy(), stateManager: sm, blockchain: tableBlockHashChain(() => new Map()) as never })
    const bad = createBlock({ ...w.block, header: { ...w.block.header, stateRoot: new Uint8Array(32).fill(7) } } as never, { common: w.common })
    const err = await runner.runBlock(vm, { block: bad, skipBlockValidation: true }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(BlockRejectedError)
    expect((err as Error).message).toMatch(/invalid block stateRoot/)
    expect(bytesToHex(await sm.getStateRoot())).toBe(bytesToHex(root))
    // Every account and slot of the pre-state still reads back at the old root.
    const fresh = await s.stateManager(w.common, root)
    for (const [a, acc] of w.preState) {
      const address = new Address(hexToBytes(a as `0x${string}`))
      expect((await fresh.getAccount(address))?.balance).toBe(acc.balance)
      for (const [k, v] of acc.storage) expect(bytesToBigInt(await fresh.getStorage(address, hexToBytes(k as `0x${string}`)))).toBe(v)
    }
    const ref = await erc20()
    const { runBlock } = await import('@ethereumjs/vm')
    const want = await runBlock(ref.vm, { block: w.block, generate: true, skipBlockValidation: true })
    const good = await runner.runBlock(vm, { block: w.block, generate: true, skipBlockValidation: true })
    expect(good.stats.access).toBe('trie')
    expect(bytesToHex(good.stateRoot)).toBe(bytesToHex(want.stateRoot))
    await runner.close()
  }, 60_000)
})
