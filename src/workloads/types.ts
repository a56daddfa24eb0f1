/**
 * Public types of the benchmark workload generators: the parameters a caller passes to
 * `generateWorkload` and the generated `Workload` (a block, its hardfork rules and the
 * pre-state its transactions need).
 */
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import type { PreState } from '../evm/types.js'

export type { PreState }

/** The kinds of generated blocks. */
export type WorkloadKind = 'raw' | 'raw-hot' | 'erc20' | 'uniswap' | 'nft' | 'mixed'

export const WORKLOAD_KINDS: readonly WorkloadKind[] = ['raw', 'raw-hot', 'erc20', 'uniswap', 'nft', 'mixed']

export interface WorkloadParams {
  kind: WorkloadKind
  /** Number of transactions in the block. */
  txs: number
  /**
   * Contention knob (at least 1). Its meaning depends on the kind:
   * raw: distinct accounts (senders and recipients); raw-hot: distinct senders;
   * erc20: distinct token holders; uniswap: liquidity pools; nft: NFT contracts;
   * mixed: passed to every component.
   */
  accounts: number
  /** Seed of every random choice and of every private key. Same params → identical workload. */
  seed: number | string
  /**
   * Optional Zipf exponent `s` (> 0) for choosing the hot item (recipient, holder, pool,
   * NFT contract). Absent or 0: uniform choice. Ignored by raw-hot (one recipient) and by
   * the choice of senders (always round robin / one per transaction).
   */
  zipf?: number
}

export interface Workload {
  /** A short unique name built from the parameters, e.g. `erc20-t2000-a100-s1`. */
  name: string
  /** The block: header consistent with `common` (number, timestamp, base fee, prevRandao…) and signed txs. */
  block: Block
  /** Mainnet chain id 1, hardfork Cancun. */
  common: Common
  /** Every account (with code and storage) the block's transactions need. */
  preState: PreState
  description: string
  params: WorkloadParams
}
