/**
 * Many reads and updates of one Merkle Patricia trie stored in a database, with each changed
 * node hashed once. `MerklePatriciaTrie.put` re-hashes and writes the whole path of every key
 * it inserts (the root and the top branches once per key); a block that writes 4,000 slots of
 * one contract re-hashes its storage trie's top branch 4,000 times. The editor instead loads
 * the nodes a read or an update walks through (each once), edits them in memory, and at
 * `finish()` encodes and hashes every node that changed once, returning the new root and the
 * database operations. Nothing is written by the editor itself.
 *
 * The trie is a state trie: every key has the same length (hashed keys, 32 bytes), so no
 * branch carries a value; a stored branch with a value is refused (TrieShapeError).
 *
 * Nodes (Yellow Paper, appendix D): leaf [HP(rest, leaf), value]; extension [HP(shared),
 * child]; branch [child0..child15, value]. A child is referenced by keccak256 of its RLP when
 * that is 32 bytes or longer, else embedded; the root is always referenced by its hash. Node
 * keys in the database are `prefix ++ hash` (a storage trie's account prefix, or none).
 *
 * Invariants:
 * - `stored` on a node is the hash it is stored under, kept while the node is unchanged since
 *   it was loaded; the first edit of a node clears it and, for a pruning trie, moves that hash
 *   to `replaced` (the nodes to delete). Embedded nodes have no `stored`.
 * - An edit that changes nothing (same value, deleting an absent key) touches no node.
 * - Paths are nibble arrays that are never mutated (subarrays of keys are shared).
 */
import { RLP, type NestedUint8Array } from '@ethereumjs/rlp'
import { KECCAK256_RLP, concatBytes, equalsBytes } from '@ethereumjs/util'
import { hexPrefix, nibbles } from '../evm/orderedTrie.js'
import { TrieShapeError } from './errors.js'

export { TrieShapeError }

const LEAF = 0
const EXT = 1
const BRANCH = 2
const STUB = 3

interface Leaf {
  kind: typeof LEAF
  path: Uint8Array
  value: Uint8Array
  stored: Uint8Array | undefined
}
interface Ext {
  kind: typeof EXT
  path: Uint8Array
  child: Child
  stored: Uint8Array | undefined
}
interface Branch {
  kind: typeof BRANCH
  children: Array<Child | null>
  stored: Uint8Array | undefined
}
/** A child known by its hash only, until a walk loads it (`node`, shared by concurrent loads). */
interface Stub {
  kind: typeof STUB
  hash: Uint8Array
  node: Node | undefined
  loading: Promise<Node> | undefined
}
type Node = Leaf | Ext | Branch
type Child = Node | Stub

/** An edit that changed nothing. */
const SAME = Symbol('same')

const EMPTY = new Uint8Array(0)

/** The result of {@link TrieEditor.finish}. */
export interface TrieEdit {
  root: Uint8Array
  /** New nodes: [database key, node RLP]. */
  puts: Array<[Uint8Array, Uint8Array]>
  /** Database keys of stored nodes the edit replaced (not among `puts`); empty unless `pruning`. */
  replaced: Uint8Array[]
}

export interface TrieEditorOptions {
  /** The stored node under a database key (`prefix ++ hash`), or undefined. */
  read: (key: Uint8Array) => Promise<Uint8Array | undefined>
  /** keccak256. */
  hash: (data: Uint8Array) => Uint8Array
  /** Prefix of node keys in the database (a storage trie's), default none. */
  prefix?: Uint8Array
  /** Collect the stored nodes an edit replaces (`TrieEdit.replaced`), default false. */
  pruning?: boolean
}

export class TrieEditor {
  private root: Child | null
  private readonly read: TrieEditorOptions['read']
  private readonly hash: TrieEditorOptions['hash']
  private readonly prefix: Uint8Array
  private readonly pruning: boolean
  private replaced: Uint8Array[] = []

  constructor(root: Uint8Array, opts: TrieEditorOptions) {
    this.read = opts.read
    this.hash = opts.hash
    this.prefix = opts.prefix ?? EMPTY
    this.pruning = opts.pruning ?? false
    this.root = equalsBytes(root, KECCAK256_RLP) ? null : stub(root)
  }

