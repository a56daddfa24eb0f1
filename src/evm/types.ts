/**
 * Ethereum-level data types shared by the EVM binding, the workload generators and the
 * command line.
 */

/** One account of a pre- or post-state. */
export interface AccountState {
  balance: bigint
  nonce: bigint
  /** Empty for an account without code. */
  code: Uint8Array
  /** Storage slot (0x-prefixed, 64 lower-case hex digits) to non-zero value. */
  storage: Map<string, bigint>
}

/**
 * A state: lower-case 0x-prefixed address to account. In a pre-state an absent address does
 * not exist. In a post-state `null` marks an account that no longer exists.
 */
export type PreState = Map<string, AccountState>
export type PostState = Map<string, AccountState | null>
