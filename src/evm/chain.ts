/**
 * The chain a block belongs to, as the binding sees it: the caller's `Common` (its chain
 * config, hardfork, EIPs, parameters and crypto) and the block hashes BLOCKHASH may read.
 *
 * Invariants:
 * - The caller's Common is used as given. What crosses to the worker threads is
 *   {@link ChainRules}: its chain config (any chain: Mainnet, Sepolia, a `createCustomCommon`
 *   chain), hardfork, EIPs and custom parameters, all structured-cloneable. Each thread
 *   rebuilds an equal Common from them ({@link commonFromRules}); functions cannot cross
 *   threads, so a worker's Common carries the binding's crypto (keccak, ecrecover, KZG:
 *   identical digests and addresses by specification), while on the calling thread the
 *   caller's own `customCrypto` functions take precedence over the binding's.
 * - BLOCKHASH is never invented: {@link blockHashFor} answers from the caller's table only.
 *   A number the table lacks is recorded as missing ({@link BlockHashSource.missing}) and
 *   the block is then rejected with a `MissingBlockHashError` naming that number,
 *   provided the execution that asked is one the block commits (a speculative incarnation
 *   that asked and was aborted does not count).
 */
import { Common, Hardfork, Mainnet, type ChainConfig, type CustomCrypto, type ParamsDict } from '@ethereumjs/common'
import { paramsTx } from '@ethereumjs/tx'
import { getKZG, nativeEcrecover } from './crypto.js'
import { initKeccak, keccak256 } from './keccak.js'
import { MissingBlockHashError } from './errors.js'
import type { BlockHashTable } from './types.js'

/** Block number → hash, as the caller supplies them (types.ts's `BlockHashTable`). */
export type BlockHashes = BlockHashTable

/** An async source of block hashes (like a blockchain): undefined when the hash is unknown. */
export type GetBlockHash = (number: bigint) => Promise<Uint8Array | undefined> | Uint8Array | undefined

/** What the worker threads need to rebuild the caller's Common (structured-cloneable). */
export interface ChainRules {
  chain: ChainConfig
  hardfork: string
  eips: number[]
  /** Parameters given to the Common beyond the chain's own (createCustomCommon's `params`). */
  params?: ParamsDict
  /** A string equal for equal rules (chain id, name, hardfork, EIPs, a digest of the config). */
  key: string
}

/**
 * A Common that merges a given parameter set only once. @ethereumjs v10 transactions copy
 * their Common and call `updateParams(paramsTx)` in every constructor, which deep-copies the
 * parameter sets through JSON and rebuilds the parameter cache: about half a millisecond per
 * transaction, more than executing a transfer. `Common.copy` is shallow, so a copy shares its
 * original's parameter cache and its set of applied parameter objects; an update replaces
 * both on the updated instance only (copy-on-write), so each instance's set always describes
 * its own cache.
 */
class ParamsOnceCommon extends Common {
  private appliedParams: ReadonlySet<object> = new Set()
  private eipSet: ReadonlySet<number> = new Set()
  private eipSetOf: readonly number[] | undefined
  override updateParams(params: Parameters<Common['updateParams']>[0]): void {
    if (this.appliedParams.has(params)) return
    super.updateParams(params)
    this.appliedParams = new Set([...this.appliedParams, params])
  }
  /**
   * The EVM asks this at every step; @ethereumjs answers with `Array.includes` over ~100
   * EIPs. Common replaces (never mutates) `_activatedEIPsCache` when the rules change, so a
   * set built from the array it currently holds answers the same.
   */
  override isActivatedEIP(eip: number): boolean {
    const current = (this as unknown as { _activatedEIPsCache: readonly number[] })._activatedEIPsCache
    if (current !== this.eipSetOf) {
      this.eipSet = new Set(current)
      this.eipSetOf = current
    }
    return this.eipSet.has(eip)
  }
}

/** The fields of a Common that @ethereumjs keeps for subclasses (read, never written here). */
interface CommonInternals {
  _chainParams: ChainConfig
  _params: ParamsDict
}

function bigintJSON(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v
}

