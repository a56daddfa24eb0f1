/**
 * Real contract bytecode from published build artifacts (no compilation):
 * OpenZeppelin Contracts 4.9.6 (`build/contracts/*.json`) and Uniswap V2
 * (`@uniswap/v2-core` and `@uniswap/v2-periphery` builds, the bytecode deployed on mainnet;
 * the pair's init-code hash matches the one hard-coded in the router).
 */
import { hexToBytes } from '@ethereumjs/util'
import { requireOptional } from '../util/optional.js'

export interface Artifact {
  /** Creation code (constructor arguments are appended to it). */
  bytecode: Uint8Array
  /** Runtime code. */
  deployedBytecode: Uint8Array
}

const cache = new Map<string, Artifact>()

function toBytes(hex: string): Uint8Array {
  return hexToBytes((hex.startsWith('0x') ? hex : `0x${hex}`) as `0x${string}`)
}

function load(id: string, pick: (json: any) => Artifact): Artifact {
  let a = cache.get(id)
  if (a === undefined) {
    const json = requireOptional<any>(id.startsWith('@') ? id.split('/').slice(0, 2).join('/') : id.split('/')[0]!, id, 'the benchmark workloads (contract artifacts)')
    a = pick(json)
    if (a.bytecode.length === 0 || a.deployedBytecode.length === 0) throw new Error(`artifact ${id} has no bytecode`)
    cache.set(id, a)
  }
  return a
}

/** An OpenZeppelin 4.9.6 contract, e.g. `ERC20PresetFixedSupply`. */
export function openZeppelin(name: string): Artifact {
  return load(`@openzeppelin/contracts/build/contracts/${name}.json`, (j) => ({
    bytecode: toBytes(j.bytecode),
    deployedBytecode: toBytes(j.deployedBytecode),
  }))
}

function uniswapPick(j: any): Artifact {
  return { bytecode: toBytes(j.evm?.bytecode?.object ?? j.bytecode), deployedBytecode: toBytes(j.evm.deployedBytecode.object) }
}

/** A Uniswap V2 core contract: `UniswapV2Factory`, `UniswapV2Pair`. */
export function uniswapCore(name: string): Artifact {
  return load(`@uniswap/v2-core/build/${name}.json`, uniswapPick)
}

/** A Uniswap V2 periphery contract: `UniswapV2Router02`, `WETH9`. */
export function uniswapPeriphery(name: string): Artifact {
  return load(`@uniswap/v2-periphery/build/${name}.json`, uniswapPick)
}
