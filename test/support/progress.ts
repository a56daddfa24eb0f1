/**
 * Where the last transaction execution in this thread stands, for telling which transaction
 * a sequential run failed in (the sequential engine rethrows the VM's error as is): the
 * transaction index, and whether the exception came from inside it (`inside`) or after every
 * transaction had returned (the engine's end-of-block work). Test VMs call `startExecution`
 * and `endExecution`; only meaningful for VMs running on the calling thread.
 */
interface Progress {
  tx: number
  inside: boolean
}

const g = globalThis as { __blockstmTestLastExecution?: Progress }

export function startExecution(tx: number): Progress {
  const p = { tx, inside: true }
  g.__blockstmTestLastExecution = p
  return p
}

export function endExecution(p: Progress): void {
  p.inside = false
}

export function lastExecution(): Progress | undefined {
  return g.__blockstmTestLastExecution
}

export function resetExecution(): void {
  g.__blockstmTestLastExecution = undefined
}