const rulesCache = new WeakMap<Common, { hardfork: string; eips: string; rules: ChainRules }>()

/** The rules of `common` (its chain config, current hardfork, EIPs and custom parameters). */
export function chainRulesOf(common: Common): ChainRules {
  const hardfork = common.hardfork()
  const eips = common.eips()
  const eipsKey = eips.join(',')
  const cached = rulesCache.get(common)
  if (cached !== undefined && cached.hardfork === hardfork && cached.eips === eipsKey) return cached.rules
  const internals = common as unknown as CommonInternals
  const chain = internals._chainParams
  const params = internals._params !== undefined && Object.keys(internals._params).length > 0 ? internals._params : undefined
  const digest = keccakHex(JSON.stringify([chain, params ?? null], bigintJSON))
  const rules: ChainRules = {
    chain,
    hardfork,
    eips,
    ...(params !== undefined ? { params } : {}),
    key: `${common.chainId()}|${common.chainName()}|${hardfork}|${eipsKey}|${digest}`,
  }
  rulesCache.set(common, { hardfork, eips: eipsKey, rules })
  return rules
}

function keccakHex(s: string): string {
  return Buffer.from(keccak256(new TextEncoder().encode(s)).subarray(0, 8)).toString('hex')
}

/** The binding's crypto for `rules`: WebAssembly keccak, native ecrecover when asked and loadable, KZG from Cancun on. */
async function bindingCrypto(probe: Common, crypto: 'native' | 'default'): Promise<CustomCrypto> {
  await initKeccak()
  const customCrypto: CustomCrypto = { keccak256 }
  if (crypto === 'native') {
    const rec = nativeEcrecover()
    if (rec !== null) customCrypto.ecrecover = rec
  }
  if (probe.isActivatedEIP(4844)) customCrypto.kzg = (await getKZG()) as CustomCrypto['kzg']
  return customCrypto
}

/**
 * A Common equal in rules to the one `rules` describes, with the binding's crypto, over which
 * `callerCrypto` (the caller's own functions, on the calling thread only) takes precedence.
 */
export async function commonFromRules(rules: Omit<ChainRules, 'key'>, crypto: 'native' | 'default', callerCrypto?: CustomCrypto): Promise<Common> {
  const base = { chain: rules.chain, hardfork: rules.hardfork, eips: rules.eips, ...(rules.params !== undefined ? { params: rules.params } : {}) }
  const probe = new Common(base)
  const customCrypto: CustomCrypto = { ...(await bindingCrypto(probe, crypto)) }
  if (callerCrypto !== undefined) {
    for (const [k, v] of Object.entries(callerCrypto)) if (v !== undefined) (customCrypto as Record<string, unknown>)[k] = v
  }
  const common = new ParamsOnceCommon({ ...base, customCrypto })
  // Every transaction of a block then shares this cache instead of rebuilding its own.
  common.updateParams(paramsTx)
  return common
}

/** A Mainnet Common at `hardfork` with the binding's crypto (tests, workloads, ethereum/tests). */
export function commonFor(hardfork: string, eips: number[] | undefined, crypto: 'native' | 'default'): Promise<Common> {
  return commonFromRules({ chain: Mainnet, hardfork, eips: eips ?? [] }, crypto)
}

/**
 * The mainnet Common for a block number and timestamp, with the KZG setup from Cancun on
 * (blob transactions cannot be built without it) and the given ecrecover back-end.
 */
export function mainnetCommon(number: bigint, timestamp: bigint, crypto: 'native' | 'default' = 'native'): Promise<Common> {
  const probe = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart })
  return commonFor(probe.setHardforkBy({ blockNumber: number, timestamp }), undefined, crypto)
}

/**
 * The caller's Common for a payload on the calling thread, so that the calling thread's
 * executions (sequential engine, serial fallbacks) use the caller's crypto functions. Kept on
 * `globalThis` so that every copy of this module in the thread sees it (a test runner may
 * load the module twice); keyed weakly by the payload object, which is never cloned here.
 */
