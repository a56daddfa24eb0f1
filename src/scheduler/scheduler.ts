/**
 * The collaborative scheduler of Block-STM (§4, Algorithms 4–5), in shared memory, so that
 * every thread takes its next task itself: there is no coordinator.
 *
 * Shared counters (header words): `execution_idx` and `validation_idx` (the next transaction
 * to try executing / validating; they only move down through `decrease*`, which also bumps
 * `decrease_cnt`), `num_active_tasks` (tasks handed out and not yet finished) and
 * `done_marker`.
 *
 * State machine of one transaction (status under its lock, with its incarnation number):
 *
 *   READY_TO_EXECUTE(i) ──try_incarnate──▶ EXECUTING(i) ──finish_execution──▶ EXECUTED(i)
 *          ▲                                   │                                  │
 *          │                        add_dependency (read an ESTIMATE)   try_validation_abort
 *          │                                   ▼                                  ▼
 *          └──────── set_ready_status ──── ABORTING(i) ◀──────────────────────────┘
 *                    (incarnation i+1)
 *
 * Invariants:
 * - at most one thread executes a given transaction at a time (only the thread that moved
 *   READY→EXECUTING runs it, and only for that incarnation);
 * - a transaction suspended on a dependency is in exactly one blocker's dependents list and
 *   is resumed (made READY with the next incarnation, `execution_idx` lowered to it) when the
 *   blocker finishes executing: it is never busy-retried;
 * - `done` is declared only when both indices are past the block, no task is active, and no
 *   index was decreased while checking (the `decrease_cnt` double read);
 * - serial mode: once the wasted work — aborts, and waits on a read (a `dependOn` hint
 *   declared before any read is free) — exceeds the block's budget (or the progress made so
 *   far, see `chargeWaste`), `SERIAL` is set and every lane stops taking tasks (the
 *   task in hand is dropped); the block is then never `done` here: the executor keeps the
 *   committed prefix and runs the rest sequentially (src/executor/sequentialTail.ts), which
 *   bounds the total work of pathological blocks to about one execution per transaction
 *   past the switch;
 * - a lane that finds no task polls briefly, then sleeps (SharedMemory.sleepForWork) until
 *   `wakeIdle`: called whenever a task may have appeared (a transaction finished executing:
 *   resumed dependents, revalidations; a validation aborted one) or the loop must end (done,
 *   serial mode, abort), so a sleeping lane never misses work;
 * - locks nest only blocker-before-dependent, and a dependent always has the higher index,
 *   so lock order follows transaction order and cannot deadlock.
 */
import type { SharedMemory } from '../mvmemory/sharedMemory.js'
import { H, T, TX_WORDS } from './words.js'
import { ABORTING, EXECUTED, EXECUTING, READY_TO_EXECUTE, SchedulerInvariantError, TASK_EXECUTE, TASK_VALIDATE, type Task } from './task.js'
import type { BlockScheduler, SchedulerKind } from './types.js'

export {
  READY_TO_EXECUTE,
  EXECUTING,
  EXECUTED,
  ABORTING,
  TASK_NONE,
  TASK_EXECUTE,
  TASK_VALIDATE,
  Task,
  SchedulerInvariantError,
} from './task.js'

export class Scheduler implements BlockScheduler {
  readonly kind: SchedulerKind = 'v1'
  readonly registersReads = false
  readonly txCount: number
  private readonly i32: Int32Array
  private readonly txBase: number

  constructor(private readonly mem: SharedMemory) {
    this.i32 = mem.i32
    this.txCount = this.i32[H.TX_COUNT]!
    this.txBase = this.i32[H.TX_BASE]!
  }

