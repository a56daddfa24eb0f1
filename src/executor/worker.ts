/**
 * A Block-STM worker thread: maps the executor's shared memory, loads the transaction VM
 * module once, and for every block runs `lanes` executor loops over the shared scheduler
 * and multi-version memory. It answers with the outputs of the incarnations it executed.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { SharedMemory, EngineAbortedError } from '../mvmemory/sharedMemory.js'
import { MVMemory } from '../mvmemory/mvMemory.js'
import { Scheduler } from '../scheduler/scheduler.js'
import { ExecutorLane, OutputBuffer, errorMessage, settleLanes, type TraceEvent } from './executor.js'
import { loadVMModule } from './engine.js'
import { encodeOutputs, type BlockMessage, type WorkerInit, type WorkerReply } from './protocol.js'
import { faults } from './faults.js'

const init = workerData as WorkerInit
const port = parentPort!
const mem = new SharedMemory(init.buffer)
const modP = loadVMModule(init.vmModule)

async function runBlock(msg: BlockMessage): Promise<WorkerReply> {
  try {
    const mod = await modP
    mem.resetThreadState()
    const mv = new MVMemory(mem)
    const scheduler = new Scheduler(mem)
    const out = new OutputBuffer<unknown>()
    const lanes = []
    const events: TraceEvent[] | undefined = msg.trace ? [] : undefined
    for (let l = 0; l < msg.lanes; l++) {
      const vm = await mod.createTransactionVM(msg.payload, l)
      const trace = events && { thread: init.workerIndex, lane: l, events }
      lanes.push(new ExecutorLane(mv, scheduler, faults.wrapVM(vm, msg.faults, init.workerIndex), out, trace).run())
    }
    await settleLanes(mem, lanes)
    return { type: 'done', seq: msg.seq, outputs: encodeOutputs(out), trace: events }
  } catch (e) {
    if (!(e instanceof EngineAbortedError)) mem.abort()
    return {
      type: 'error',
      seq: msg.seq,
      aborted: e instanceof EngineAbortedError,
      name: e instanceof Error ? e.name : 'Error',
      message: errorMessage(e),
    }
  }
}

port.on('message', (msg: BlockMessage) => {
  if (msg.type !== 'block') return
  void runBlock(msg).then((reply) =>
    port.postMessage(faults.corrupts(msg.faults, init.workerIndex) ? { type: 'done', seq: msg.seq, outputs: 42 } : reply),
  )
})
port.postMessage({ type: 'ready' } satisfies WorkerReply)
