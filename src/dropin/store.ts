/**
 * The embedded state store: @ethereumjs's Merkle state (MerklePatriciaTrie, MerkleStateManager)
 * on an LMDB database in a directory (`lmdb`, prebuilt native binaries: no build step at install).
 * Chosen over LevelDB (`classic-level`) by measurement (docs/benchmarks.md, "Drop-in runBlock":
 * cold random reads of trie nodes, the drop-in's fetch pattern): LMDB reads are memory-mapped
 * and answer without a round trip through a thread pool, and its readers can run in every
 * thread at once.
 *
 * - `openStateStore(dir)` opens (creating) the store and takes its lock: a second opener, in
 *   this process or another, gets StoreLockedError until `close()`; a lock left by a process
 *   that no longer runs is taken over.
 * - `store.stateManager(common, root?)`: a MerkleStateManager over the store at `root`
 *   (default: the empty trie); its `flush()`/`commit()` write trie nodes into the store.
 * - `store.trieDB`: the store as an @ethereumjs `DB` (point an MPT or a state manager of your
 *   own at it; keys are node hashes, values node bytes).
 * - `store.getMeta/putMeta`: small JSON records kept beside the state (e.g. a chain's head).
 *
 * Pointing it at an existing database: `openStateStore(dir)` on a directory this module wrote
 * before, then `stateManager(common, stateRoot)` with a state root stored there.
 *
 * Pruning (`openStateStore(dir, { prune: true })`): a client that only ever builds on its
 * latest state lets the tries delete the nodes an update replaces (@ethereumjs's
 * `useNodePruning`), so the database holds one state and stops growing with every block.
 * Storage tries then keep their nodes under their account's key prefix
 * (`prefixStorageTrieKeys`): a node two storage tries had in common (the same slot and value
 * in two contracts) would otherwise be deleted by one of them while the other still uses it.
 * Only the latest state root can be read after a pruned update (no reorgs, no history). The
 * store records its layout when it is created; opening it with the other setting throws
 * {@link StoreLayoutError}.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Database, RootDatabase } from 'lmdb'
import { importOptional } from '../util/optional.js'
import type { Common } from '@ethereumjs/common'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { ValueEncoding, type BatchDBOp, type DB, type EncodingOpts } from '@ethereumjs/util'

/** The store's directory is in use by another opener (this process or another one). */
export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`the state store ${dir} is in use by process ${pid}`)
    this.name = 'StoreLockedError'
  }
}

/** The store was created with the other pruning setting (its node layout differs). */
export class StoreLayoutError extends Error {
  constructor(
    readonly dir: string,
    readonly stored: boolean,
  ) {
    super(`the state store ${dir} was created ${stored ? 'with' : 'without'} pruning; open it ${stored ? 'with { prune: true }' : 'without prune'}`)
    this.name = 'StoreLayoutError'
  }
}

export interface StateStoreOptions {
  /** Delete the trie nodes an update replaces (see the module comment; default false). */
  prune?: boolean
}

export interface StateStore {
  readonly dir: string
  /** Whether the tries delete the nodes their updates replace. */
  readonly prune: boolean
  /** The store as an @ethereumjs DB of trie nodes. */
  readonly trieDB: DB<string | Uint8Array, string | Uint8Array>
  /** A MerkleStateManager over the store, at `root` (default: the empty state). */
  stateManager(common: Common, root?: Uint8Array): Promise<MerkleStateManager>
  getMeta<T>(key: string): T | undefined
  putMeta(key: string, value: unknown): Promise<void>
  /** Writes pending changes and releases the lock. */
  close(): Promise<void>
}

const LOCK = 'blockstm.lock'
/** Meta key of the store's layout ({ prune }). */
const LAYOUT = 'blockstm:layout'

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Takes `<dir>/blockstm.lock` (the pid of the holder); a stale lock is taken over. */
function takeLock(dir: string): () => void {
  const file = join(dir, LOCK)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      return () => rmSync(file, { force: true })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number(readFileSync(file, 'utf8').trim())
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new StoreLockedError(dir, pid)
      rmSync(file, { force: true }) // stale: its process is gone
    }
  }
  throw new StoreLockedError(dir, -1)
}

/** Keys: the MPT's hex node keys stored as bytes. Values: a tag byte (0 bytes, 1 UTF-8 string) then the value. */
function keyBytes(key: string | Uint8Array): Uint8Array {
  if (typeof key !== 'string') return key
  return /^[0-9a-f]*$/.test(key) && key.length % 2 === 0 ? Buffer.from(key, 'hex') : Buffer.from('s:' + key, 'utf8')
}