  /** Lays out and initialises the scheduler state for a block of `txCount` transactions. */
  static layout(mem: SharedMemory, txCount: number, serialBudget = -1, serialFloor = 16): void {
    const i32 = mem.i32
    const base = mem.alloc(Math.max(1, txCount) * TX_WORDS)
    i32.fill(0, base, base + txCount * TX_WORDS)
    i32[H.TX_BASE] = base
    i32[H.TX_COUNT] = txCount
    i32[H.EXECUTION_IDX] = 0
    i32[H.VALIDATION_IDX] = 0
    i32[H.DECREASE_CNT] = 0
    i32[H.NUM_ACTIVE] = 0
    i32[H.DONE] = txCount === 0 ? 1 : 0
    i32[H.STAT_EXECUTIONS] = 0
    i32[H.STAT_VALIDATIONS] = 0
    i32[H.STAT_ABORTS] = 0
    i32[H.STAT_DEP_WAITS] = 0
    i32[H.SERIAL] = 0
    i32[H.SERIAL_BUDGET] = serialBudget
    i32[H.SERIAL_AT] = -1
    i32[H.SERIAL_WASTE] = 0
    i32[H.SERIAL_FLOOR] = serialFloor
  }

  /** Whether the block has switched to serial mode. */
  serial(): boolean {
    return Atomics.load(this.i32, H.SERIAL) === 1
  }

  /** execution_idx when the block switched to serial mode, or -1. */
  serialAt(): number {
    return Atomics.load(this.i32, H.SERIAL_AT)
  }

  /**
   * Counts an abort, or a dependency wait that cost work, against the serial budget. The
   * block switches to serial mode when this waste exceeds the budget, or earlier when it
   * exceeds the progress made (the transactions handed out for execution so far, but at
   * least the floor, which grows with the executions in flight: T concurrent speculations
   * can lose up to T executions in one round of a merely conflict-prone block): a dependency
   * chain wastes about one execution per transaction from its start, and is caught within
   * its first few dozen transactions instead of after half the block.
   */
  private chargeWaste(): void {
    const i32 = this.i32
    const budget = i32[H.SERIAL_BUDGET]!
    if (budget < 0 || i32[H.SERIAL] === 1) return
    const waste = Atomics.add(i32, H.SERIAL_WASTE, 1) + 1
    const progress = Math.min(Atomics.load(i32, H.EXECUTION_IDX), this.txCount)
    if (waste > Math.min(budget, Math.max(i32[H.SERIAL_FLOOR]!, progress))) {
      if (Atomics.compareExchange(i32, H.SERIAL, 0, 1) === 0) {
        Atomics.store(i32, H.SERIAL_AT, Atomics.load(i32, H.EXECUTION_IDX))
        this.mem.wakeIdle()
      }
    }
  }

  private rec(tx: number): number {
    return this.txBase + tx * TX_WORDS
  }

