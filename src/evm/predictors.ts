/**
 * The EVM predictors of the static-batch planner (src/planner): per-transaction conflict
 * tokens for jobs whose payload is an {@link EvmBlockPayload} and whose base state is in the
 * binding's location keys (keys.ts).
 *
 * - `address`: the sender's whole account (write); a call to an account without code: its
 *   balance (write when value > 0, else a read of the account); a call to a contract: the
 *   whole contract (write: storage, balance, everything) — what an address-level scheduler
 *   can know without running the code. Contracts reached through internal calls are not seen.
 *   The fee recipient's credit is a commutative delta and conflicts with nothing.
 * - `address-optimistic`: like `address`, but a call to a contract only *reads* it (plus a
 *   balance write when value > 0): contract state changes are not predicted at all.
 * - `access-list`: `address` plus the EIP-2930 access list (each listed slot written, each
 *   listed address without slots read as a whole).
 * - `oracle`: the exact location sets of a sequential recording run (an EIP-7928 block-level
 *   access list), weighted by gas; recorded once per block (keyed by the block's RLP, so the
 *   first call of a block pays for the recording run and later calls get the sets, as they
 *   would get a block access list that comes with the block).
 * Tokens: `a:<address>` is an account as a whole, `a:<address>/b` its balance,
 * `a:<address>/s:<slot>` one storage slot (parts of the whole-account token).
 */
import { createBlockFromRLP, type Block } from '@ethereumjs/block'
import { bytesToHex } from '@ethereumjs/util'
import type { BlockJob } from '../executor/types.js'
import { oraclePredictor } from '../planner/predictors.js'
import type { Predict, TxAccess } from '../planner/types.js'
import type { EvmBlockPayload, EvmTxOutput } from './txvm.js'
import { commonFor } from './chain.js'
import { codeHashKey } from './keys.js'
import { keccak256 } from './keccak.js'
import type { EvmPredictorName } from './types.js'

export type { EvmPredictorName } from './types.js'

export const EVM_PREDICTORS: readonly EvmPredictorName[] = ['address', 'address-optimistic', 'access-list', 'oracle']

const acct = (a: string) => `a:${a}`

async function decodeBlock(p: EvmBlockPayload): Promise<Block> {
  const common = await commonFor(p.hardfork, p.eips, p.crypto ?? 'native')
  return createBlockFromRLP(p.blockRlp, { common })
}

async function hasCode(job: BlockJob, address: Uint8Array): Promise<boolean> {
  const v = await job.base.get(codeHashKey(address))
  return v !== undefined && v.length > 0
}

/** Address-level predictions (and the access list when `accessList`). */
export async function predictEvmAddress(job: BlockJob, opts: { accessList?: boolean; optimistic?: boolean } = {}): Promise<TxAccess[]> {
  const p = job.payload as EvmBlockPayload
  const block = await decodeBlock(p)
  const coinbase = block.header.coinbase.toString()
  const out: TxAccess[] = []
  for (const tx of block.transactions) {
    const reads: string[] = []
    const writes: string[] = []
    let sender: string | undefined
    try {
      sender = tx.getSenderAddress().toString()
    } catch {
      sender = undefined // invalid signature: the VM rejects it; no prediction
    }
    if (sender !== undefined) writes.push(acct(sender))
    if (tx.to !== undefined) {
      const to = tx.to.toString()
      if (to !== coinbase || sender === coinbase) {
        if (await hasCode(job, tx.to.bytes)) {
          if (opts.optimistic) {
            reads.push(acct(to))
            if (tx.value > 0n) writes.push(`${acct(to)}/b`)
          } else writes.push(acct(to))
        } else if (tx.value > 0n) writes.push(`${acct(to)}/b`)
        else reads.push(acct(to))
      } else {
        // A transfer to the fee recipient: its balance is read and written for real.
        writes.push(`${acct(to)}/b`)
      }
    }
    if (opts.accessList && 'accessList' in tx && Array.isArray(tx.accessList)) {
      for (const [address, keys] of tx.accessList as Array<[Uint8Array, Uint8Array[]]>) {
        const a = bytesToHex(address)
        if (keys.length === 0) reads.push(acct(a))
        for (const k of keys) writes.push(`${acct(a)}/s:${bytesToHex(k)}`)
      }
    }
    out.push({ reads, writes, work: Number(tx.gasLimit) })
  }
  return out
}

/** The oracle's cache key: the block (RLP) and the rules it runs under. */
function oracleKey(job: BlockJob): string {
  const p = job.payload as EvmBlockPayload
  return `${p.rules?.key ?? `mainnet|${p.hardfork}|${(p.eips ?? []).join(',')}`}|${bytesToHex(keccak256(p.blockRlp))}`
}

/** The EVM predictor `name` (txvmModule: path or URL of src/evm/txvm.ts, needed by `oracle`). */
export function evmPredictor(name: EvmPredictorName, txvmModule: string): Predict {
  switch (name) {
    case 'address':
      return (job) => predictEvmAddress(job)
    case 'address-optimistic':
      return (job) => predictEvmAddress(job, { optimistic: true })
    case 'access-list':
      return (job) => predictEvmAddress(job, { accessList: true })
    case 'oracle':
      // Keyed by the block's content: the binding builds a new payload on every call.
      return oraclePredictor(txvmModule, (o) => Number((o as EvmTxOutput).gasUsed), oracleKey)
    default:
      throw new Error(`unknown EVM predictor ${String(name)}`)
  }
}