function encodeValue(v: string | Uint8Array): Uint8Array {
  if (typeof v === 'string') return Buffer.concat([Buffer.of(1), Buffer.from(v, 'utf8')])
  const out = new Uint8Array(v.length + 1)
  out.set(v, 1)
  return out
}

function decodeValue(b: Uint8Array | undefined): string | Uint8Array | undefined {
  if (b === undefined) return undefined
  if (b[0] === 1) return Buffer.from(b.buffer, b.byteOffset + 1, b.length - 1).toString('utf8')
  return Uint8Array.prototype.slice.call(b, 1)
}

class LmdbTrieDB implements DB<string | Uint8Array, string | Uint8Array> {
  constructor(private readonly db: Database<Uint8Array, Uint8Array>) {}
  async get(key: string | Uint8Array, _opts?: EncodingOpts): Promise<string | Uint8Array | undefined> {
    // Memory-mapped read: answered synchronously, no thread-pool round trip.
    return decodeValue(this.db.get(keyBytes(key)))
  }
  async put(key: string | Uint8Array, val: string | Uint8Array): Promise<void> {
    await this.db.put(keyBytes(key), encodeValue(val))
  }
  async del(key: string | Uint8Array): Promise<void> {
    await this.db.remove(keyBytes(key))
  }
  async batch(ops: BatchDBOp<string | Uint8Array, string | Uint8Array>[]): Promise<void> {
    await this.db.batch(() => {
      for (const op of ops) {
        if (op.type === 'put') void this.db.put(keyBytes(op.key), encodeValue(op.value as string | Uint8Array))
        else void this.db.remove(keyBytes(op.key))
      }
    })
  }
  shallowCopy(): DB<string | Uint8Array, string | Uint8Array> {
    return this
  }
  async open(): Promise<void> {}
}

/** Whether `db` holds any key (one key read; counting would read them all). */
function holdsAny(db: Database<Uint8Array, Uint8Array>): boolean {
  for (const _ of db.getKeys({ limit: 1 })) return true
  return false
}

/** Opens (creating) the state store in `dir` and takes its lock (see the module comment). */
export async function openStateStore(dir: string, opts: StateStoreOptions = {}): Promise<StateStore> {
  const prune = opts.prune ?? false
  // lmdb (a native addon) is loaded when a store is opened, not when the package is imported:
  // importing blockstm-evm stays quick and bundlers need not handle the addon unless it is used.
  // An optional peer dependency: a one-line error names it when it is not installed.
  const { open } = await importOptional<typeof import('lmdb')>('lmdb', 'the embedded state store (openStateStore, blockstm chain --db)')
  mkdirSync(dir, { recursive: true })
  const release = takeLock(dir)
  let root: RootDatabase
  try {
    root = open({ path: join(dir, 'state.mdb'), maxDbs: 4, compression: false })
  } catch (e) {
    release()
    throw e
  }
  const nodes = root.openDB<Uint8Array, Uint8Array>({ name: 'trie', keyEncoding: 'binary', encoding: 'binary' })
  const meta = root.openDB<unknown, string>({ name: 'meta', encoding: 'json' })
  // The layout is written when the store is created; a store without one predates pruning.
  const layout = meta.get(LAYOUT) as { prune: boolean } | undefined
  const stored = layout?.prune ?? (holdsAny(nodes) ? false : undefined)
  if (stored !== undefined && stored !== prune) {
    await root.close()
    release()
    throw new StoreLayoutError(dir, stored)
  }
  if (layout === undefined) await meta.put(LAYOUT, { prune })
  const trieDB = new LmdbTrieDB(nodes)
  let closed = false
  return {
    dir,
    prune,
    trieDB,
    async stateManager(common, stateRoot) {
      const trie = new MerklePatriciaTrie({ db: trieDB as never, useKeyHashing: true, useNodePruning: prune, valueEncoding: ValueEncoding.Bytes, common })
      if (stateRoot !== undefined) trie.root(stateRoot)
      return new MerkleStateManager({ trie, common, prefixStorageTrieKeys: prune })
    },
    getMeta<T>(key: string) {
      return meta.get(key) as T | undefined
    },
    async putMeta(key, value) {
      await meta.put(key, value)
    },
    async close() {
      if (closed) return
      closed = true
      try {
        await root.flushed
        await root.close()
      } finally {
        release()
      }
    },
  }
}
