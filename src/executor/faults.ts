/**
 * Fault injection for reliability tests. A {@link FaultPlan} travels with a block only when
 * a test asks for it; without one, `wrapVM` returns the VM untouched and `apply` returns at
 * once, so nothing of this sits on the hot path.
 *
 * Faults, aimed at one worker after it has run `afterExecutions` executions, or (`atTx`) at
 * whichever worker first executes transaction `atTx` — which worker runs what is up to the
 * scheduler and the OS, so a plan that must fire in every run names a transaction, not a
 * worker (`corrupt` always names a worker: every worker answers):
 *   throw    the VM throws an exception that is not a transaction failure (a crash inside
 *            the worker's executor);
 *   exit     the worker thread exits abruptly (process.exit inside the worker);
 *   hang     the worker stops responding (a synchronous busy loop that never yields);
 *   corrupt  the worker answers with a malformed message;
 *   invariant  an engine invariant breaks in the worker (an {@link EngineInvariantError}
 *            thrown where the engine calls the VM), as an engine bug would.
 */
import type { IncarnationView, TransactionVM } from './types.js'
import { EngineInvariantError, InjectedFault } from './errors.js'

export type FaultKind = 'throw' | 'exit' | 'hang' | 'corrupt' | 'invariant'

export interface FaultPlan {
  kind: FaultKind
  /** The worker that fails (ignored with `atTx`, except by `corrupt`). */
  worker: number
  afterExecutions?: number
  /**
   * Fire in whichever worker executes transaction `atTx` first (once per block: `once` is a
   * shared word set by the worker that fires).
   */
  atTx?: number
  once?: SharedArrayBuffer
}

export { InjectedFault } from './errors.js'

export const faults = {
  wrapVM<O>(vm: TransactionVM<O>, plan: FaultPlan | undefined, worker: number): TransactionVM<O> {
    if (plan === undefined || plan.kind === 'corrupt') return vm
    if (plan.atTx === undefined && plan.worker !== worker) return vm
    let n = 0
    const after = plan.afterExecutions ?? 1
    const fires = (tx: number): boolean => {
      if (plan.atTx === undefined) return ++n > after
      if (tx !== plan.atTx) return false
      return plan.once === undefined || Atomics.compareExchange(new Int32Array(plan.once), 0, 0, 1) === 0
    }
    return {
      async execute(tx: number, view: IncarnationView): Promise<O> {
        if (fires(tx)) {
          if (plan.kind === 'throw') throw new InjectedFault('throw')
          if (plan.kind === 'invariant') throw new EngineInvariantError('injected fault: invariant')
          if (plan.kind === 'exit') process.exit(3)
          if (plan.kind === 'hang') for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000)
        }
        return vm.execute(tx, view)
      },
    }
  },
  corrupts(plan: FaultPlan | undefined, worker: number): boolean {
    return plan !== undefined && plan.kind === 'corrupt' && plan.worker === worker
  },
}
