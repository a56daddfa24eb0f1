/**
 * Worker of the `ideal` engine: executes a contiguous share of a block's transactions on its
 * own private copy of the pre-block state, with no coordination at all. Preparation (state
 * copy, VM creation) happens before the timed run.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { loadVMModule } from './types.js'
import { MapBaseState } from './baseState.js'
import { executeRange } from './sequential.js'
import type { TransactionVM } from './types.js'

const port = parentPort!
const modP = loadVMModule((workerData as { vmModule: string }).vmModule)
let prepared: { vm: TransactionVM; base: MapBaseState; from: number; to: number } | undefined

port.on('message', async (msg: { type: string; payload?: unknown; base?: Array<[Uint8Array, Uint8Array]>; from?: number; to?: number }) => {
  try {
    if (msg.type === 'prepare') {
      const mod = await modP
      prepared = { vm: await mod.createTransactionVM(msg.payload, 0), base: new MapBaseState(msg.base), from: msg.from!, to: msg.to! }
      port.postMessage({ type: 'prepared' })
    } else if (msg.type === 'run') {
      const p = prepared!
      const t0 = performance.now()
      await executeRange(p.vm, p.from, p.to, p.base)
      port.postMessage({ type: 'ran', ms: performance.now() - t0 })
    }
  } catch (e) {
    port.postMessage({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  }
})
port.postMessage({ type: 'ready' })
