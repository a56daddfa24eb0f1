/**
 * The mock VM with a `warmUp` (executor/types.ts) that records each call: it appends a line to
 * `$BLOCKSTM_TEST_WARMUP_DIR/<threadId>`, or throws when `BLOCKSTM_TEST_WARMUP_FAIL` is set
 * (the engine must ignore a failed warm-up). Used by test/core-warmup.test.ts.
 */
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import { threadId } from 'node:worker_threads'

export { createTransactionVM } from '../../src/mock/mockVm.js'

export async function warmUp(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5))
  if (process.env.BLOCKSTM_TEST_WARMUP_FAIL !== undefined) throw new Error('warm-up failed on purpose')
  appendFileSync(join(process.env.BLOCKSTM_TEST_WARMUP_DIR!, String(threadId)), 'warmUp\n')
}
