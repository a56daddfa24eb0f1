/**
 * The measurement behind the embedded store's choice (src/dropin/store.ts): the same Merkle
 * trie (20,000 accounts) written into LMDB (`lmdb`) and LevelDB (`classic-level`, what the
 * EthereumJS client uses), then 5,000 random account reads from a fresh trie at the stored
 * root (cold: every node comes from the database), one at a time and 64 in flight (the
 * drop-in's fetch pattern). Prints µs per read. Needs classic-level:
 *   npm install --no-save classic-level && npx tsx scripts/store-choice.ts
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { ValueEncoding, type DB } from '@ethereumjs/util'
import { openStateStore } from '../src/dropin/store.js'

const N = 20_000
const READS = 5_000
const key = (i: number) => {
  const k = new Uint8Array(20)
  new DataView(k.buffer).setUint32(0, Math.imul(i, 2654435761) >>> 0)
  new DataView(k.buffer).setUint32(16, i)
  return k
}
const value = (i: number) => new Uint8Array(80).fill(i & 0xff)

class LevelTrieDB {
  constructor(private readonly db: { get(k: Uint8Array): Promise<Uint8Array | undefined>; put(k: Uint8Array, v: Uint8Array): Promise<void>; del(k: Uint8Array): Promise<void>; batch(ops: unknown[]): Promise<void> }) {}
  kb = (k: string | Uint8Array) => (typeof k === 'string' ? Buffer.from(k, 'hex') : k)
  async get(k: string | Uint8Array) {
    return (await this.db.get(this.kb(k))) ?? undefined
  }
  async put(k: string | Uint8Array, v: Uint8Array) {
    await this.db.put(this.kb(k), v)
  }
  async del(k: string | Uint8Array) {
    await this.db.del(this.kb(k))
  }
  async batch(ops: Array<{ type: 'put' | 'del'; key: string | Uint8Array; value?: Uint8Array }>) {
    await this.db.batch(ops.map((o) => (o.type === 'put' ? { type: 'put', key: this.kb(o.key), value: o.value } : { type: 'del', key: this.kb(o.key) })))
  }
  shallowCopy() {
    return this
  }
  async open() {}
}

async function measure(name: string, db: DB<string | Uint8Array, string | Uint8Array>): Promise<void> {
  const trie = new MerklePatriciaTrie({ db: db as never, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes })
  const t0 = performance.now()
  for (let i = 0; i < N; i++) await trie.put(key(i), value(i))
  const root = trie.root()
  const writeMs = performance.now() - t0
  const pick = Array.from({ length: READS }, (_, j) => (j * 7919) % N)
  const cold = () => {
    const t = new MerklePatriciaTrie({ db: db as never, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes })
    t.root(root)
    return t
  }
  let t = cold()
  let s = performance.now()
  for (const i of pick) await t.get(key(i))
  const oneUs = ((performance.now() - s) * 1000) / READS
  t = cold()
  s = performance.now()
  for (let j = 0; j < READS; j += 64) await Promise.all(pick.slice(j, j + 64).map((i) => t.get(key(i))))
  const manyUs = ((performance.now() - s) * 1000) / READS
  console.log(`${name}: write ${N} accounts ${writeMs.toFixed(0)} ms; cold reads ${oneUs.toFixed(1)} µs each one at a time, ${manyUs.toFixed(1)} µs each 64 in flight`)
}

const dir = mkdtempSync(join(tmpdir(), 'store-choice-'))
try {
  const store = await openStateStore(join(dir, 'lmdb'))
  await measure('lmdb', store.trieDB)
  await store.close()
  const { ClassicLevel } = await import('classic-level' as string)
  const level = new ClassicLevel(join(dir, 'level'), { keyEncoding: 'view', valueEncoding: 'view' })
  await level.open()
  await measure('classic-level', new LevelTrieDB(level) as never)
  await level.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
