/**
 * The shared machinery of the workload kinds: a kind contributes a setup step (contracts and
 * balances on a `SetupChain`) and a stream of transaction intents; `assembleWorkload` signs
 * the intents with per-sender nonces, builds a Cancun block header from the seed, executes
 * the block once with @ethereumjs/vm to fill gasUsed / receiptsRoot / logsBloom, and rejects
 * the workload if any transaction fails.
 */
import { Block, createBlockHeader, type HeaderData } from '@ethereumjs/block'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { createFeeMarket1559Tx, type FeeMarket1559Tx } from '@ethereumjs/tx'
import { Address, KECCAK256_RLP } from '@ethereumjs/util'
import type { PreState } from '../evm/types.js'
import { labelAddress, nativeCrypto, type Eoa } from './crypto.js'
import { executeReference, failedTxs } from './execute.js'
import { Rng } from './rng.js'
import type { SetupChain } from './state.js'

export const GWEI = 10n ** 9n
export const ETHER = 10n ** 18n

/** One transaction to sign: the nonce is assigned when signing. */
export interface TxIntent {
  sender: Eoa
  to: Address
  data?: Uint8Array
  value?: bigint
  gasLimit: bigint
}

/** A workload kind bound to one setup chain and one seed. */
export interface KindBuilder {
  /** Deploys contracts and writes balances. Called once, before `next`. */
  setup(): Promise<void>
  /** The intent of the kind's `i`-th transaction (may fund or authorise its sender on the chain). */
  next(i: number): Promise<TxIntent>
  /** One sentence for the workload description. */
  describe(): string
}

export interface BuildContext {
  chain: SetupChain
  seed: string
  accounts: number
  zipf: number
  /** Block timestamp (for swap deadlines). */
  timestamp: bigint
}

/** A mainnet Common at Cancun with native signing hooks. */
export function workloadCommon(): Common {
  return new Common({ chain: Mainnet, hardfork: Hardfork.Cancun, customCrypto: nativeCrypto() })
}

/** The header fields fixed by the seed (number, timestamp, base fee, randomness). */
export function headerBase(seed: string) {
  const rng = new Rng(`${seed}/header`)
  const offset = BigInt(rng.int(1_000_000))
  const number = 20_000_000n + offset
  return {
    number,
    // Cancun activated at 1710338135 (block 19426587); ~12 s per block afterwards.
    timestamp: 1_710_338_135n + (number - 19_426_587n) * 12n,
    baseFeePerGas: 5n * GWEI + rng.bigint(0n, 20n * GWEI),
    coinbase: labelAddress(`blockstm-workloads/${seed}/coinbase`),
    parentHash: rng.bytes(32),
    mixHash: rng.bytes(32),
    parentBeaconBlockRoot: rng.bytes(32),
    extraData: new TextEncoder().encode('blockstm-workloads'),
  }
}

/** Signs the intents, builds and executes the block; returns it with the final pre-state. */
export async function assembleWorkload(
  common: Common,
  seed: string,
  intents: TxIntent[],
  preState: PreState,
): Promise<Block> {
  const base = headerBase(seed)
  const rng = new Rng(`${seed}/fees`)
  const nonces = new Map<string, bigint>()
  const txs: FeeMarket1559Tx[] = []
  let gasSum = 0n
  for (const it of intents) {
    const nonce = nonces.get(it.sender.hex) ?? preState.get(it.sender.hex)?.nonce ?? 0n
    nonces.set(it.sender.hex, nonce + 1n)
    const tip = GWEI + rng.bigint(0n, 2n * GWEI)
    const tx = createFeeMarket1559Tx(
      {
        chainId: 1n,
        nonce,
        to: it.to,
        value: it.value ?? 0n,
        data: it.data ?? new Uint8Array(0),
        gasLimit: it.gasLimit,
        maxPriorityFeePerGas: tip,
        maxFeePerGas: base.baseFeePerGas * 2n + tip,
      },
      { common },
    ).sign(it.sender.privateKey)
    txs.push(tx)
    gasSum += it.gasLimit
  }
  const gasLimit = gasSum > 30_000_000n ? gasSum : 30_000_000n
  const header = {
    ...base,
    gasLimit,
    difficulty: 0n,
    nonce: new Uint8Array(8),
    uncleHash: undefined,
    withdrawalsRoot: KECCAK256_RLP,
    blobGasUsed: 0n,
    excessBlobGas: 0n,
  }
  // Block's constructor keeps the signed tx objects (createBlock would re-create them).
  const draft = new Block(createBlockHeader(header, { common }), txs, [], [], { common })
  let generated: HeaderData | undefined
  const { result } = await executeReference(draft, common, preState, (b) => {
    generated = b.header.toJSON() as HeaderData
  })
  const failed = failedTxs(result)
  if (failed.length > 0) {
    const errs = failed.slice(0, 3).map((i) => `${i}: ${result.results[i]?.execResult.exceptionError?.error}`)
    throw new Error(`workload generation: ${failed.length} transactions failed (${errs.join('; ')})`)
  }
  if (generated === undefined) throw new Error('runBlock produced no block')
  // runBlock(generate) filled transactionsTrie, receiptTrie, gasUsed and logsBloom.
  return new Block(createBlockHeader({ ...generated, stateRoot: new Uint8Array(32) }, { common }), txs, [], [], { common })
}
