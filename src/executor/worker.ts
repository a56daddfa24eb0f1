/**
 * A Block-STM worker thread: maps the executor's shared memory, loads the transaction VM
 * module once, and for every block runs `lanes` executor loops over the shared scheduler
 * and multi-version memory. It answers with the outputs of the incarnations it executed.
 *
 * When the block has switched to serial mode (the calling thread runs the rest), a worker
 * whose index is below the message's `prefetchers` answers first, then runs the VM module's
 * optional `prefetch` for the block until it is done or the next block arrives: work that
 * makes the calling thread's transactions cheaper (sender recovery, for the EVM).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { H, SharedMemory, EngineAbortedError } from '../mvmemory/sharedMemory.js'
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

/** Sequence number of the latest block received (a prefetch for an older one stops). */
let latestSeq = -1

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

/** Serial mode: helps the calling thread with the rest of the block (see the module comment). */
async function prefetch(msg: BlockMessage): Promise<void> {
  const mod = await modP
  if (mod.prefetch === undefined || init.workerIndex >= (msg.prefetchers ?? 0)) return
  if (Atomics.load(mem.i32, H.BLOCK_SEQ) !== msg.seq || !new Scheduler(mem).serial()) return
  try {
    await mod.prefetch(msg.payload, 0, () => latestSeq !== msg.seq)
  } catch {
    // Only an optimisation: the calling thread does the same work itself when it must.
  }
}

port.on('message', (msg: BlockMessage) => {
  if (msg.type !== 'block') return
  latestSeq = msg.seq
  void runBlock(msg).then((reply) => {
    port.postMessage(faults.corrupts(msg.faults, init.workerIndex) ? { type: 'done', seq: msg.seq, outputs: 42 } : reply)
    if (reply.type === 'done') void prefetch(msg)
  })
})
port.postMessage({ type: 'ready' } satisfies WorkerReply)
