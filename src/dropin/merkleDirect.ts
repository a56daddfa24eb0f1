/**
 * The drop-in's direct path into a plain @ethereumjs `MerkleStateManager`: the block's reads
 * and its commit go to the manager's tries through {@link TrieEditor}s (one for the account
 * trie, one per storage trie) instead of through `getAccount`/`putStorage`. Same tries, same
 * nodes, same roots; what changes is the cost. Through the interface every `putStorage`
 * re-hashes the contract's storage-trie path *and* the account-trie path (the new storage
 * root is put into the account each time), and every read walks the trie through
 * MerklePatriciaTrie's generic walker; a 2,000-transfer ERC-20 block spent 14 s there.
 * Here each node a block reads is loaded once, shared by its reads and its commit, and each
 * changed node is hashed once.
 *
 * Taken only when the state manager is exactly MerkleStateManager 10.1.x as this module knows
 * it ({@link MerkleDirect.for}): no caches (cached writes would be pending), no method
 * overridden on the instance (an override, e.g. an instrumented read, must be called),
 * keccak256 as the tries' hash, fields of the expected shape. Anything else goes through the
 * public StateManagerInterface (stateSource.ts, commit.ts); `stats.access` says which.
 *
 * Writes follow MerkleStateManager's own placement:
 * - account-trie nodes and code go into the account trie's checkpointed database (a revert of
 *   the block's checkpoint drops them), and the trie's root is set;
 * - storage-trie nodes are written straight to the database under the account's key prefix,
 *   as MerkleStateManager's storage tries do (unreferenced after a revert);
 * - with node pruning, the storage nodes an update replaced are deleted only after the block
 *   committed (`afterCommit`), so that an invalid block leaves its old storage tries whole.
 */
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { MerkleStateManager, CODEHASH_PREFIX } from '@ethereumjs/statemanager'
import type { StateManagerInterface } from '@ethereumjs/common'
import { type Account, Address, bigIntToUnpaddedBytes, bytesToUnprefixedHex, concatBytes, createAccountFromRLP, equalsBytes, KECCAK256_RLP, type BatchDBOp } from '@ethereumjs/util'
import { keccak256 } from '../evm/keccak.js'
import { TrieEditor } from './trieEditor.js'
import { accountAfter, type AccountDiff } from './commit.js'

/** The parts of CheckpointDB used here. */
interface NodeDB {
  get(key: Uint8Array): Promise<Uint8Array | undefined>
  batch(ops: BatchDBOp<Uint8Array, Uint8Array>[]): Promise<void>
  put(key: Uint8Array, value: Uint8Array): Promise<void>
}

/** MerkleStateManager's fields this module reads (protected in its typings). */
interface MerkleInternals {
  _trie: MerklePatriciaTrie & { _opts: { useKeyHashing?: boolean; useNodePruning?: boolean; keyPrefix?: Uint8Array; useKeyHashingFunction?: (b: Uint8Array) => Uint8Array } }
  _storageTries: Record<string, unknown>
  _caches: unknown
  _prefixStorageTrieKeys: boolean
  _prefixCodeHashes: boolean
  keccakFunction: (b: Uint8Array) => Uint8Array
  _getCodeDB(): NodeDB
}

/** Methods whose work this module does itself: an instance override of one turns it off. */
const BYPASSED = ['getAccount', 'putAccount', 'deleteAccount', 'getStorage', 'putStorage', 'clearStorage', 'putCode', 'modifyAccountFields', 'getStateRoot', 'flush', 'checkpoint', 'commit', 'revert'] as const

const PROBE = new TextEncoder().encode('blockstm-evm merkle direct probe')

/** Why a state manager is not taken directly (undefined: it is). */
export function whyNotDirect(sm: StateManagerInterface): string | undefined {
  if (!(sm instanceof MerkleStateManager) || Object.getPrototypeOf(sm) !== MerkleStateManager.prototype) return 'not a plain MerkleStateManager'
  for (const m of BYPASSED) if (Object.prototype.hasOwnProperty.call(sm, m)) return `its ${m} is overridden`
  const x = sm as unknown as MerkleInternals
  if (x._caches !== undefined) return 'it has caches'
  const t = x._trie
  if (!(t instanceof MerklePatriciaTrie) || Object.getPrototypeOf(t) !== MerklePatriciaTrie.prototype) return 'its trie is not a plain MerklePatriciaTrie'
  if (t._opts?.useKeyHashing !== true || t._opts.keyPrefix !== undefined) return 'its trie does not hash keys, or prefixes them'
  if (typeof x._prefixStorageTrieKeys !== 'boolean' || typeof x._prefixCodeHashes !== 'boolean' || typeof x._storageTries !== 'object' || typeof x._getCodeDB !== 'function') return 'unknown MerkleStateManager shape'
  const want = keccak256(PROBE)
  const trieHash = t._opts.useKeyHashingFunction
  if (typeof trieHash !== 'function' || !equalsBytes(trieHash(PROBE), want) || !equalsBytes(x.keccakFunction(PROBE), want)) return 'its hash is not keccak256'
  return undefined
}

interface StorageTrie {
  editor: TrieEditor
  /** Whether the block cleared it (the commit starts from the empty trie). */
  cleared: boolean
}

