/**
 * Exact per-transaction access sets, recorded by running the block once in block order (the
 * sequential engine) through a recording view: what an EIP-7928 block-level access list
 * carries. Tokens are the location keys in hex (no parent/part structure); keys changed only
 * through `addDelta` are delta tokens. `work` is the transaction's measured execution time in
 * µs unless the caller replaces it (e.g. with gas).
 *
 * A read of a location the transaction wrote itself earlier is recorded as a read too (an
 * over-approximation: it can only add conflicts).
 */
import type { BlockJob } from '../executor/types.js'
import { loadVMModule } from '../executor/types.js'
import type { IncarnationView, LocationKey, LocationValue, MaybePromise, TransactionVM } from '../executor/types.js'
import { executeSequential } from '../executor/sequential.js'
import type { TxAccess } from './types.js'

export const keyToken = (key: LocationKey): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')

class RecordingView implements IncarnationView {
  reads = new Set<string>()
  writes = new Set<string>()
  deltas = new Set<string>()
  constructor(private readonly inner: IncarnationView) {}
  read(key: LocationKey): MaybePromise<LocationValue | undefined> {
    this.reads.add(keyToken(key))
    return this.inner.read(key)
  }
  write(key: LocationKey, value: LocationValue): void {
    const t = keyToken(key)
    this.writes.add(t)
    this.deltas.delete(t)
    this.inner.write(key, value)
  }
  addDelta(key: LocationKey, amount: bigint): void {
    const t = keyToken(key)
    if (!this.writes.has(t)) this.deltas.add(t)
    this.inner.addDelta(key, amount)
  }
  dependOn(txIndex: number): void {
    this.inner.dependOn(txIndex)
  }
}

export interface RecordedBlock<O> {
  access: TxAccess[]
  outputs: O[]
}

/**
 * Runs `job` sequentially with the VM of `vmModule`, recording every transaction's accesses.
 * A transaction whose VM throws gets an undefined output; the recording goes on.
 */
export async function recordAccessSets<O = unknown>(vmModule: string, job: BlockJob): Promise<RecordedBlock<O>> {
  const mod = await loadVMModule<O>(vmModule)
  const vm = await mod.createTransactionVM(job.payload, 0)
  const access: TxAccess[] = new Array(job.txCount)
  const recording: TransactionVM<O> = {
    async execute(i, view) {
      const rv = new RecordingView(view)
      const t0 = performance.now()
      let out: O
      try {
        out = await vm.execute(i, rv)
      } catch {
        // A VM failure fails the block in every engine; keep what the transaction accessed.
        out = undefined as O
      }
      const us = (performance.now() - t0) * 1000
      access[i] = { reads: [...rv.reads], writes: [...rv.writes], deltas: [...rv.deltas], work: us }
      return out
    },
  }
  const r = await executeSequential(recording, job.txCount, job.base)
  return { access, outputs: r.outputs }
}
