/**
 * The executor loop that every thread (every lane of every thread) runs (Block-STM §3,
 * Algorithm 1): take a task from the collaborative scheduler, run it, and let the task's
 * completion hand back the follow-up task, until the scheduler declares the block done, or
 * until the block switches to serial mode (then the calling thread finishes it alone).
 *
 * - Execution task (txIdx, incarnation): run the transaction VM against a
 *   {@link BlockSTMView}. If it stopped on an ESTIMATE (or `dependOn`), suspend it on the
 *   blocker (`addDependency`), or re-execute at once if the blocker has finished meanwhile.
 *   Otherwise record its reads and writes in the multi-version memory and finish.
 * - Validation task (txIdx, incarnation): validate the last read-set; on failure, the first
 *   validation to abort the incarnation turns its writes into ESTIMATEs.
 *
 * A capacity error (the shared memory or its location table is full) is never an output: it
 * ends the lane (and, through the ABORT word, the block) whether it came out of the VM, was
 * swallowed by it (the view remembers it), or came from recording the incarnation; the
 * executor then re-runs the block sequentially.
 *
 * A VM exception that is not the dependency signal is recorded as the incarnation's output
 * (a {@link TransactionFailure}) with the reads that led to it: if a later validation finds
 * those reads stale the incarnation is re-executed like any other; if it survives to the end
 * of the block the block fails with it, exactly as a sequential run would.
 */
import type { TransactionVM } from './types.js'
import { BlockSTMView, DependencySignal } from './incarnationView.js'
import { ReadSetCapture } from '../validation/readSet.js'
import { Validator } from '../validation/validate.js'
import { Task, TASK_EXECUTE, TASK_NONE, TASK_VALIDATE } from '../scheduler/task.js'
import type { BlockScheduler } from '../scheduler/types.js'
import type { MVMemory, ReaderSink } from '../mvmemory/mvMemory.js'
import { CapacityError, EngineAbortedError, type SharedMemory } from '../mvmemory/sharedMemory.js'
import { EngineInvariantError, InjectedFault } from './errors.js'

/** A transaction VM exception captured as an incarnation's output. */
export class TransactionFailure {
  constructor(
    readonly message: string,
    readonly stack?: string,
  ) {}
}

/** The outputs a thread produced: txIdx → (incarnation, output). */
export class OutputBuffer<O> {
  readonly incarnations = new Map<number, number>()
  readonly outputs = new Map<number, O | TransactionFailure>()
  set(tx: number, incarnation: number, output: O | TransactionFailure): void {
    const prev = this.incarnations.get(tx)
    if (prev === undefined || prev < incarnation) {
      this.incarnations.set(tx, incarnation)
      this.outputs.set(tx, output)
    }
  }
}

/**
 * One task as a timeline records it (times in ms since the epoch, comparable across threads).
 * outcome: 'recorded' (execution finished), 'suspended' (stopped on `blocker`), 'valid',
 * 'aborted' (validation failed and aborted the incarnation), 'stale' (validation failed but
 * another thread had aborted that incarnation already).
 */
export interface TraceEvent {
  thread: number
  lane: number
  kind: 'execute' | 'validate'
  tx: number
  incarnation: number
  start: number
  end: number
  outcome: 'recorded' | 'suspended' | 'valid' | 'aborted' | 'stale'
  blocker?: number
  /** Serial mode: the calling thread's (thread -1) sequential run of transactions tx..lastTx. */
  lastTx?: number
}

/** This thread's time origin, read once (the getter allocates on every call). */
const ORIGIN = performance.timeOrigin
const now = (): number => ORIGIN + performance.now()

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

/**
 * Idle rounds (no task handed out) a lane polls before it sleeps until woken: polling keeps
 * the hand-off of short tasks quick, but a polling thread takes a core (or its hyperthread
 * sibling) from the threads doing the work, e.g. while one long transaction runs.
 */
const POLL_ROUNDS = 64
/** Longest sleep of an idle lane; wake-ups are not lost (SharedMemory.sleepForWork), this only bounds a stall. */
const SLEEP_MS = 20

export class ExecutorLane<O> {
  private readonly task = new Task()
  private readonly reads = new ReadSetCapture()
  private readonly view: BlockSTMView
  private readonly validator: Validator
  /** Scheduler v2: where recorded writes report the readers they invalidate. */
  private readonly invalidated: ReaderSink | undefined
  /** Scheduler v2 times executions (its progress measure). */
  private readonly timed: boolean

  constructor(
    private readonly mv: MVMemory,
    private readonly scheduler: BlockScheduler,
    private readonly vm: TransactionVM<O>,
    private readonly out: OutputBuffer<O>,
    /** When set, every task is appended to it (for timelines); off on the hot path otherwise. */
    private readonly trace?: { thread: number; lane: number; events: TraceEvent[] },
  ) {
    this.view = new BlockSTMView(mv, scheduler, this.reads)
    this.validator = new Validator(mv)
    this.invalidated = scheduler.registersReads ? scheduler.readerSink?.() : undefined
    this.timed = scheduler.kind === 'v2'
  }