/** One block's direct access to a MerkleStateManager (see the module comment). */
export class MerkleDirect {
  private readonly x: MerkleInternals
  private readonly accountDB: NodeDB
  /** Storage-trie nodes: the database itself, not the checkpointed layer (as MerkleStateManager's storage tries). */
  private readonly storageDB: NodeDB
  private readonly accounts: TrieEditor
  private readonly storage = new Map<string, StorageTrie>()
  private readonly prune: boolean

  /** The direct path for `sm`, or undefined when it must go through the interface ({@link whyNotDirect}). */
  static for(sm: StateManagerInterface): MerkleDirect | undefined {
    return whyNotDirect(sm) === undefined ? new MerkleDirect(sm as unknown as MerkleInternals) : undefined
  }

  private constructor(x: MerkleInternals) {
    this.x = x
    const trie = x._trie
    this.prune = trie._opts.useNodePruning === true
    this.accountDB = trie.database() as unknown as NodeDB
    const plain = trie.shallowCopy(false)
    plain.flushCheckpoints()
    this.storageDB = plain.database() as unknown as NodeDB
    const db = this.accountDB
    this.accounts = new TrieEditor(trie.root(), { read: (k) => db.get(k), hash: keccak256, pruning: this.prune })
  }

  async getAccount(address: Address): Promise<Account | undefined> {
    const rlp = await this.accounts.get(keccak256(address.bytes))
    return rlp !== undefined ? createAccountFromRLP(rlp) : undefined
  }

  /** The slot's value bytes (empty when unset) in the storage trie of `address`, whose root is `storageRoot`. */
  async getStorage(address: Address, storageRoot: Uint8Array, slot: Uint8Array): Promise<Uint8Array> {
    const rlp = await this.storageTrie(address, storageRoot).editor.get(keccak256(slot))
    return rlp !== undefined ? (RLP.decode(rlp) as Uint8Array) : new Uint8Array(0)
  }

  private storageTrie(address: Address, storageRoot: Uint8Array): StorageTrie {
    const id = address.toString()
    let s = this.storage.get(id)
    if (s === undefined) {
      s = { editor: this.storageEditor(address, storageRoot), cleared: false }
      this.storage.set(id, s)
    }
    return s
  }

  private storageEditor(address: Address, root: Uint8Array): TrieEditor {
    const db = this.storageDB
    const prefix = this.x._prefixStorageTrieKeys ? keccak256(address.bytes).subarray(0, 7) : undefined
    return new TrieEditor(root, { read: (k) => db.get(k), hash: keccak256, pruning: this.prune, ...(prefix !== undefined ? { prefix } : {}) })
  }

  /**
   * Writes the block's per-account diff (commit.ts's grouping and rules) into the state
   * manager; returns what to run once the block's checkpoint is committed (pruning deletes).
   */
  async commit(diff: Map<string, AccountDiff>): Promise<() => Promise<void>> {
    const storageDeletes: BatchDBOp<Uint8Array, Uint8Array>[] = []
    const codes: Array<[Uint8Array, Uint8Array]> = []
    for (const a of diff.values()) {
      const key = keccak256(a.address.bytes)
      // MerkleStateManager caches storage tries by hashed address; a cached one has the old root.
      delete this.x._storageTries[bytesToUnprefixedHex(key)]
      if (a.exists === false) {
        await this.accounts.put(key, new Uint8Array(0))
        continue
      }
      const acc = accountAfter(await this.getAccount(a.address), a)
      if (acc === undefined) continue
      const epoch = a.epoch ?? 0
      let s: StorageTrie | undefined
      if (epoch !== 0) {
        s = { editor: this.storageEditor(a.address, KECCAK256_RLP), cleared: true }
        this.storage.set(a.address.toString(), s)
      }
      if (a.code !== undefined) {
        const codeHash = this.x.keccakFunction(a.code)
        codes.push([this.x._prefixCodeHashes ? concatBytes(CODEHASH_PREFIX, codeHash) : codeHash, a.code])
        acc.codeHash = codeHash
      }
      let wrote = false
      for (const [slot, v] of a.slots) {
        if (v.epoch !== epoch) continue
        s ??= this.storageTrie(a.address, acc.storageRoot)
        await s.editor.put(keccak256(slot), v.value === 0n ? new Uint8Array(0) : RLP.encode(bigIntToUnpaddedBytes(v.value)))
        wrote = true
      }
      if (s !== undefined && (wrote || s.cleared)) {
        const edit = s.editor.finish()
        if (edit.puts.length > 0) await this.storageDB.batch(edit.puts.map(([k, value]) => ({ type: 'put', key: k, value })))
        // (A cleared trie starts empty: nothing of the old one is replaced, as MerkleStateManager's clearStorage deletes nothing.)
        for (const k of edit.replaced) storageDeletes.push({ type: 'del', key: k })
        acc.storageRoot = edit.root
      }
      await this.accounts.put(key, acc.serialize())
    }
    const codeDB = this.x._getCodeDB()
    for (const [k, code] of codes) await codeDB.put(k, code)
    const edit = this.accounts.finish()
    const ops: BatchDBOp<Uint8Array, Uint8Array>[] = []
    for (const k of edit.replaced) ops.push({ type: 'del', key: k })
    for (const [k, value] of edit.puts) ops.push({ type: 'put', key: k, value })
    await this.accountDB.batch(ops)
    this.x._trie.root(edit.root)
    const db = this.storageDB
    return async () => {
      if (storageDeletes.length > 0) await db.batch(storageDeletes)
    }
  }
}