  /** The value under `key` (its full bytes, e.g. a hashed key), or undefined. */
  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    const path = nibbles(key)
    let n = this.root
    let d = 0
    for (;;) {
      if (n === null) return undefined
      const node = n.kind === STUB ? await this.load(n) : n
      switch (node.kind) {
        case LEAF:
          return samePath(node.path, path, d) ? node.value : undefined
        case EXT:
          if (shared(node.path, path, d) < node.path.length) return undefined
          d += node.path.length
          n = node.child
          break
        case BRANCH:
          n = node.children[path[d]!] ?? null
          d++
          break
      }
    }
  }

  /** Sets `key` to `value`; an empty value deletes it. */
  async put(key: Uint8Array, value: Uint8Array): Promise<void> {
    const path = nibbles(key)
    const r = value.length === 0 ? await this.remove(this.root, path, 0) : await this.insert(this.root, path, 0, value)
    if (r !== SAME) this.root = r
  }

  /**
   * Encodes and hashes every changed node (each once): the new root, the nodes to store and
   * the stored ones replaced. The editor stays usable (its nodes are now stored under the
   * returned keys).
   */
  finish(): TrieEdit {
    const puts: Array<[Uint8Array, Uint8Array]> = []
    let root: Uint8Array
    const r = this.root
    if (r === null) root = KECCAK256_RLP
    else if (r.kind === STUB) root = r.hash
    else if (r.stored !== undefined) root = r.stored
    else {
      const enc = RLP.encode(this.raw(r, puts))
      root = this.hash(enc)
      puts.push([this.key(root), enc])
      r.stored = root
    }
    const replaced: Uint8Array[] = []
    if (this.replaced.length === 0) return { root, puts, replaced }
    const put = new Set<string>()
    for (const [k] of puts) put.add(hex(k))
    const seen = new Set<string>()
    for (const h of this.replaced) {
      const k = this.key(h)
      const s = hex(k)
      if (put.has(s) || seen.has(s)) continue
      seen.add(s)
      replaced.push(k)
    }
    this.replaced = []
    return { root, puts, replaced }
  }

  private key(hash: Uint8Array): Uint8Array {
    return this.prefix.length === 0 ? hash : concatBytes(this.prefix, hash)
  }

  private load(s: Stub): Node | Promise<Node> {
    if (s.node !== undefined) return s.node
    s.loading ??= this.read(this.key(s.hash)).then((bytes) => {
      if (bytes === undefined) throw new TrieShapeError(`missing trie node ${hex(s.hash)} in the database`)
      const node = decode(RLP.decode(bytes) as NestedUint8Array)
      node.stored = s.hash
      s.node = node
      return node
    })
    return s.loading
  }

  private async resolve(c: Child): Promise<Node> {
    return c.kind === STUB ? await this.load(c) : c
  }

  /** The first edit of a stored node: it is no longer stored under its hash (which a pruning trie deletes). */
  private touch(n: Node): void {
    if (n.stored !== undefined) {
      if (this.pruning) this.replaced.push(n.stored)
      n.stored = undefined
    }
  }

  private async insert(c: Child | null, path: Uint8Array, d: number, value: Uint8Array): Promise<Node | typeof SAME> {
    if (c === null) return leaf(path.subarray(d), value)
    const n = await this.resolve(c)
    switch (n.kind) {
      case LEAF: {
        if (n.path.length !== path.length - d) throw new TrieShapeError('keys of different lengths in one trie')
        const p = shared(n.path, path, d)
        if (p === n.path.length) {
          if (equalsBytes(n.value, value)) return SAME
          this.touch(n)
          n.value = value
          return n
        }
        this.touch(n)
        const b = branch()
        b.children[n.path[p]!] = n
        n.path = n.path.subarray(p + 1)
        b.children[path[d + p]!] = leaf(path.subarray(d + p + 1), value)
        return p > 0 ? ext(path.subarray(d, d + p), b) : b
      }
      case EXT: {
        const p = shared(n.path, path, d)
        if (p === n.path.length) {
          const r = await this.insert(n.child, path, d + p, value)
          if (r === SAME) return SAME
          this.touch(n)
          n.child = r
          return n
        }
        this.touch(n)
        const b = branch()
        if (p + 1 < n.path.length) {
          b.children[n.path[p]!] = n
          n.path = n.path.subarray(p + 1)
        } else {
          b.children[n.path[p]!] = n.child
        }
        b.children[path[d + p]!] = leaf(path.subarray(d + p + 1), value)
        return p > 0 ? ext(path.subarray(d, d + p), b) : b
      }
      case BRANCH: {
        const i = path[d]!
        const r = await this.insert(n.children[i] ?? null, path, d + 1, value)
        if (r === SAME) return SAME
        this.touch(n)
        n.children[i] = r
        return n
      }
    }
  }

  private async remove(c: Child | null, path: Uint8Array, d: number): Promise<Node | null | typeof SAME> {
    if (c === null) return SAME
    const n = await this.resolve(c)
    switch (n.kind) {
      case LEAF:
        if (!samePath(n.path, path, d)) return SAME
        this.touch(n)
        return null
      case EXT: {
        const p = shared(n.path, path, d)
        if (p < n.path.length) return SAME
        const r = await this.remove(n.child, path, d + p)
        if (r === SAME) return SAME
        this.touch(n)
        if (r === null) return null
        return this.join(n.path, r, n)
      }
      case BRANCH: {
        const i = path[d]!
        const r = await this.remove(n.children[i] ?? null, path, d + 1)
        if (r === SAME) return SAME
        this.touch(n)
        n.children[i] = r
        let only = -1
        for (let j = 0; j < 16; j++) {
          if (n.children[j] === null) continue
          if (only !== -1) return n // two or more children: still a branch
          only = j
        }
        if (only === -1) return null
        // One child left: the branch collapses into its child, one nibble longer.
        return this.join(Uint8Array.of(only), await this.resolve(n.children[only]!), undefined)
      }
    }
  }

  /** The node for `prefix` followed by `child` (an extension `reuse` is kept when the child is a branch). */
  private join(prefix: Uint8Array, child: Node, reuse: Ext | undefined): Node {
    switch (child.kind) {
      case LEAF:
        this.touch(child)
        child.path = concatBytes(prefix, child.path)
        return child
      case EXT:
        this.touch(child)
        child.path = concatBytes(prefix, child.path)
        return child
      case BRANCH:
        if (reuse !== undefined) {
          reuse.child = child
          return reuse
        }
        return ext(prefix, child)
    }
  }

  /** The raw (RLP-ready) form of a changed node; its changed children are stored or embedded. */
  private raw(n: Node, puts: Array<[Uint8Array, Uint8Array]>): NestedUint8Array {
    switch (n.kind) {
      case LEAF:
        return [hexPrefix(n.path, 0, n.path.length, true), n.value]
      case EXT:
        return [hexPrefix(n.path, 0, n.path.length, false), this.ref(n.child, puts)]
      case BRANCH: {
        const out: Array<Uint8Array | NestedUint8Array> = new Array(17)
        for (let i = 0; i < 16; i++) {
          const c = n.children[i]!
          out[i] = c === null ? EMPTY : this.ref(c, puts)
        }
        out[16] = EMPTY
        return out as NestedUint8Array
      }
    }
  }

  private ref(c: Child, puts: Array<[Uint8Array, Uint8Array]>): Uint8Array | NestedUint8Array {
    if (c.kind === STUB) return c.hash
    if (c.stored !== undefined) return c.stored
    const raw = this.raw(c, puts)
    const enc = RLP.encode(raw)
    if (enc.length < 32) return raw
    const h = this.hash(enc)
    puts.push([this.key(h), enc])
    c.stored = h
    return h
  }
}

