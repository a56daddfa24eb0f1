/**
 * Reproducible benchmark workloads for blockstm-evm: `generateWorkload(params)` builds a
 * seeded Cancun block (signed EIP-1559 transactions on real contract bytecode) with the
 * pre-state it needs, optionally cached on disk in the fixture format; `writeFixture`
 * writes any workload as a `blockstm block <dir>` fixture directory.
 */
import type { Block } from '@ethereumjs/block'
import { assembleWorkload, headerBase, workloadCommon, type BuildContext, type KindBuilder, type TxIntent } from './builder.js'
import { Erc20Builder } from './kinds/erc20.js'
import { MixedBuilder } from './kinds/mixed.js'
import { NftBuilder } from './kinds/nft.js'
import { RawBuilder, RawHotBuilder } from './kinds/raw.js'
import { UniswapBuilder } from './kinds/uniswap.js'
import { SetupChain } from './state.js'
import { WORKLOAD_KINDS, type Workload, type WorkloadKind, type WorkloadParams } from './types.js'
import { cachedWorkload, type CacheOptions } from './cache.js'

export * from './types.js'
export { writeFixture, readFixture, blockToRPC, preStateToJSON, parsePreStateJSON } from './fixture.js'
export { executeReference, failedTxs } from './execute.js'
export { workloadCommon } from './builder.js'
export { nativeCrypto, deriveEoa } from './crypto.js'

/** The name of a parameter set, e.g. `erc20-t2000-a100-z1.1-s7`. */
export function workloadName(p: WorkloadParams): string {
  const z = p.zipf !== undefined && p.zipf > 0 ? `-z${p.zipf}` : ''
  return `${p.kind}-t${p.txs}-a${p.accounts}${z}-s${p.seed}`
}

export function makeBuilder(kind: WorkloadKind, ctx: BuildContext): KindBuilder {
  switch (kind) {
    case 'raw':
      return new RawBuilder(ctx)
    case 'raw-hot':
      return new RawHotBuilder(ctx)
    case 'erc20':
      return new Erc20Builder(ctx)
    case 'nft':
      return new NftBuilder(ctx)
    case 'uniswap':
      return new UniswapBuilder(ctx)
    case 'mixed':
      return new MixedBuilder(ctx, makeBuilder)
  }
}

function checkParams(p: WorkloadParams): void {
  if (!WORKLOAD_KINDS.includes(p.kind)) throw new Error(`unknown workload kind ${p.kind}`)
  if (!Number.isInteger(p.txs) || p.txs < 0) throw new Error('txs must be a non-negative integer')
  if (!Number.isInteger(p.accounts) || p.accounts < 1) throw new Error('accounts must be a positive integer')
  if (p.zipf !== undefined && !(p.zipf >= 0)) throw new Error('zipf must be >= 0')
}

/** Generates the workload without any cache. */
export async function buildWorkload(params: WorkloadParams): Promise<Workload> {
  checkParams(params)
  const seed = String(params.seed)
  const common = workloadCommon()
  const { timestamp } = headerBase(seed)
  const chain = await SetupChain.create(common, seed, timestamp)
  const ctx: BuildContext = { chain, seed, accounts: params.accounts, zipf: params.zipf ?? 0, timestamp }
  const builder = makeBuilder(params.kind, ctx)
  await builder.setup()
  const intents: TxIntent[] = []
  for (let i = 0; i < params.txs; i++) intents.push(await builder.next(i))
  const preState = chain.dump()
  const block: Block = await assembleWorkload(common, seed, intents, preState)
  return { name: workloadName(params), block, common, preState, description: builder.describe(), params: { ...params } }
}

/**
 * Generates (or loads from the disk cache) the workload of `params`. The cache lives under
 * `node_modules/.cache/blockstm-workloads/` unless `options.cacheDir` says otherwise;
 * `cacheDir: false` disables it.
 */
export async function generateWorkload(params: WorkloadParams, options: CacheOptions = {}): Promise<Workload> {
  return cachedWorkload(params, options, buildWorkload)
}
