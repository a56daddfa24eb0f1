/**
 * The VMs that run an executor's pre- and post-block system operations on the calling thread
 * (EIP-4788 beacon root, EIP-2935 parent hash, withdrawals, block rewards, EIP-7685 requests).
 *
 * Invariants: a VM is kept across blocks with the same rules (building one costs about a
 * millisecond: a Common and a VM); it is taken for one block and given back only when that
 * block completed, so concurrent blocks never share one and a block that failed half-way
 * leaves nothing behind.
 */
import type { Common } from '@ethereumjs/common'
import { commonFromRules, type ChainRules } from './chain.js'
import { createBindingVM } from './txvm.js'

export type SystemVM = Awaited<ReturnType<typeof createBindingVM>> & { common: Common }

export class SystemVMs {
  private readonly free = new Map<string, SystemVM[]>()
  private readonly cryptoIds = new WeakMap<object, number>()
  private nextId = 0

  /** A VM for the chain `rules` (the caller's Common's), with the caller's crypto functions over the binding's. */
  async take(rules: ChainRules, crypto: 'native' | 'default', callerCrypto: Common['customCrypto']): Promise<[string, SystemVM]> {
    let id = this.cryptoIds.get(callerCrypto)
    if (id === undefined) this.cryptoIds.set(callerCrypto, (id = this.nextId++))
    const key = `${rules.key}|${crypto}|${id}`
    const vm = this.free.get(key)?.pop()
    if (vm !== undefined) return [key, vm]
    const common = await commonFromRules(rules, crypto, callerCrypto)
    return [key, { ...(await createBindingVM(common)), common }]
  }

  give(key: string, vm: SystemVM): void {
    let list = this.free.get(key)
    if (list === undefined) this.free.set(key, (list = []))
    if (list.length < 4) list.push(vm)
  }
}
