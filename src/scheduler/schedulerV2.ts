/**
 * Scheduler v2: Block-STM with the contention ideas of Aptos' BlockSTMv2 (aptos-core
 * `scheduler_v2.rs`), in this engine's shared memory. Selected with `scheduler: 'v2'`.
 *
 * What changes against v1 (src/scheduler/scheduler.ts), which validates every transaction's
 * read-set after each execution and, after an abort, revalidates everything above it:
 *
 * 1. Aborts are pushed, not discovered. Every read registers at its location (MVMemory,
 *    "registered reads"); when an incarnation records its writes, the readers whose values
 *    those writes change are collected under the location's lock and aborted at once
 *    ({@link SchedulerV2.startAbort}): exactly the dependents that read the changed writes,
 *    not every higher transaction. An EXECUTED reader becomes ABORTING, its writes ESTIMATEs,
 *    then READY with the next incarnation; an EXECUTING one is marked (ABORT_REQ) and is
 *    treated as aborted when it finishes.
 * 2. Stalls. Each transaction keeps the list of transactions its writes aborted (its
 *    "aborted dependents"). While a transaction is itself aborted or stalled it holds one
 *    stall on each of them (PROPAGATES), and a transaction that becomes stalled passes the
 *    stall on to its own aborted dependents: a chain of dependents stops re-executing while
 *    its root is unresolved. A stalled READY transaction is not handed out. The stalls are
 *    released when the root finishes executing (and is not stalled itself), down the chain;
 *    released READY transactions are handed out again.
 * 3. Commits in order behind a commit index (COMMIT_IDX). One thread at a time (COMMIT_LOCK,
 *    with COMMIT_ARMED so that no finished transaction is left waiting) commits the lowest
 *    uncommitted transaction when it is EXECUTED and its read-set validates against the
 *    (final) writes below it; otherwise aborts and re-schedules it. This validation is the
 *    safety net that makes the result equal sequential execution whatever the push missed
 *    (e.g. a conservative case in the registry); no validation tasks exist otherwise.
 *    The block is done when the commit index reaches the end.
 * 4. Progress, not a budget, triggers the serial fallback: every execution's duration is
 *    counted as useful (USEFUL_US) until it is aborted (then as waste, WASTE_US; as is an
 *    execution stopped on a read). On each wasteful event, once at least `SERIAL_FLOOR`
 *    executions ran, the block switches to serial mode (the calling thread finishes it after
 *    the committed prefix, src/executor/sequentialTail.ts) if the useful work done so far is
 *    less than PROGRESS_MARGIN × the wall time since the block started: the threads together
 *    are then hardly faster than one thread running the block alone, i.e. the block is not
 *    progressing.
 *
 * Invariants:
 * - only the thread that moved a transaction READY→EXECUTING executes it, for that
 *   incarnation; a transaction below the commit index is EXECUTED and never changes again
 *   (its read-set validated against the final writes below it; startAbort refuses it);
 * - a transaction is EXECUTED (hence committable) just before it pushes the aborts its
 *   writes cause, so the committer may find the next one stale and abort it concurrently
 *   with that push: both abort only from EXECUTED with the incarnation they saw, under the
 *   transaction's lock, so exactly one of them wins (found by the long property run);
 * - transaction c is committed only when every transaction below c is committed and c's
 *   last read-set validates: the committed prefix equals sequential execution;
 * - the lowest uncommitted transaction is never held back by a stall (stalls are a
 *   heuristic; a stall count that were left behind could only cost parallelism);
 * - locks: a transaction's lock guards its status, incarnation, ABORT_REQ, its dependents
 *   list (DEP_HEAD), its aborted-dependents list (ABORTED_HEAD) and PROPAGATES; stall counts
 *   are atomic words changed under the lock of the transaction that holds the stall; no
 *   two transaction locks are held at once except blocker-before-dependent in
 *   addDependency (lower index first), so there is no lock cycle.
 */
import type { SharedMemory } from '../mvmemory/sharedMemory.js'
import { MVMemory, type ReaderSink } from '../mvmemory/mvMemory.js'
import { H, T, TX_WORDS } from './words.js'
import { Validator } from '../validation/validate.js'
import { ABORTING, EXECUTED, EXECUTING, READY_TO_EXECUTE, SchedulerInvariantError, TASK_EXECUTE, type Task } from './task.js'
import type { BlockScheduler, SchedulerKind, SchedulerStats } from './types.js'

