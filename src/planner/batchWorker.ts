/**
 * A static-batch planner worker: maps the executor's shared memory, loads the transaction VM
 * once, and for every block follows the control words: on each RUN command it claims members
 * of the current batch (an atomic counter) and executes them, then leaves the batch barrier
 * (REMAIN); on END it answers with the outputs it produced.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { CapacityError, SharedMemory, EngineAbortedError } from '../mvmemory/sharedMemory.js'
import { EngineInvariantError } from '../executor/errors.js'
import { MVMemory } from '../mvmemory/mvMemory.js'
import { OutputBuffer, errorMessage } from '../executor/executor.js'
import { loadWorkerVMModule } from '../executor/types.js'
import { encodeOutputs, type WorkerInit } from '../executor/protocol.js'
import { C, CMD_END, TxRunner } from './runner.js'
import type { PlannerBlockMessage, PlannerReply } from './protocol.js'

const init = workerData as WorkerInit
const port = parentPort!
const mem = new SharedMemory(init.buffer)
const modP = loadWorkerVMModule(init.vmModule)

async function waitChange(i32: Int32Array, at: number, value: number): Promise<void> {
  while (Atomics.load(i32, at) === value) {
    if (mem.aborted()) throw new EngineAbortedError()
    const w = Atomics.waitAsync(i32, at, value, 100)
    if (w.async) await w.value
  }
}

async function runBlock(msg: PlannerBlockMessage): Promise<PlannerReply> {
  const i32 = mem.i32
  const ctrl = msg.ctrlAt
  let inBatch = false
  try {
    const mod = await modP
    mem.resetThreadState()
    const mv = new MVMemory(mem)
    const out = new OutputBuffer<unknown>()
    const vm = await mod.createTransactionVM(msg.payload, 0)
    const runner = new TxRunner(mv, msg.batchOf, msg.statusAt, vm, out)
    let gen = 0
    for (;;) {
      await waitChange(i32, ctrl + C.GEN, gen)
      gen = Atomics.load(i32, ctrl + C.GEN)
      if (Atomics.load(i32, ctrl + C.CMD) === CMD_END) break
      inBatch = true
      const b = Atomics.load(i32, ctrl + C.BATCH)
      const from = msg.starts[b]!
      const size = msg.starts[b + 1]! - from
      runner.phase.batch = b
      for (;;) {
        const k = Atomics.add(i32, ctrl + C.CLAIM, 1)
        if (k >= size) break
        if (mem.aborted()) throw new EngineAbortedError()
        await runner.execute(msg.order[from + k]!, 0)
        Atomics.add(i32, ctrl + C.EXECUTIONS, 1)
      }
      inBatch = false
      Atomics.sub(i32, ctrl + C.REMAIN, 1)
      Atomics.notify(i32, ctrl + C.REMAIN)
    }
    return { type: 'done', seq: msg.seq, outputs: encodeOutputs(out) }
  } catch (e) {
    if (!(e instanceof EngineAbortedError)) mem.abort()
    if (inBatch) {
      Atomics.sub(i32, ctrl + C.REMAIN, 1)
      Atomics.notify(i32, ctrl + C.REMAIN)
    }
    return {
      type: 'error',
      seq: msg.seq,
      aborted: e instanceof EngineAbortedError,
      invariant: e instanceof EngineInvariantError,
      capacity: e instanceof CapacityError,
      name: e instanceof Error ? e.name : 'Error',
      message: errorMessage(e),
    }
  }
}

port.on('message', (msg: PlannerBlockMessage) => {
  if (msg?.type !== 'block') return
  void runBlock(msg).then((reply) => port.postMessage(reply))
})
port.postMessage({ type: 'ready' } satisfies PlannerReply)