function stub(hash: Uint8Array): Stub {
  return { kind: STUB, hash, node: undefined, loading: undefined }
}

function leaf(path: Uint8Array, value: Uint8Array): Leaf {
  return { kind: LEAF, path, value, stored: undefined }
}

function ext(path: Uint8Array, child: Child): Ext {
  return { kind: EXT, path, child, stored: undefined }
}

function branch(): Branch {
  return { kind: BRANCH, children: new Array<Child | null>(16).fill(null), stored: undefined }
}

/** Number of nibbles `a` shares with `path[d..]`. */
function shared(a: Uint8Array, path: Uint8Array, d: number): number {
  const n = Math.min(a.length, path.length - d)
  let i = 0
  while (i < n && a[i] === path[d + i]) i++
  return i
}

function samePath(a: Uint8Array, path: Uint8Array, d: number): boolean {
  return a.length === path.length - d && shared(a, path, d) === a.length
}

/** A stored child reference: a hash, an embedded node, or empty. */
function child(raw: Uint8Array | NestedUint8Array): Child | null {
  if (raw instanceof Uint8Array) {
    if (raw.length === 0) return null
    if (raw.length !== 32) throw new TrieShapeError(`a child reference of ${raw.length} bytes`)
    return stub(raw)
  }
  return decode(raw)
}

/** Decodes hex-prefix nibbles: [path, isLeaf]. */
function fromHexPrefix(b: Uint8Array): [Uint8Array, boolean] {
  if (b.length === 0) throw new TrieShapeError('an empty node path')
  const flag = b[0]! >> 4
  if (flag > 3) throw new TrieShapeError(`a node path flag of ${flag}`)
  const all = nibbles(b)
  return [all.subarray(flag & 1 ? 1 : 2), flag >= 2]
}

function decode(raw: NestedUint8Array): Node {
  if (raw.length === 17) {
    const v = raw[16]
    if (!(v instanceof Uint8Array) || v.length !== 0) throw new TrieShapeError('a branch with a value in a state trie')
    const b = branch()
    for (let i = 0; i < 16; i++) b.children[i] = child(raw[i]!)
    return b
  }
  if (raw.length === 2 && raw[0] instanceof Uint8Array) {
    const [path, isLeaf] = fromHexPrefix(raw[0])
    if (isLeaf) {
      if (!(raw[1] instanceof Uint8Array)) throw new TrieShapeError('a leaf whose value is a list')
      return leaf(path, raw[1])
    }
    const c = child(raw[1]!)
    if (c === null || path.length === 0) throw new TrieShapeError('an empty extension')
    return ext(path, c)
  }
  throw new TrieShapeError(`a node of ${raw.length} items`)
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}
