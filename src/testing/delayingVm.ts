/**
 * The determinism kit's wrapping transaction VM module: the engine loads it (by path, in
 * every worker thread and on the calling thread) instead of the user's module. It loads the
 * user's module named in the payload, creates the user's VM for each lane with the user's
 * payload, and hands the user's VM, for every incarnation, a view that pauses at random
 * around reads (delays.ts), so that the threads' interleavings vary from run to run under a
 * seed instead of depending on luck. With the deterministic plan (delays.ts) the pauses are
 * microtask chains seeded by the lane and the VM's rank in the block, so that on one thread
 * a seed fixes the interleaving.
 *
 * Invariants:
 * - the user's VM sees exactly the engine's view: values, writes, deltas, `dependOn` and the
 *   engine's dependency signal pass through unchanged (a read that pauses returns a Promise,
 *   which the view contract allows: `read` is `MaybePromise`);
 * - without a delay plan the engine's view is handed over as it is;
 * - the user's optional `prefetch` is forwarded with the user's payload.
 */
import { threadId } from 'node:worker_threads'
import type { IncarnationView, LocationKey, LocationValue, MaybePromise, TransactionVM, TransactionVMModule } from '../executor/types.js'
import { loadUserVM } from './module.js'
import { mixSeed, pauseFor, prng, type DelayPlan } from './delays.js'

/** The payload the kit gives the engine: the user's module, the delay plan, the user's payload. */
export interface KitPayload {
  kit: {
    /** Module path or file URL of the user's VM. */
    vmModule: string
    /** Pauses around reads, or null for none. */
    delays: DelayPlan | null
    /** This run's delay seed. */
    seed: number
    /** The thread id of the thread that runs the check (its VMs' pauses do not depend on its id). */
    callerThread?: number
  }
  payload: unknown
}

const modules = new Map<string, Promise<TransactionVMModule>>()
function inner(vmModule: string): Promise<TransactionVMModule> {
  let m = modules.get(vmModule)
  if (m === undefined) {
    m = loadUserVM(vmModule)
    modules.set(vmModule, m)
  }
  return m
}

/** Numbers the VMs created on this thread, so that two lanes of one thread pause differently. */
let created = 0
/** Deterministic plan: VMs made per block payload on this thread (the serial tail's VM is the lanes' + 1). */
const perPayload = new WeakMap<object, number>()

/** The PRNG seed of one VM: random plan, by thread and creation order; deterministic plan, by lane and the VM's rank in this block only. */
function vmSeed(p: KitPayload, lane: number): number {
  if (p.kit.delays?.mode !== 'deterministic') return mixSeed(p.kit.seed, threadId, lane, created++)
  const rank = perPayload.get(p) ?? 0
  perPayload.set(p, rank + 1)
  return mixSeed(p.kit.seed, threadId === p.kit.callerThread ? 0 : threadId, lane, rank)
}

class DelayingView implements IncarnationView {
  constructor(
    private readonly view: IncarnationView,
    private readonly rnd: () => number,
    private readonly plan: DelayPlan,
  ) {}

  read(key: LocationKey): MaybePromise<LocationValue | undefined> {
    const before = pauseFor(this.rnd, this.plan)
    const after = pauseFor(this.rnd, this.plan)
    if (before === undefined && after === undefined) return this.view.read(key)
    return this.pausedRead(key, before, after)
  }

  private async pausedRead(key: LocationKey, before: Promise<void> | undefined, after: Promise<void> | undefined): Promise<LocationValue | undefined> {
    if (before !== undefined) await before
    const v = await this.view.read(key)
    if (after !== undefined) await after
    return v
  }

  write(key: LocationKey, value: LocationValue): void {
    this.view.write(key, value)
  }

  addDelta(key: LocationKey, amount: bigint): void {
    this.view.addDelta(key, amount)
  }

  dependOn(txIndex: number): void {
    this.view.dependOn(txIndex)
  }
}

export async function createTransactionVM(payload: unknown, lane: number): Promise<TransactionVM> {
  const p = payload as KitPayload
  const vm = await (await inner(p.kit.vmModule)).createTransactionVM(p.payload, lane)
  const plan = p.kit.delays
  if (plan === null) return vm
  const rnd = prng(vmSeed(p, lane))
  return {
    execute: (txIndex: number, view: IncarnationView) => vm.execute(txIndex, new DelayingView(view, rnd, plan)),
  }
}

export async function prefetch(payload: unknown, from: number, stop: () => boolean): Promise<void> {
  const p = payload as KitPayload
  const mod = await inner(p.kit.vmModule)
  if (mod.prefetch !== undefined) await mod.prefetch(p.payload, from, stop)
}
