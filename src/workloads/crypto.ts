/**
 * Deterministic keys and fast signing for the workload generators.
 *
 * Private keys are keccak256 of a label built from the seed, a role and an index, so every
 * generated account is reproducible. Signing and sender recovery use the native `secp256k1`
 * binding (RFC 6979 deterministic nonces, like the pure-JS default), plugged into
 * @ethereumjs through `Common`'s `customCrypto` hooks: about 20× faster than pure JS.
 */
import secp256k1 from 'secp256k1'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { Address, bytesToHex, concatBytes, setLengthLeft, utf8ToBytes } from '@ethereumjs/util'
import type { CustomCrypto } from '@ethereumjs/common'

/** An externally owned account of a workload. */
export interface Eoa {
  privateKey: Uint8Array
  address: Address
  /** Lower-case 0x-prefixed address. */
  hex: string
}

/** The private key of account `index` of role `role` under `seed`. */
export function derivePrivateKey(seed: string, role: string, index: number): Uint8Array {
  let key = keccak_256(utf8ToBytes(`blockstm-workloads/${seed}/${role}/${index}`))
  while (!secp256k1.privateKeyVerify(key)) key = keccak_256(key)
  return key
}

/** The address of a private key. */
export function addressOfKey(privateKey: Uint8Array): Address {
  const pub = secp256k1.publicKeyCreate(privateKey, false)
  return new Address(keccak_256(pub.subarray(1)).subarray(12))
}

export function deriveEoa(seed: string, role: string, index: number): Eoa {
  const privateKey = derivePrivateKey(seed, role, index)
  const address = addressOfKey(privateKey)
  return { privateKey, address, hex: address.toString() }
}

/** A deterministic contract-like address (not a key) for `label`. */
export function labelAddress(label: string): Address {
  return new Address(keccak_256(utf8ToBytes(label)).subarray(12))
}

/** Signing in @ethereumjs's `ecsign` shape: returns recovery byte ‖ r ‖ s ("recovered" format). */
function nativeSign(msgHash: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const { signature, recid } = secp256k1.ecdsaSign(msgHash, privateKey)
  return concatBytes(new Uint8Array([recid]), signature)
}

/** Public key recovery in @ethereumjs's `ecrecover` shape: 64-byte uncompressed key without prefix. */
function nativeRecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  let recovery: bigint
  if (v === 0n || v === 1n) recovery = v
  else if (chainId === undefined) recovery = v - 27n
  else recovery = v - (chainId * 2n + 35n)
  if (recovery !== 0n && recovery !== 1n) throw new Error('Invalid signature v value')
  const sig = concatBytes(setLengthLeft(r, 32), setLengthLeft(s, 32))
  return secp256k1.ecdsaRecover(sig, Number(recovery), msgHash, false).subarray(1)
}

/** `customCrypto` for a `Common`: native signing and sender recovery. */
export function nativeCrypto(): CustomCrypto {
  return {
    ecsign: nativeSign as unknown as CustomCrypto['ecsign'],
    ecrecover: nativeRecover,
  }
}

export { bytesToHex }
