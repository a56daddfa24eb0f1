/**
 * The mock transaction VM (src/mock/mockVm.ts), unchanged, plus a record of which
 * transaction is executing (test/support/progress.ts), so that a test can tell in which
 * transaction a sequential run failed even when the error is not the mock's own.
 */
import type { IncarnationView, TransactionVM } from '../../src/executor/types.js'
import { createTransactionVM as createMockVM, type MockOutput } from '../../src/mock/mockVm.js'
import { endExecution, startExecution } from './progress.js'

export function createTransactionVM(payload: unknown): TransactionVM<MockOutput> {
  const inner = createMockVM(payload)
  return {
    async execute(tx: number, view: IncarnationView): Promise<MockOutput> {
      const p = startExecution(tx)
      const out = await inner.execute(tx, view)
      endExecution(p)
      return out
    },
  }
}