const LOCAL_KEY = Symbol.for('blockstm-evm.localCommons')
function localCommons(): WeakMap<object, Common> {
  const g = globalThis as unknown as Record<symbol, WeakMap<object, Common> | undefined>
  return (g[LOCAL_KEY] ??= new WeakMap())
}

export function registerLocalCommon(payload: object, common: Common): void {
  localCommons().set(payload, common)
}

export function localCommonOf(payload: object): Common | undefined {
  return localCommons().get(payload)
}

/** Where the binding's VMs read block hashes: the table of the current block, and what was missing. */
export interface BlockHashSource {
  hashes: BlockHashes | undefined
  /** The first number asked for and absent from `hashes` since the last reset. */
  missing: bigint | undefined
}

const ZERO_HASH = new Uint8Array(32)

/**
 * The blockchain that an @ethereumjs VM's BLOCKHASH reads (`getBlock(n)`, then `hash()`),
 * answered by `hashOf(n)`; a `hashOf` that throws fails `getBlock` with its error.
 */
export function blockHashChain(hashOf: (n: bigint) => Uint8Array): { getBlock(n: number | bigint): Promise<{ hash(): Uint8Array }>; shallowCopy(): unknown } {
  return {
    getBlock: async (n: number | bigint) => {
      const h = hashOf(BigInt(n))
      return { hash: () => h }
    },
    shallowCopy() {
      return this
    },
  }
}

/**
 * {@link blockHashChain} over a table of hashes read through `table()` at each call (a caller
 * may replace its table between blocks); a number the table lacks fails `getBlock` with
 * `no block <n> in the chain`.
 */
export function tableBlockHashChain(table: () => ReadonlyMap<bigint, Uint8Array>): ReturnType<typeof blockHashChain> {
  return blockHashChain((n) => {
    const h = table().get(n)
    if (h === undefined) throw new Error(`no block ${n} in the chain`)
    return h
  })
}

/**
 * The hash BLOCKHASH gives for `n` in the binding's VMs: from the table. When the table lacks
 * it, the number is recorded in `source.missing` and zeros are returned so that the (now
 * doomed, possibly speculative) execution can finish; the block-level API then rejects the
 * block with a `MissingBlockHashError` if that execution is one the block commits.
 */
export function lookupBlockHash(source: BlockHashSource, n: bigint): Uint8Array {
  const h = source.hashes?.get(n)
  if (h !== undefined) return h
  source.missing ??= n
  return ZERO_HASH
}

/** The hash of block `n` from `hashes`, or a {@link MissingBlockHashError} (for plain runBlock VMs). */
export function blockHashFor(hashes: BlockHashes | undefined, n: bigint, inBlock: bigint = n + 1n): Uint8Array {
  const h = hashes?.get(n)
  if (h === undefined) throw new MissingBlockHashError(n, inBlock)
  return h
}

/**
 * The hashes a block numbered `number` can ask for (the 256 before it), from a table and/or
 * an async source; only the window is kept. Called on the calling thread before execution,
 * since worker threads cannot call back into the caller synchronously.
 */
export async function resolveBlockHashes(number: bigint, table: BlockHashes | undefined, get: GetBlockHash | undefined): Promise<BlockHashes> {
  const out: BlockHashes = new Map()
  const from = number > 256n ? number - 256n : 0n
  if (table !== undefined) {
    if (table.size <= 256) {
      for (const [n, h] of table) if (n >= from && n < number) out.set(n, h)
    } else {
      for (let n = from; n < number; n++) {
        const h = table.get(n)
        if (h !== undefined) out.set(n, h)
      }
    }
  }
  if (get !== undefined) {
    const wanted: bigint[] = []
    for (let n = from; n < number; n++) if (!out.has(n)) wanted.push(n)
    const got = await Promise.all(wanted.map((n) => get(n)))
    for (let i = 0; i < wanted.length; i++) {
      const h = got[i]
      if (h === undefined) continue
      if (!(h instanceof Uint8Array) || h.length !== 32) throw new TypeError(`getBlockHash(${wanted[i]}) returned ${h instanceof Uint8Array ? `${h.length} bytes` : typeof h}, expected 32 bytes`)
      out.set(wanted[i]!, h)
    }
  }
  return out
}
