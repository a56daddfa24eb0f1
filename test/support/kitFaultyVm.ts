/**
 * Deliberately nondeterministic transaction VMs for the determinism kit's tests: the mock VM
 * (src/mock/mockVm.ts) with one fault, chosen by the payload `{ fault, block }`. Each fault
 * shows only under parallel execution, never in a sequential run:
 *   'lane'     every value written depends on the lane that ran the transaction (a lane's
 *              scratch state leaking into results): shows with lanes > 1;
 *   'thread'   every value written depends on the thread that ran the transaction: shows
 *              with threads > 1 (threads = 1 runs on the calling thread, as the reference);
 *   'instance' a VM instance remembers the largest accumulator it has produced and credits
 *              key 0 when a transaction beats it (state kept across incarnations): shows once
 *              transactions are re-executed or spread over several instances.
 */
import { isMainThread, threadId } from 'node:worker_threads'
import type { IncarnationView, LocationKey, LocationValue, TransactionVM } from '../../src/executor/types.js'
import { createTransactionVM as createMockVM, mockKey, type MockBlock, type MockOutput } from '../../src/mock/mockVm.js'

export type Fault = 'lane' | 'thread' | 'instance'
export interface FaultyPayload {
  fault: Fault
  block: MockBlock
}

/** A view whose written values carry `tag` in their last byte (0: unchanged). */
function tagging(view: IncarnationView, tag: number): IncarnationView {
  if (tag === 0) return view
  return {
    read: (k: LocationKey) => view.read(k),
    write: (k: LocationKey, v: LocationValue) => {
      const w = v.slice()
      if (w.length === 0) view.write(k, Uint8Array.of(tag))
      else {
        w[w.length - 1]! ^= tag
        view.write(k, w)
      }
    },
    addDelta: (k: LocationKey, a: bigint) => view.addDelta(k, a),
    dependOn: (tx: number) => view.dependOn(tx),
  }
}

export function createTransactionVM(payload: unknown, lane: number): TransactionVM<MockOutput> {
  const { fault, block } = payload as FaultyPayload
  const mock = createMockVM(block)
  let best = -1
  return {
    async execute(txIndex: number, view: IncarnationView): Promise<MockOutput> {
      if (fault === 'lane') return mock.execute(txIndex, tagging(view, lane & 0xff))
      if (fault === 'thread') return mock.execute(txIndex, tagging(view, isMainThread ? 0 : 1 + (threadId % 255)))
      const out = await mock.execute(txIndex, view)
      if (out.acc > best) {
        if (best >= 0) view.addDelta(mockKey(0), 1n)
        best = out.acc
      }
      return out
    },
  }
}
