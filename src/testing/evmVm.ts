/**
 * The EVM binding as a `blockstm check` module: the binding's transaction VM
 * (src/evm/txvm.ts) and a generator of hand-made EVM blocks (`blocks(fc)`), so that
 * `blockstm check --vm evm` and `checkDeterminism({ vmModule: EVM_VM_MODULE, blocks:
 * evmCases(fc), payloadFor: evmJob })` check the binding with the kit.
 *
 * Blocks: 1–24 signed transactions from 8 keys and the fee recipient (src/reliability/
 * evmBlocks.ts): transfers (to keys, to the fee recipient), calls to a shared counter, a
 * coinbase-balance reader, a self-balance store, a value forwarder to the fee recipient,
 * reverts, out-of-gas loops, SELFDESTRUCT, contract creation; legacy and EIP-1559; random
 * pre-state balances (some keys nearly empty, so validity depends on earlier transfers) and
 * occasional wrong nonces (invalid transactions).
 */
import type fc from 'fast-check'
import { castCommon, castPreState, blockOf, signTxs, CONTRACTS, KEY_COUNT, type ContractName, type TxSpec } from '../reliability/evmBlocks.js'
import { evmEngineJob } from '../evm/staticBatch.js'
import type { GeneratedBlock } from './types.js'

export { createTransactionVM, prefetch } from '../evm/txvm.js'

/** URL of this module (for `vmModule`). */
export const EVM_VM_MODULE = import.meta.url

const common = await castCommon()

export interface EvmCase {
  specs: Array<TxSpec & { nonceDelta?: number }>
  balances: bigint[]
  coinbaseBalance: bigint | null
}

const CONTRACT_NAMES = Object.keys(CONTRACTS) as ContractName[]

/** Hand-made EVM block descriptions (see the module comment). */
export function evmCases(fast: typeof fc, opts: { maxTxs?: number } = {}): fc.Arbitrary<EvmCase> {
  const spec = fast
    .record({
      from: fast.integer({ min: 0, max: KEY_COUNT }), // KEY_COUNT is the fee recipient
      to: fast.oneof(
        { weight: 4, arbitrary: fast.integer({ min: 0, max: KEY_COUNT }) },
        { weight: 5, arbitrary: fast.constantFrom(...CONTRACT_NAMES) },
        { weight: 1, arbitrary: fast.constant(undefined) },
      ),
      value: fast.oneof(fast.constant(0n), fast.bigInt({ min: 1n, max: 10n ** 18n })),
      type: fast.constantFrom<0 | 2>(0, 2, 2),
      gasLimit: fast.constantFrom(60_000n, 120_000n, 300_000n),
      badNonce: fast.oneof({ weight: 30, arbitrary: fast.constant(0) }, { weight: 1, arbitrary: fast.constantFrom(-1, 1) }),
    })
    .map(({ badNonce, ...s }) => ({ ...s, ...(badNonce !== 0 ? { nonceDelta: badNonce } : {}) }) as TxSpec & { nonceDelta?: number })
  return fast.record({
    specs: fast.array(spec, { minLength: 1, maxLength: opts.maxTxs ?? 24 }),
    balances: fast.array(fast.constantFrom(10n ** 20n, 10n ** 20n, 5n * 10n ** 7n, 0n), { minLength: KEY_COUNT, maxLength: KEY_COUNT }),
    coinbaseBalance: fast.constantFrom<bigint | null>(10n ** 18n, 0n, null),
  })
}

/** The block of a case: signed transactions (each sender's next nonce, off by `nonceDelta`), the engine job. */
export function evmBlockOf(c: EvmCase) {
  const next = new Map<number | Uint8Array, number>()
  const specs = c.specs.map((s) => {
    const n = next.get(s.from) ?? 0
    next.set(s.from, n + 1)
    return { ...s, nonce: Math.max(0, n + (s.nonceDelta ?? 0)) }
  })
  const block = blockOf(common, signTxs(common, specs))
  const preState = castPreState({ balances: c.balances, coinbaseBalance: c.coinbaseBalance })
  return { block, preState, common }
}

/** The engine job of a case (the transactions through the binding's VM; no pre-block system calls). */
export function evmJob(c: EvmCase): GeneratedBlock {
  const { block, preState } = evmBlockOf(c)
  return evmEngineJob(block, common, preState)
}

/** The `blockstm check` generator: engine jobs of hand-made EVM blocks. */
export function blocks(fast: typeof fc): fc.Arbitrary<GeneratedBlock> {
  return evmCases(fast).map(evmJob)
}
