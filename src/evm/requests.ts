/**
 * EIP-7685 execution-layer requests of a block (Prague): deposits (EIP-6110) collected from the
 * transactions' logs, withdrawal (EIP-7002) and consolidation (EIP-7251) requests from their
 * system contracts, and the header commitment `requestsHash` over them.
 *
 * Invariants:
 * - Requests come in type order (deposits 0x00, withdrawals 0x01, consolidations 0x02); a type
 *   with no data is part of the list but left out of the hash (`genRequestsRoot`, EIP-7685).
 * - A deposit is a log of the chain's deposit contract whose first topic is the DepositEvent
 *   signature; its data must be the event's fixed ABI layout (five dynamic byte strings of 48,
 *   32, 8, 96 and 8 bytes at offsets 160, 256, 320, 384, 512: 576 bytes), else the block is
 *   invalid ({@link InvalidBlockError}), as runBlock rejects it.
 */
import { genRequestsRoot } from '@ethereumjs/block'
import { type Common, Mainnet } from '@ethereumjs/common'
import { CLRequest, CLRequestType, bytesToBigInt, bytesToHex, concatBytes } from '@ethereumjs/util'
import { sha256 } from '@noble/hashes/sha2.js'
import { InvalidBlockError } from './errors.js'
import type { Log } from './receipts.js'

/** keccak256("DepositEvent(bytes,bytes,bytes,bytes,bytes)"). */
const DEPOSIT_TOPIC = '0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5'
/** Offset in the log data and length of each field: pubkey, withdrawal credentials, amount, signature, index. */
const DEPOSIT_FIELDS: ReadonlyArray<readonly [number, number]> = [
  [160, 48],
  [256, 32],
  [320, 8],
  [384, 96],
  [512, 8],
]
const DEPOSIT_LOG_SIZE = 576

function word(data: Uint8Array, at: number): bigint {
  return bytesToBigInt(data.subarray(at, at + 32))
}

/** The request bytes of one deposit log (pubkey ‖ credentials ‖ amount ‖ signature ‖ index). */
export function depositFromLog(data: Uint8Array): Uint8Array {
  const bad = (): never => {
    throw new InvalidBlockError('invalid deposit log: unsupported data layout')
  }
  if (data.length !== DEPOSIT_LOG_SIZE) bad()
  const parts: Uint8Array[] = []
  DEPOSIT_FIELDS.forEach(([offset, size], i) => {
    if (word(data, i * 32) !== BigInt(offset) || word(data, offset) !== BigInt(size)) bad()
    parts.push(data.subarray(offset + 32, offset + 32 + size))
  })
  return concatBytes(...parts)
}

/** The deposit request of a block: every deposit log of its transactions, in order. */
export function depositRequest(common: Common, logs: Iterable<Log>): CLRequest<CLRequestType> {
  const params = (common as unknown as { _chainParams?: { depositContractAddress?: string } })._chainParams
  const contract = (params?.depositContractAddress ?? Mainnet.depositContractAddress ?? '').toLowerCase()
  const out: Uint8Array[] = []
  for (const [address, topics, data] of logs) {
    if (topics.length > 0 && bytesToHex(topics[0]!) === DEPOSIT_TOPIC && bytesToHex(address) === contract) out.push(depositFromLog(data))
  }
  return new CLRequest(CLRequestType.Deposit, concatBytes(...out))
}

/** EIP-7685 commitment of a request list. */
export function requestsHash(requests: CLRequest<CLRequestType>[]): Uint8Array {
  return genRequestsRoot(requests, sha256)
}
