/**
 * The `ideal` engine: an upper bound on parallel speedup measured in the same run. The block's
 * transactions are split evenly (contiguously) across `threads` workers, each executing its
 * share on its own copy of the pre-block state with no coordination whatsoever. Its results
 * are wrong wherever transactions depend on each other across shares; only its time counts.
 */
import type { Worker } from 'node:worker_threads'
import type { BlockJob } from './types.js'
import { moduleUrl } from './types.js'
import { siblingUrl, startWorker } from './workerStart.js'

const entry = siblingUrl(import.meta.url, 'idealWorker')

interface Reply {
  type: string
  ms?: number
  message?: string
}

export class IdealExecutor {
  readonly engine = 'ideal'
  private readonly workers: Worker[] = []
  private readonly inbox: Array<(r: Reply) => void> = []

  private constructor(readonly threads: number) {}

  static async create(opts: { threads: number; vmModule: string }): Promise<IdealExecutor> {
    const ex = new IdealExecutor(opts.threads)
    await Promise.all(
      Array.from({ length: opts.threads }, (_, i) => {
        const w = startWorker(entry, { vmModule: moduleUrl(opts.vmModule) })
        ex.workers.push(w)
        return new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve())
          w.once('error', reject)
          w.on('message', (m: Reply) => ex.inbox[i]?.(m))
        })
      }),
    )
    return ex
  }

  private ask(i: number, msg: unknown): Promise<Reply> {
    return new Promise((resolve, reject) => {
      this.inbox[i] = (r) => (r.type === 'error' ? reject(new Error(`ideal worker ${i}: ${r.message}`)) : resolve(r))
      this.workers[i]!.postMessage(msg)
    })
  }

  /** Runs the block split across the workers; returns the wall time of the run in ms. */
  async execute(job: BlockJob): Promise<{ wallMs: number }> {
    const base = [...job.base.entries()]
    const n = this.workers.length
    await Promise.all(
      this.workers.map((_, i) =>
        this.ask(i, {
          type: 'prepare',
          payload: job.payload,
          base,
          from: Math.floor((job.txCount * i) / n),
          to: Math.floor((job.txCount * (i + 1)) / n),
        }),
      ),
    )
    const t0 = performance.now()
    await Promise.all(this.workers.map((_, i) => this.ask(i, { type: 'run' })))
    return { wallMs: performance.now() - t0 }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
