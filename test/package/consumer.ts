// Type-checked under `strict` against the shipped declarations (test/package/check.sh).
import { createEvmExecutor, loadBlockFixture, InvalidBlockError, MissingBlockHashError, type EvmBlockResult, type EvmExecutor, type PreState } from 'blockstm-evm'
import { createBlockSTMExecutor, MapBaseState, type BlockExecutor, type TransactionVM } from 'blockstm-evm/engine'

export async function runOne(dir: string): Promise<boolean> {
  const f = await loadBlockFixture(dir)
  const pre: PreState = f.preState
  const ex: EvmExecutor = createEvmExecutor({ engine: 'blockstm', threads: 2 })
  try {
    const r: EvmBlockResult = await ex.executeBlock({
      block: f.block,
      preState: pre,
      getBlockHash: async (n: bigint) => f.blockHashes.get(n),
    })
    const root: Uint8Array | null = r.receiptsRoot
    return r.headerMatch.gasUsed && root !== undefined
  } catch (e) {
    if (e instanceof InvalidBlockError || e instanceof MissingBlockHashError) return false
    throw e
  } finally {
    await ex.close()
  }
}

export async function engine(vmModule: string): Promise<number> {
  const ex: BlockExecutor = await createBlockSTMExecutor({ threads: 2, vmModule })
  const vm: TransactionVM<number> | undefined = undefined
  const { outputs } = await ex.execute<number>({ txCount: 0, payload: null, base: new MapBaseState([]) })
  await ex.close()
  return outputs.length + (vm === undefined ? 0 : 1)
}