/** Aborted-dependents list node: [tx, next]. */
const AD_TX = 0
const AD_NEXT = 1

/**
 * How much useful execution time must exceed the wall time for a block to count as
 * progressing (module comment, item 4). At exactly 1, a chain of conflicts (each transaction
 * reads what the one before wrote: one useful execution at a time while the other threads'
 * work is aborted) sits on the threshold, and timing noise decides when, or whether, the
 * fallback fires (measured: nft a1 at 2 threads, once after 87 aborts, 0.945× sequential).
 * With the margin such a block falls back early, while a block whose threads together do at
 * least a quarter more than one thread would stays parallel.
 */
const PROGRESS_MARGIN = 1.25

/** This thread's time origin, read once (the getter allocates on every call). */
const ORIGIN = performance.timeOrigin
const nowMs = (): number => ORIGIN + performance.now()

export class SchedulerV2 implements BlockScheduler, ReaderSink {
  readonly kind: SchedulerKind = 'v2'
  readonly registersReads = true
  readonly txCount: number
  private readonly i32: Int32Array
  private readonly txBase: number
  private readonly startAt: Float64Array
  private readonly mv: MVMemory
  private validator?: Validator
  /** Scratch stacks for stall propagation (per thread). */
  private readonly stack: number[] = []
  private readonly released: number[] = []
  /** ReaderSink: the readers a lane's last recorded writes invalidated (pairs tx, incarnation). */
  readonly found: number[] = []

  constructor(private readonly mem: SharedMemory) {
    this.i32 = mem.i32
    this.txCount = this.i32[H.TX_COUNT]!
    this.txBase = this.i32[H.TX_BASE]!
    this.startAt = new Float64Array(mem.buffer, H.START_AT * 4, 1)
    this.mv = new MVMemory(mem)
  }

  /** v2's own words (the header is cleared by the layout; tx records by Scheduler.layout). */
  static layout(mem: SharedMemory, txCount: number): void {
    const i32 = mem.i32
    i32[H.COMMIT_IDX] = 0
    i32[H.COMMIT_LOCK] = 0
    i32[H.COMMIT_ARMED] = 0
    i32[H.USEFUL_US] = 0
    i32[H.WASTE_US] = 0
    i32[H.STAT_COMMITS] = 0
    i32[H.STALLS] = 0
    new Float64Array(mem.buffer, H.START_AT * 4, 1)[0] = 0
    i32[H.DONE] = txCount === 0 ? 1 : 0
  }

  private rec(tx: number): number {
    return this.txBase + tx * TX_WORDS
  }

  done(): boolean {
    return Atomics.load(this.i32, H.DONE) === 1
  }

  serial(): boolean {
    return Atomics.load(this.i32, H.SERIAL) === 1
  }

  serialAt(): number {
    return Atomics.load(this.i32, H.SERIAL_AT)
  }

  /** Transactions below this index are committed. */
  commitIndex(): number {
    return Atomics.load(this.i32, H.COMMIT_IDX)
  }

  status(tx: number): number {
    const r = this.rec(tx)
    this.mem.lock(r + T.LOCK)
    const s = this.i32[r + T.STATUS]!
    this.mem.unlock(r + T.LOCK)
    return s
  }

  incarnation(tx: number): number {
    return Atomics.load(this.i32, this.rec(tx) + T.INCARNATION)
  }

  isExecuted(tx: number): boolean {
    return this.status(tx) === EXECUTED
  }

  /** ReaderSink: a registered read matters while its incarnation is current and uncommitted. */
  isLive(tx: number, incarnation: number): boolean {
    return tx >= Atomics.load(this.i32, H.COMMIT_IDX) && Atomics.load(this.i32, this.rec(tx) + T.INCARNATION) === incarnation
  }

  /** The sink `MVMemory.record` reports invalidated readers to (this scheduler; one per lane). */
  readerSink(): ReaderSink {
    return this
  }

  /** Stalls currently held on `tx` (tests and diagnostics). */
  stallCount(tx: number): number {
    return Atomics.load(this.i32, this.rec(tx) + T.STALL)
  }

