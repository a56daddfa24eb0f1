/**
 * A minimal Solidity ABI encoder for the calls the workloads make: function selectors and
 * arguments of types address, uint256, bool, bytes32, string and address[] (enough for the
 * ERC-20, ERC-721, WETH and Uniswap V2 calls and constructors used here).
 */
import { keccak_256 } from '@noble/hashes/sha3.js'
import { Address, bigIntToBytes, concatBytes, hexToBytes, setLengthLeft, setLengthRight, utf8ToBytes } from '@ethereumjs/util'

export type AbiValue =
  | { t: 'address'; v: Address | string }
  | { t: 'uint256'; v: bigint | number }
  | { t: 'bool'; v: boolean }
  | { t: 'bytes32'; v: Uint8Array }
  | { t: 'string'; v: string }
  | { t: 'address[]'; v: Array<Address | string> }

const word = (n: bigint): Uint8Array => setLengthLeft(bigIntToBytes(n), 32)
const addrWord = (a: Address | string): Uint8Array =>
  setLengthLeft(typeof a === 'string' ? hexToBytes(a as `0x${string}`) : a.bytes, 32)

function staticWord(x: AbiValue): Uint8Array | undefined {
  switch (x.t) {
    case 'address':
      return addrWord(x.v)
    case 'uint256':
      return word(BigInt(x.v))
    case 'bool':
      return word(x.v ? 1n : 0n)
    case 'bytes32':
      return setLengthLeft(x.v, 32)
    default:
      return undefined
  }
}

function tail(x: AbiValue): Uint8Array {
  if (x.t === 'string') {
    const b = utf8ToBytes(x.v)
    const padded = setLengthRight(b, Math.ceil(b.length / 32) * 32)
    return concatBytes(word(BigInt(b.length)), padded)
  }
  if (x.t === 'address[]') return concatBytes(word(BigInt(x.v.length)), ...x.v.map(addrWord))
  throw new Error(`not a dynamic type: ${x.t}`)
}

/** ABI-encodes a tuple of arguments (head/tail layout). */
export function encodeArgs(args: AbiValue[]): Uint8Array {
  const heads: Uint8Array[] = []
  const tails: Uint8Array[] = []
  let offset = args.length * 32
  for (const a of args) {
    const w = staticWord(a)
    if (w !== undefined) heads.push(w)
    else {
      const t = tail(a)
      heads.push(word(BigInt(offset)))
      tails.push(t)
      offset += t.length
    }
  }
  return concatBytes(...heads, ...tails)
}

/** The 4-byte selector of a signature such as `transfer(address,uint256)`. */
export function selector(signature: string): Uint8Array {
  return keccak_256(utf8ToBytes(signature)).subarray(0, 4)
}

/** Calldata for `signature` with `args`. */
export function encodeCall(signature: string, args: AbiValue[] = []): Uint8Array {
  return concatBytes(selector(signature), encodeArgs(args))
}

export const addr = (v: Address | string): AbiValue => ({ t: 'address', v })
export const uint = (v: bigint | number): AbiValue => ({ t: 'uint256', v })
export const str = (v: string): AbiValue => ({ t: 'string', v })
export const addrs = (v: Array<Address | string>): AbiValue => ({ t: 'address[]', v })
export const b32 = (v: Uint8Array): AbiValue => ({ t: 'bytes32', v })
