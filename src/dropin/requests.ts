/**
 * EIP-7685 execution-layer requests of a block run by the drop-in, as runBlock's
 * `accumulateRequests` builds them (which @ethereumjs/vm does not export):
 * - deposits (EIP-6110): every log of the deposit contract with the DepositEvent topic, its
 *   five fields (pubkey, withdrawal credentials, amount, signature, index) concatenated;
 * - the system-call requests (EIP-7002 withdrawals, EIP-7251 consolidations, ...): taken from
 *   the binding's own system call (`applyRequests`, a transaction-less runBlock), whose
 *   deposit request is empty and is replaced by the one built here.
 */
import { Mainnet, type Common } from '@ethereumjs/common'
import { CLRequest, CLRequestType, bytesToBigInt, bytesToHex, concatBytes } from '@ethereumjs/util'
import type { Log } from '../evm/receipts.js'

const DEPOSIT_TOPIC = '0x649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5'

/** A field of the DepositEvent's ABI-encoded data: [offset words..., (size, bytes padded)...]. */
function abiField(data: Uint8Array, word: number): Uint8Array {
  const at = Number(bytesToBigInt(data.subarray(word * 32, word * 32 + 32)))
  const size = Number(bytesToBigInt(data.subarray(at, at + 32)))
  if (at + 32 + size > data.length) throw new Error('invalid deposit log: layout mismatch')
  return data.subarray(at + 32, at + 32 + size)
}

/** The deposit request of a block from its receipts' logs (EIP-6110). */
export function depositRequest(common: Common, logs: Iterable<Log>): CLRequest<CLRequestType> {
  const address = ((common as unknown as { _chainParams: { depositContractAddress?: string } })._chainParams.depositContractAddress ?? Mainnet.depositContractAddress)!.toLowerCase()
  let out = new Uint8Array(0)
  for (const [addr, topics, data] of logs) {
    if (topics.length === 0 || bytesToHex(topics[0]!) !== DEPOSIT_TOPIC || bytesToHex(addr).toLowerCase() !== address) continue
    out = concatBytes(out, abiField(data, 0), abiField(data, 1), abiField(data, 2), abiField(data, 3), abiField(data, 4))
  }
  return new CLRequest(CLRequestType.Deposit, out)
}