  async run(): Promise<void> {
    const { scheduler, task } = this
    const mem = this.mv.mem
    let idle = 0
    while (!scheduler.done()) {
      if (mem.aborted()) throw new EngineAbortedError()
      // Serial mode: stop between tasks; the calling thread finishes the block
      // (sequentialTail.ts). A task in hand is dropped: its transaction is re-checked there.
      if (scheduler.serial()) return
      if (task.kind === TASK_EXECUTE) await this.tryExecute(task)
      if (task.kind === TASK_VALIDATE) this.needsReexecution(task)
      if (task.kind === TASK_NONE) {
        scheduler.nextTask(task)
        if (task.kind === TASK_NONE) {
          // Nothing to hand out right now: let other lanes of this thread progress, then sleep.
          if (++idle > POLL_ROUNDS) await mem.sleepForWork(() => this.foundWork(), SLEEP_MS)
          else if (idle % 16 === 0) await yieldToEventLoop()
          else await Promise.resolve()
        } else idle = 0
      }
    }
  }

  /** Looks for a task once more before sleeping; true when there is one or the loop must exit. */
  private foundWork(): boolean {
    const { scheduler, task } = this
    if (scheduler.done() || scheduler.serial() || this.mv.mem.aborted()) return true
    return scheduler.nextTask(task).kind !== TASK_NONE
  }

  private async tryExecute(task: Task): Promise<void> {
    const tx = task.tx
    const incarnation = task.incarnation
    const { view, scheduler } = this
    for (;;) {
      const start = this.trace === undefined && !this.timed ? 0 : now()
      view.reset(tx)
      if (this.invalidated !== undefined) view.registerInc = incarnation
      let output: O | TransactionFailure
      scheduler.countExecution()
      try {
        output = await this.vm.execute(tx, view)
      } catch (e) {
        // Engine signals and engine bugs are not the transaction's failure.
        if (e instanceof EngineAbortedError || e instanceof InjectedFault || e instanceof CapacityError || e instanceof EngineInvariantError) throw e
        if (e instanceof DependencySignal || view.blockedOn >= 0 || view.capacity !== undefined) output = undefined as O
        else output = new TransactionFailure(errorMessage(e), (e as Error)?.stack)
      }
      if (view.capacity !== undefined) throw view.capacity
      if (view.blockedOn >= 0) {
        if (this.trace !== undefined) this.traceTask('execute', tx, incarnation, start, 'suspended', view.blockedOn)
        if (scheduler.addDependency(tx, view.blockedOn, !view.blockedByHint, this.timed ? Math.round((now() - start) * 1000) : 0)) {
          task.clear()
          return
        }
        continue // the blocker finished meanwhile: execute again right away
      }
      const readsAt = this.reads.publish(this.mv.mem)
      const invalidated = this.invalidated
      if (invalidated !== undefined) invalidated.found.length = 0
      const wroteNew = this.mv.record(tx, incarnation, view.writeSet(), readsAt, invalidated)
      this.out.set(tx, incarnation, output)
      if (this.trace !== undefined) this.traceTask('execute', tx, incarnation, start, 'recorded')
      scheduler.finishExecution(tx, incarnation, wroteNew, task, invalidated, this.timed ? Math.round((now() - start) * 1000) : 0)
      return
    }
  }

  private needsReexecution(task: Task): void {
    const tx = task.tx
    const start = this.trace === undefined ? 0 : now()
    const valid = this.validator.validateReadSet(tx)
    const aborted = !valid && this.scheduler.tryValidationAbort(tx, task.incarnation)
    if (aborted) this.mv.convertWritesToEstimates(tx)
    if (this.trace !== undefined) this.traceTask('validate', tx, task.incarnation, start, valid ? 'valid' : aborted ? 'aborted' : 'stale')
    this.scheduler.finishValidation(tx, aborted, task)
  }

  private traceTask(kind: TraceEvent['kind'], tx: number, incarnation: number, start: number, outcome: TraceEvent['outcome'], blocker?: number): void {
    const t = this.trace!
    t.events.push({ thread: t.thread, lane: t.lane, kind, tx, incarnation, start, end: now(), outcome, blocker })
  }
}

/**
 * Awaits every lane of a thread. The first lane to fail aborts the block in every thread;
 * the others are still awaited (they stop at their next check of the ABORT word), so that no
 * lane of this block survives into the next one. Rethrows the first failure.
 */
export async function settleLanes(mem: SharedMemory, lanes: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(
    lanes.map((p) =>
      p.catch((e: unknown) => {
        mem.abort()
        throw e
      }),
    ),
  )
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown)
  if (failures.length > 0) throw failures.find((e) => !(e instanceof EngineAbortedError)) ?? failures[0]
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message)
  return String(e)
}