  done(): boolean {
    return Atomics.load(this.i32, H.DONE) === 1
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

  /** Whether `tx` is in the EXECUTED state right now. */
  isExecuted(tx: number): boolean {
    return this.status(tx) === EXECUTED
  }

  private decreaseIdx(word: number, target: number): void {
    const i32 = this.i32
    for (;;) {
      const cur = Atomics.load(i32, word)
      if (cur <= target || Atomics.compareExchange(i32, word, cur, target) === cur) break
    }
    Atomics.add(i32, H.DECREASE_CNT, 1)
  }

  private checkDone(): void {
    const i32 = this.i32
    const observed = Atomics.load(i32, H.DECREASE_CNT)
    if (
      Math.min(Atomics.load(i32, H.EXECUTION_IDX), Atomics.load(i32, H.VALIDATION_IDX)) >= this.txCount &&
      Atomics.load(i32, H.NUM_ACTIVE) === 0 &&
      observed === Atomics.load(i32, H.DECREASE_CNT)
    ) {
      Atomics.store(i32, H.DONE, 1)
      Atomics.notify(i32, H.DONE)
      this.mem.wakeIdle()
    }
  }

  /** READY → EXECUTING; on success fills `task`. The caller owns the active-task count. */
  private tryIncarnate(tx: number, task: Task): boolean {
    if (tx >= this.txCount) return false
    const r = this.rec(tx)
    const i32 = this.i32
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] === READY_TO_EXECUTE) {
      i32[r + T.STATUS] = EXECUTING
      task.set(TASK_EXECUTE, tx, i32[r + T.INCARNATION]!)
      this.mem.unlock(r + T.LOCK)
      return true
    }
    this.mem.unlock(r + T.LOCK)
    return false
  }

  private nextVersionToExecute(task: Task): boolean {
    const i32 = this.i32
    if (Atomics.load(i32, H.EXECUTION_IDX) >= this.txCount) {
      this.checkDone()
      return false
    }
    Atomics.add(i32, H.NUM_ACTIVE, 1)
    const tx = Atomics.add(i32, H.EXECUTION_IDX, 1)
    if (this.tryIncarnate(tx, task)) return true
    Atomics.sub(i32, H.NUM_ACTIVE, 1)
    return false
  }

  private nextVersionToValidate(task: Task): boolean {
    const i32 = this.i32
    if (Atomics.load(i32, H.VALIDATION_IDX) >= this.txCount) {
      this.checkDone()
      return false
    }
    Atomics.add(i32, H.NUM_ACTIVE, 1)
    const tx = Atomics.add(i32, H.VALIDATION_IDX, 1)
    if (tx < this.txCount) {
      const r = this.rec(tx)
      this.mem.lock(r + T.LOCK)
      if (i32[r + T.STATUS] === EXECUTED) {
        task.set(TASK_VALIDATE, tx, i32[r + T.INCARNATION]!)
        this.mem.unlock(r + T.LOCK)
        return true
      }
      this.mem.unlock(r + T.LOCK)
    }
    Atomics.sub(i32, H.NUM_ACTIVE, 1)
    return false
  }

  /** Fills `task` with the next task (validation first when it lags), or clears it. */
  nextTask(task: Task): Task {
    const i32 = this.i32
    if (Atomics.load(i32, H.VALIDATION_IDX) < Atomics.load(i32, H.EXECUTION_IDX)) {
      if (this.nextVersionToValidate(task)) return task
    } else if (this.nextVersionToExecute(task)) return task
    return task.clear()
  }

  /**
   * Suspends `tx` (EXECUTING → ABORTING) until `blocker` finishes executing. Returns false,
   * suspending nothing, when `blocker` has executed already (the caller re-executes at once).
   * `costly`: the incarnation stopped on a read (its work so far is lost). A wait declared
   * up front through `dependOn` (the same-sender hint) costs nothing and does not count
   * towards serial mode: a block with many such chains still runs its other transactions in
   * parallel.
   */
  addDependency(tx: number, blocker: number, costly = true): boolean {
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
    this.mem.unlock(r + T.LOCK)
    i32[r + T.DEP_NEXT] = i32[b + T.DEP_HEAD]!
    i32[b + T.DEP_HEAD] = tx + 1
    this.mem.unlock(b + T.LOCK)
    Atomics.add(i32, H.STAT_DEP_WAITS, 1)
    if (costly) this.chargeWaste()
    Atomics.sub(i32, H.NUM_ACTIVE, 1)
    return true
  }

  /** ABORTING(i) → READY_TO_EXECUTE(i+1). */
  private setReadyStatus(tx: number): void {
    const r = this.rec(tx)
    const i32 = this.i32
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] !== ABORTING) {
      this.mem.unlock(r + T.LOCK)
      throw new SchedulerInvariantError(`transaction ${tx} made ready from status ${i32[r + T.STATUS]}`)
    }
    i32[r + T.INCARNATION] = i32[r + T.INCARNATION]! + 1
    i32[r + T.STATUS] = READY_TO_EXECUTE
    this.mem.unlock(r + T.LOCK)
  }

  /**
   * Marks (tx, incarnation) EXECUTED, resumes the transactions waiting on it, and schedules
   * its validation. Fills `task` with a validation task for it when that is the next thing
   * to do, else clears it.
   */
  finishExecution(tx: number, incarnation: number, wroteNewLocation: boolean, task: Task): Task {
    const i32 = this.i32
    const r = this.rec(tx)
    this.mem.lock(r + T.LOCK)
    if (i32[r + T.STATUS] !== EXECUTING || i32[r + T.INCARNATION] !== incarnation) {
      this.mem.unlock(r + T.LOCK)
      throw new SchedulerInvariantError(`transaction ${tx} incarnation ${incarnation} finished while not executing`)
    }
    i32[r + T.STATUS] = EXECUTED
    let dep = i32[r + T.DEP_HEAD]!
    i32[r + T.DEP_HEAD] = 0
    this.mem.unlock(r + T.LOCK)
    // Resume dependents; read each link before the dependent becomes READY (after that it
    // may be re-executed and suspended again, reusing its link word).
    let minDep = this.txCount
    while (dep !== 0) {
      const d = dep - 1
      dep = i32[this.rec(d) + T.DEP_NEXT]!
      this.setReadyStatus(d)
      if (d < minDep) minDep = d
    }
    if (minDep < this.txCount) this.decreaseIdx(H.EXECUTION_IDX, minDep)
    if (Atomics.load(i32, H.VALIDATION_IDX) > tx) {
      if (!wroteNewLocation) {
        if (minDep < this.txCount) this.mem.wakeIdle()
        return task.set(TASK_VALIDATE, tx, incarnation)
      }
      this.decreaseIdx(H.VALIDATION_IDX, tx)
    }
    Atomics.sub(i32, H.NUM_ACTIVE, 1)
    // Resumed dependents, revalidations, or the last active task ending (done): wake sleepers.
    this.mem.wakeIdle()
    return task.clear()
  }

  /** EXECUTED(incarnation) → ABORTING; true only for the first validation that fails it. */
  tryValidationAbort(tx: number, incarnation: number): boolean {
    const r = this.rec(tx)
    const i32 = this.i32
    this.mem.lock(r + T.LOCK)
    const won = i32[r + T.STATUS] === EXECUTED && i32[r + T.INCARNATION] === incarnation
    if (won) i32[r + T.STATUS] = ABORTING
    this.mem.unlock(r + T.LOCK)
    return won
  }

  /** Completes a validation task; after an abort, tries to re-execute at once. */
  finishValidation(tx: number, aborted: boolean, task: Task): Task {
    const i32 = this.i32
    Atomics.add(i32, H.STAT_VALIDATIONS, 1)
    if (aborted) {
      Atomics.add(i32, H.STAT_ABORTS, 1)
      this.chargeWaste()
      this.setReadyStatus(tx)
      this.decreaseIdx(H.VALIDATION_IDX, tx + 1)
      if (Atomics.load(i32, H.EXECUTION_IDX) > tx && this.tryIncarnate(tx, task)) {
        this.mem.wakeIdle() // the revalidations of higher transactions
        return task
      }
    }
    Atomics.sub(i32, H.NUM_ACTIVE, 1)
    this.mem.wakeIdle()
    return task.clear()
  }

  /** Counts one VM execution (recorded or stopped at a dependency). */
  countExecution(): void {
    Atomics.add(this.i32, H.STAT_EXECUTIONS, 1)
  }

  stats(): { executions: number; validations: number; aborts: number; dependencyWaits: number } {
    const i32 = this.i32
    return {
      executions: Atomics.load(i32, H.STAT_EXECUTIONS),
      validations: Atomics.load(i32, H.STAT_VALIDATIONS),
      aborts: Atomics.load(i32, H.STAT_ABORTS),
      dependencyWaits: Atomics.load(i32, H.STAT_DEP_WAITS),
    }
  }
}
