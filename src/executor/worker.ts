/**
 * A Block-STM worker thread: maps the executor's shared memory, loads the transaction VM
 * module once, and for every block runs `lanes` executor loops over the shared scheduler
 * and multi-version memory. It answers with the outputs of the incarnations it executed.
 *
 * The VM module's optional `prefetch` (work that makes later executions cheaper: sender
 * recovery, for the EVM) runs on the workers whose index is below the message's
 * `prefetchers`, until the worker's next message arrives:
 * - after a `prepare` message (the caller announced the next block while it builds the
 *   pre-block state); the block message with the same `seq` then runs on the announced
 *   payload object, with whatever the module derived from it;
 * - after answering a block that switched to serial mode (the calling thread runs the rest).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { CapacityError, H, SharedMemory, EngineAbortedError } from '../mvmemory/sharedMemory.js'
import { MVMemory } from '../mvmemory/mvMemory.js'
import { openScheduler } from '../scheduler/create.js'
import { ExecutorLane, OutputBuffer, errorMessage, settleLanes, type TraceEvent } from './executor.js'
import { loadWorkerVMModule } from './types.js'
import { encodeOutputs, type BlockMessage, type PrepareMessage, type WorkerInit, type WorkerReply } from './protocol.js'
import { faults } from './faults.js'
import { EngineInvariantError } from './errors.js'

const init = workerData as WorkerInit
const port = parentPort!
const mem = new SharedMemory(init.buffer)
const modP = loadWorkerVMModule(init.vmModule)

/** Counts the messages received: a prefetch stops when another message arrives. */
let received = 0
/** The payload of the block announced by the last `prepare` message. */
let announced: { seq: number; payload: unknown } | undefined

async function runBlock(msg: BlockMessage): Promise<WorkerReply> {
  try {
    const mod = await modP
    mem.resetThreadState()
    const mv = new MVMemory(mem)
    const scheduler = openScheduler(mem)
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
      capacity: e instanceof CapacityError,
      invariant: e instanceof EngineInvariantError,
      name: e instanceof Error ? e.name : 'Error',
      message: errorMessage(e),
    }
  }
}

/** Runs the VM module's prefetch for `payload` until the next message (see the module comment). */
async function prefetch(payload: unknown, prefetchers: number | undefined): Promise<void> {
  const mod = await modP
  if (mod.prefetch === undefined || init.workerIndex >= (prefetchers ?? 0)) return
  const at = received
  try {
    await mod.prefetch(payload, 0, () => received !== at)
  } catch {
    // Only an optimisation: the thread executing a transaction does the same work when it must.
  }
}

port.on('message', (msg: BlockMessage | PrepareMessage) => {
  received++
  if (msg.type === 'prepare') {
    announced = { seq: msg.seq, payload: msg.payload }
    void prefetch(msg.payload, msg.prefetchers)
    return
  }
  if (msg.type !== 'block') return
  // The announced block: keep the payload object the module has prepared (identical content).
  const block = announced?.seq === msg.seq ? { ...msg, payload: announced.payload } : msg
  announced = undefined
  const at = received
  void runBlock(block).then((reply) => {
    port.postMessage(faults.corrupts(msg.faults, init.workerIndex) ? { type: 'done', seq: msg.seq, outputs: 42 } : reply)
    // Serial mode: help the calling thread with the rest of the block, unless a newer message came.
    if (reply.type === 'done' && received === at && Atomics.load(mem.i32, H.BLOCK_SEQ) === msg.seq && openScheduler(mem).serial()) {
      void prefetch(block.payload, msg.prefetchers)
    }
  })
})
port.postMessage({ type: 'ready' } satisfies WorkerReply)