  countExecution(): void {
    Atomics.add(this.i32, H.STAT_EXECUTIONS, 1)
  }

  stats(): SchedulerStats & { commits: number; stalls: number } {
    const i32 = this.i32
    return {
      executions: Atomics.load(i32, H.STAT_EXECUTIONS),
      validations: Atomics.load(i32, H.STAT_VALIDATIONS),
      aborts: Atomics.load(i32, H.STAT_ABORTS),
      dependencyWaits: Atomics.load(i32, H.STAT_DEP_WAITS),
      commits: Atomics.load(i32, H.STAT_COMMITS),
      stalls: Atomics.load(i32, H.STALLS),
    }
  }

  // ---- handing out executions -------------------------------------------------------------

  private lowerExecutionIdx(target: number): void {
    const i32 = this.i32
    for (;;) {
      const cur = Atomics.load(i32, H.EXECUTION_IDX)
      if (cur <= target || Atomics.compareExchange(i32, H.EXECUTION_IDX, cur, target) === cur) break
    }
  }

  /** READY and not stalled (or the lowest uncommitted) → EXECUTING; fills `task`. */
  private tryIncarnate(tx: number, task: Task): boolean {
    if (tx >= this.txCount) return false
    const r = this.rec(tx)
    const i32 = this.i32
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] === READY_TO_EXECUTE && (Atomics.load(i32, r + T.STALL) <= 0 || tx <= Atomics.load(i32, H.COMMIT_IDX))) {
      i32[r + T.STATUS] = EXECUTING
      task.set(TASK_EXECUTE, tx, i32[r + T.INCARNATION]!)
      this.mem.unlock(r + T.LOCK)
      return true
    }
    this.mem.unlock(r + T.LOCK)
    return false
  }

  /** Fills `task` with the lowest READY, unstalled transaction at or above the execution index, or clears it. */
  nextTask(task: Task): Task {
    const i32 = this.i32
    if (this.done()) return task.clear()
    // The block's clock starts with the first task asked for (threads start within microseconds).
    if (this.startAt[0] === 0) this.startAt[0] = nowMs()
    if (Atomics.load(i32, H.COMMIT_LOCK) === 0) this.tryCommit()
    for (let tries = 0; tries < 64; tries++) {
      if (Atomics.load(i32, H.EXECUTION_IDX) >= this.txCount) break
      const tx = Atomics.add(i32, H.EXECUTION_IDX, 1)
      if (this.tryIncarnate(tx, task)) return task
    }
    return task.clear()
  }

  /** READY with the next incarnation (from ABORTING); handed out unless stalled. */
  private makeReady(tx: number): void {
    const r = this.rec(tx)
    const i32 = this.i32
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] !== ABORTING) {
      this.mem.unlock(r + T.LOCK)
      throw new SchedulerInvariantError(`transaction ${tx} made ready from status ${i32[r + T.STATUS]}`)
    }
    i32[r + T.INCARNATION] = i32[r + T.INCARNATION]! + 1
    i32[r + T.STATUS] = READY_TO_EXECUTE
    const stalled = Atomics.load(i32, r + T.STALL) > 0
    this.mem.unlock(r + T.LOCK)
    if (!stalled || tx <= Atomics.load(i32, H.COMMIT_IDX)) this.lowerExecutionIdx(tx)
  }

  // ---- dependencies (an ESTIMATE read, or dependOn) ------------------------------------------

  /** As v1: suspends `tx` until `blocker` finishes executing; false when it has already. */
  addDependency(tx: number, blocker: number, costly = true, durationUs = 0): boolean {
    if (blocker >= tx || blocker < 0) {
      throw new SchedulerInvariantError(`transaction ${tx} cannot depend on transaction ${blocker}`)
    }
    const i32 = this.i32
    const b = this.rec(blocker)
    const r = this.rec(tx)
    this.mem.lock(b + T.LOCK)
    if (i32[b + T.STATUS] === EXECUTED) {
      this.mem.unlock(b + T.LOCK)
      return false
    }
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] !== EXECUTING) {
      this.mem.unlock(r + T.LOCK)
      this.mem.unlock(b + T.LOCK)
      throw new SchedulerInvariantError(`transaction ${tx} suspended while not executing`)
    }
    i32[r + T.STATUS] = ABORTING
    i32[r + T.ABORT_REQ] = 0
    this.mem.unlock(r + T.LOCK)
    i32[r + T.DEP_NEXT] = i32[b + T.DEP_HEAD]!
    i32[b + T.DEP_HEAD] = tx + 1
    this.mem.unlock(b + T.LOCK)
    Atomics.add(i32, H.STAT_DEP_WAITS, 1)
    if (costly) this.waste(durationUs)
    return true
  }

  // ---- finishing an execution ------------------------------------------------------------------

  /**
   * Marks (tx, incarnation) EXECUTED (or, when it was aborted while executing, READY with the
   * next incarnation, its writes ESTIMATEs), aborts the readers its writes invalidated
   * (`touched.found`: pairs reader tx, reader incarnation, from MVMemory.record), resumes the
   * transactions waiting on it, releases or passes on stalls, and commits what it can.
   */
  finishExecution(tx: number, incarnation: number, _wroteNewLocation: boolean, task: Task, touched?: ReaderSink, durationUs = 0): Task {
    const i32 = this.i32
    const r = this.rec(tx)
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] !== EXECUTING || i32[r + T.INCARNATION] !== incarnation) {
      this.mem.unlock(r + T.LOCK)
      throw new SchedulerInvariantError(`transaction ${tx} incarnation ${incarnation} finished while not executing`)
    }
    const abortedInFlight = i32[r + T.ABORT_REQ] === incarnation + 1
    i32[r + T.ABORT_REQ] = 0
    let dep = 0
    let unstalled = false
    if (abortedInFlight) {
      i32[r + T.STATUS] = ABORTING
    } else {
      i32[r + T.STATUS] = EXECUTED
      i32[r + T.DURATION_US] = durationUs
      dep = i32[r + T.DEP_HEAD]!
      i32[r + T.DEP_HEAD] = 0
      unstalled = Atomics.load(i32, r + T.STALL) <= 0
    }
    this.mem.unlock(r + T.LOCK)

    if (touched !== undefined) {
      const found = touched.found
      for (let k = 0; k < found.length; k += 2) this.startAbort(found[k]!, found[k + 1]!, tx)
      found.length = 0
    }

    if (abortedInFlight) {
      this.waste(durationUs)
      this.mv.convertWritesToEstimates(tx)
      this.addStall(tx)
      this.makeReady(tx)
    } else {
      Atomics.add(i32, H.USEFUL_US, durationUs)
      // Resume the transactions waiting on it (read each link before the dependent is READY).
      while (dep !== 0) {
        const d = dep - 1
        dep = i32[this.rec(d) + T.DEP_NEXT]!
        this.makeReady(d)
      }
      if (unstalled) this.removeStall(tx)
    }
    this.tryCommit()
    this.mem.wakeIdle()
    return task.clear()
  }

  /**
   * Aborts incarnation `incarnation` of `tx`, whose read `by`'s new writes changed: EXECUTED →
   * ABORTING → READY (next incarnation), its writes ESTIMATEs; EXECUTING → marked, treated as
   * aborted when it finishes. Records `tx` among `by`'s aborted dependents (for stalls).
   * Returns whether this call aborted it.
   */
  startAbort(tx: number, incarnation: number, by: number): boolean {
    if (tx <= by) throw new SchedulerInvariantError(`transaction ${by} cannot abort lower transaction ${tx}`)
    const i32 = this.i32
    const r = this.rec(tx)
    this.mem.lock(r + T.LOCK)
    // A committed transaction is final (its read-set validated against final writes).
    if (i32[r + T.INCARNATION] !== incarnation || tx < Atomics.load(i32, H.COMMIT_IDX)) {
      this.mem.unlock(r + T.LOCK)
      return false
    }
    const status = i32[r + T.STATUS]!
    let aborted = false
    if (status === EXECUTED) {
      i32[r + T.STATUS] = ABORTING
      aborted = true
    } else if (status === EXECUTING && i32[r + T.ABORT_REQ] !== incarnation + 1) {
      i32[r + T.ABORT_REQ] = incarnation + 1
      Atomics.add(i32, H.STAT_ABORTS, 1)
    }
    this.mem.unlock(r + T.LOCK)
    this.recordAbortedDependent(by, tx)
    if (!aborted) return status === EXECUTING
    Atomics.add(i32, H.STAT_ABORTS, 1)
    const d = i32[r + T.DURATION_US]!
    Atomics.sub(i32, H.USEFUL_US, d)
    this.waste(d)
    this.mv.convertWritesToEstimates(tx)
    this.addStall(tx)
    this.makeReady(tx)
    return true
  }

  // ---- stalls --------------------------------------------------------------------------------

  /** Adds `dep` to the aborted dependents of `owner`; it holds a stall from `owner` at once when `owner` propagates. */
  private recordAbortedDependent(owner: number, dep: number): void {
    const i32 = this.i32
    const o = this.rec(owner)
    const node = this.mem.alloc(2)
    i32[node + AD_TX] = dep
    this.mem.lock(o + T.LOCK)
    i32[node + AD_NEXT] = i32[o + T.ABORTED_HEAD]!
    i32[o + T.ABORTED_HEAD] = node
    const holds = i32[o + T.PROPAGATES] === 1
    const propagate = holds && Atomics.add(i32, this.rec(dep) + T.STALL, 1) === 0
    this.mem.unlock(o + T.LOCK)
    if (holds) Atomics.add(i32, H.STALLS, 1)
    if (propagate) this.addStall(dep)
  }

  /** `root` is aborted or stalled: it (and, transitively, each newly stalled dependent) stalls its aborted dependents. */
  private addStall(root: number): void {
    const i32 = this.i32
    const stack = this.stack
    stack.length = 0
    stack.push(root)
    while (stack.length > 0) {
      const x = stack.pop()!
      const r = this.rec(x)
      this.mem.lock(r + T.LOCK)
      if (i32[r + T.PROPAGATES] === 1) {
        this.mem.unlock(r + T.LOCK)
        continue
      }
      i32[r + T.PROPAGATES] = 1
      for (let n = i32[r + T.ABORTED_HEAD]!; n !== 0; n = i32[n + AD_NEXT]!) {
        const d = i32[n + AD_TX]!
        Atomics.add(i32, H.STALLS, 1)
        if (Atomics.add(i32, this.rec(d) + T.STALL, 1) === 0) stack.push(d)
      }
      this.mem.unlock(r + T.LOCK)
    }
  }

  /**
   * `root` finished executing and holds no stall (or was committed): it releases the stalls
   * it holds; a dependent left with none is handed out again (READY) or, when EXECUTED,
   * releases its own.
   */
  private removeStall(root: number, committed = false): void {
    const i32 = this.i32
    const stack = this.stack
    const released = this.released
    stack.length = 0
    stack.push(root)
    while (stack.length > 0) {
      const x = stack.pop()!
      const r = this.rec(x)
      this.mem.lock(r + T.LOCK)
      const final = committed && x === root // a committed transaction releases its stalls whatever it holds
      if (i32[r + T.PROPAGATES] !== 1 || i32[r + T.STATUS] !== EXECUTED || (!final && Atomics.load(i32, r + T.STALL) > 0)) {
        this.mem.unlock(r + T.LOCK)
        continue
      }
      i32[r + T.PROPAGATES] = 0
      released.length = 0
      for (let n = i32[r + T.ABORTED_HEAD]!; n !== 0; n = i32[n + AD_NEXT]!) {
        const d = i32[n + AD_TX]!
        if (Atomics.sub(i32, this.rec(d) + T.STALL, 1) === 1) released.push(d)
      }
      this.mem.unlock(r + T.LOCK)
      for (const d of released) {
        const s = this.status(d)
        if (s === EXECUTED) stack.push(d)
        else if (s === READY_TO_EXECUTE) this.lowerExecutionIdx(d)
      }
    }
  }

  // ---- commits -------------------------------------------------------------------------------

  /**
   * Commits in order, by one thread at a time: the lowest uncommitted transaction, when it is
   * EXECUTED and its read-set validates against the committed writes below it; a failed
   * validation aborts and re-schedules it. A thread that finds the lock held arms it instead:
   * the holder looks again before leaving, so no finished transaction waits unseen.
   */
  private tryCommit(): void {
    const i32 = this.i32
    for (;;) {
      Atomics.store(i32, H.COMMIT_ARMED, 1)
      if (Atomics.compareExchange(i32, H.COMMIT_LOCK, 0, 1) !== 0) return
      Atomics.store(i32, H.COMMIT_ARMED, 0)
      try {
        this.commitLoop()
      } finally {
        Atomics.store(i32, H.COMMIT_LOCK, 0)
      }
      if (Atomics.load(i32, H.COMMIT_ARMED) === 0 || this.done()) return
    }
  }

  private commitLoop(): void {
    const i32 = this.i32
    for (;;) {
      const c = Atomics.load(i32, H.COMMIT_IDX)
      if (c >= this.txCount) {
        if (Atomics.load(i32, H.DONE) === 0) {
          Atomics.store(i32, H.DONE, 1)
          Atomics.notify(i32, H.DONE)
          this.mem.wakeIdle()
        }
        return
      }
      const r = this.rec(c)
      this.mem.lock(r + T.LOCK)
      const s = i32[r + T.STATUS]!
      const inc = i32[r + T.INCARNATION]!
      this.mem.unlock(r + T.LOCK)
      if (s === READY_TO_EXECUTE) {
        // The lowest uncommitted transaction runs even when stalled.
        if (Atomics.load(i32, H.EXECUTION_IDX) > c) {
          this.lowerExecutionIdx(c)
          this.mem.wakeIdle()
        }
        return
      }
      if (s !== EXECUTED) return
      this.validator ??= new Validator(this.mv)
      Atomics.add(i32, H.STAT_VALIDATIONS, 1)
      if (this.validator.validateReadSet(c)) {
        Atomics.store(i32, H.COMMIT_IDX, c + 1)
        Atomics.add(i32, H.STAT_COMMITS, 1)
        if (Atomics.load(i32, r + T.PROPAGATES) === 1) this.removeStall(c, true)
        continue
      }
      // A stale read: abort and re-execute (it is the lowest now) — unless the writer that
      // made it stale has aborted it meanwhile (a writer is EXECUTED, hence committable,
      // just before it pushes its aborts): then that abort stands.
      this.mem.lock(r + T.LOCK)
      if (i32[r + T.STATUS] !== EXECUTED || i32[r + T.INCARNATION] !== inc) {
        this.mem.unlock(r + T.LOCK)
        return
      }
      i32[r + T.STATUS] = ABORTING
      this.mem.unlock(r + T.LOCK)
      Atomics.add(i32, H.STAT_ABORTS, 1)
      const d = i32[r + T.DURATION_US]!
      Atomics.sub(i32, H.USEFUL_US, d)
      this.waste(d)
      this.mv.convertWritesToEstimates(c)
      this.addStall(c)
      this.makeReady(c)
      this.mem.wakeIdle()
      return
    }
  }

  // ---- serial fallback -------------------------------------------------------------------------

  /**
   * Counts `us` of wasted execution and checks progress (see the module comment, item 4):
   * serial mode when the useful execution time so far is below PROGRESS_MARGIN × the wall
   * time since the block started, once at least SERIAL_FLOOR executions ran.
   */
  private waste(us: number): void {
    const i32 = this.i32
    Atomics.add(i32, H.WASTE_US, us)
    if (i32[H.SERIAL_BUDGET]! < 0 || i32[H.SERIAL] === 1) return
    if (Atomics.load(i32, H.STAT_EXECUTIONS) < i32[H.SERIAL_FLOOR]!) return
    const elapsedUs = (nowMs() - this.startAt[0]!) * 1000
    if (Atomics.load(i32, H.USEFUL_US) >= elapsedUs * PROGRESS_MARGIN) return
    if (Atomics.compareExchange(i32, H.SERIAL, 0, 1) === 0) {
      Atomics.store(i32, H.SERIAL_AT, Atomics.load(i32, H.COMMIT_IDX))
      this.mem.wakeIdle()
    }
  }

  // ---- v1's validation tasks do not exist in v2 ------------------------------------------------

  tryValidationAbort(tx: number): boolean {
    throw new SchedulerInvariantError(`scheduler v2 hands out no validation tasks (transaction ${tx})`)
  }

  finishValidation(tx: number): Task {
    throw new SchedulerInvariantError(`scheduler v2 hands out no validation tasks (transaction ${tx})`)
  }
}
