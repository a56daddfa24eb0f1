/**
 * Writes a block's state diff (locations with their values after the block, keys.ts) into
 * the caller's state manager, as the accounts, code and storage runBlock would have left.
 *
 * Per address, in this order:
 *   - EXISTS false: the account's storage is cleared and the account deleted (nothing else of
 *     it is kept); an account neither stored nor created by the block (EXISTS absent) is
 *     skipped;
 *   - otherwise the account as the state manager holds it, with the nonce and balance of the
 *     diff, is put; a storage epoch in the diff (the block cleared its storage: destruction,
 *     re-creation) clears the stored storage; changed code is put (its hash with it);
 *   - every slot of the diff written at the account's final epoch is put (zero deletes it);
 *     slots written at an earlier epoch were cleared with it.
 * The caller holds a checkpoint of the state manager around this (runBlockParallel.ts).
 */
import { Account, Address, bigIntToUnpaddedBytes, bytesToHex } from '@ethereumjs/util'
import type { StateManagerInterface } from '@ethereumjs/common'
import type { LocationKey, LocationValue } from '../executor/types.js'
import { TAG_BALANCE, TAG_CODE, TAG_EPOCH, TAG_EXISTS, TAG_NONCE, TAG_SLOT, decodeBool, decodeNumeric, decodeSlot } from '../evm/keys.js'

/** One account's part of a state diff. */
export interface AccountDiff {
  address: Address
  exists?: boolean
  nonce?: bigint
  balance?: bigint
  code?: Uint8Array
  epoch?: number
  slots: Array<[Uint8Array, { epoch: number; value: bigint }]>
}

/** Groups a diff by address (keys are sorted by tag first, so the same address recurs). */
export function groupByAccount(diff: Iterable<[LocationKey, LocationValue]>): Map<string, AccountDiff> {
  const out = new Map<string, AccountDiff>()
  for (const [key, value] of diff) {
    const id = bytesToHex(key.subarray(1, 21))
    let a = out.get(id)
    if (a === undefined) out.set(id, (a = { address: new Address(key.slice(1, 21)), slots: [] }))
    switch (key[0]) {
      case TAG_EXISTS:
        a.exists = decodeBool(value)
        break
      case TAG_NONCE:
        a.nonce = decodeNumeric(value)
        break
      case TAG_BALANCE:
        a.balance = decodeNumeric(value)
        break
      case TAG_CODE:
        a.code = value
        break
      case TAG_EPOCH:
        a.epoch = Number(decodeNumeric(value))
        break
      case TAG_SLOT:
        a.slots.push([key.slice(21, 53), decodeSlot(value)])
        break
      default:
        break // the code hash follows the code
    }
  }
  return out
}

/**
 * The account a block leaves at `a.address` (not deleted): the stored one, or a new one when
 * the block created it, with the diff's nonce and balance. Undefined when the account was
 * neither stored nor created by the block (EXISTS unchanged: e.g. a storage epoch bumped on an
 * account that never came to exist): nothing to write.
 */
export function accountAfter(stored: Account | undefined, a: AccountDiff): Account | undefined {
  if (stored === undefined && a.exists !== true) return undefined
  const acc = stored ?? new Account()
  if (a.nonce !== undefined) acc.nonce = a.nonce
  if (a.balance !== undefined) acc.balance = a.balance
  return acc
}

/** Applies `diff` to `sm` (see the module comment). Later entries of one location win. */
export async function commitDiff(sm: StateManagerInterface, diff: Iterable<[LocationKey, LocationValue]>): Promise<number> {
  const accounts = groupByAccount(diff)
  for (const a of accounts.values()) {
    if (a.exists === false) {
      // Cleared first: MerkleStateManager keeps a deleted account's storage trie cached, and
      // would read (and build on) its old slots if the account were created again later.
      if ((await sm.getAccount(a.address)) !== undefined) await sm.clearStorage(a.address)
      await sm.deleteAccount(a.address)
      continue
    }
    const acc = accountAfter(await sm.getAccount(a.address), a)
    if (acc === undefined) continue
    await sm.putAccount(a.address, acc)
    const epoch = a.epoch ?? 0
    if (epoch !== 0) await sm.clearStorage(a.address)
    if (a.code !== undefined) await sm.putCode(a.address, a.code)
    for (const [slot, s] of a.slots) {
      if (s.epoch !== epoch) continue
      await sm.putStorage(a.address, slot, s.value === 0n ? new Uint8Array(0) : bigIntToUnpaddedBytes(s.value))
    }
  }
  return accounts.size
}
