/**
 * Block-level API of the EVM binding: `createEvmExecutor({ engine, threads })`.
 *
 * `executeBlock` does what @ethereumjs runBlock does, with the transactions run by a
 * Block-STM engine (or the sequential one, or the static-batch planner); its steps are named
 * functions in executeBlock.ts. The options, arguments and results are typed in types.ts
 * (`EvmExecutorOptions` is keyed on `engine`), the engine is chosen in engines.ts, and the
 * sender hints are analysed in hints.ts.
 *
 * Invariants: an executor builds its engine on first use and keeps it (with its worker pool)
 * until `close()`; the VMs for system operations are kept across blocks (systemVMs.ts).
 */
import type { BlockExecutor } from '../executor/types.js'
import { engineThreads, makeEngine } from './engines.js'
import { executeBlock } from './executeBlock.js'
import { SystemVMs } from './systemVMs.js'
import type { EvmExecutor, EvmExecutorOptions } from './types.js'

export * from './errors.js'
export * from './keys.js'
export * from './fixtures.js'
export { blockHashFor, chainRulesOf, commonFor, commonFromRules, mainnetCommon, resolveBlockHashes, type BlockHashes, type ChainRules, type GetBlockHash } from './chain.js'
export { assemblePostState, postStateToJSON, preStateEntries } from './state.js'
export type { EvmTxOutput, EvmBlockPayload } from './txvm.js'
export type * from './types.js'

export function createEvmExecutor(opts: EvmExecutorOptions = {}): EvmExecutor {
  let engine: Promise<BlockExecutor> | undefined
  const systemVMs = new SystemVMs()
  return {
    engine: opts.engine ?? 'sequential',
    threads: engineThreads(opts),
    async executeBlock(args) {
      engine ??= makeEngine(opts)
      return executeBlock(await engine, systemVMs, opts, args)
    },
    async start() {
      engine ??= makeEngine(opts)
      await engine
    },
    async close() {
      if (engine !== undefined) await (await engine).close()
    },
  }
}
