/**
 * Tests of the collaborative scheduler (src/scheduler/scheduler.ts) and of the executor loop
 * built on it.
 *
 * What it proves:
 * - state transitions, driven directly: tasks come out in order; `tryValidationAbort` wins
 *   only once per incarnation (and never for another incarnation); `addDependency` returns
 *   false when the blocker has EXECUTED, otherwise suspends the dependent, which is made
 *   READY with the next incarnation (and handed out again) only when the blocker finishes;
 *   bad transitions throw `SchedulerInvariantError`; `done` only after every transaction is
 *   EXECUTED and validated;
 * - a randomised simulation of many lanes interleaving scheduler calls (random aborts,
 *   dependencies, wroteNew flags): no transaction is handed out to two lanes at once, every
 *   incarnation number is exactly the number of aborts and suspensions, suspended
 *   transactions are resumed only after their blocker finished, the final incarnation of
 *   every transaction was validated, the block always completes, and the statistics count
 *   exactly what happened;
 * - whole blocks with an instrumented VM (test/support/instrumentedVm.ts, counters in a
 *   SharedArrayBuffer shared by all threads), threads 1 × 4 lanes, 2 × 2 lanes and 3: two
 *   executions of one transaction never overlap, the VM calls equal `stats.executions`,
 *   every transaction has an output and validations ≥ txCount, results equal sequential;
 *   read-after-write chains and `dependOn` chains complete with correct results and really
 *   suspend transactions (`dependencyWaits` > 0);
 * - the recorded timeline of real runs (`trace`): every transaction's incarnations are
 *   0..final without gaps, each recorded once; an aborted or suspended incarnation is followed
 *   by the next one; the final incarnation was validated as valid; the counts equal the
 *   statistics;
 * - serial mode (the serial fallback past a budget of aborts and dependency waits) gives the
 *   same results and says so in `stats.fallback`.
 *
 * No test here hopes for an interleaving: where one needs an abort, a suspension, two
 * executions in flight or serial mode, latches of the instrumented VM force it (a
 * transaction's execution is held until another has read, or until the scheduler has
 * suspended a transaction: CHAIN_LATCHES, fanLatches), and a latch that gives up fails the
 * test.
 *
 * Regression (found by these tests, fixed in 1f74b00): with threads = 1 the executor's
 * memory was a plain ArrayBuffer, but serial mode (`Scheduler.sleepUntilDone`) and slow
 * state sources (`fetchBase`) call `Atomics.waitAsync` on it, which threw `TypeError: ... is
 * not a shared typed array`: threads 1 with several lanes failed conflict-heavy blocks and
 * blocks over a slow source.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  ABORTING,
  EXECUTED,
  EXECUTING,
  READY_TO_EXECUTE,
  Scheduler,
  SchedulerInvariantError,
  Task,
  TASK_EXECUTE,
  TASK_NONE,
  TASK_VALIDATE,
} from '../src/scheduler/scheduler.js'
import { createBlockSTMExecutor, createSequentialExecutor, type BlockExecutor } from '../src/executor/engine.js'
import type { BlockSTMExecutor, TracedBlockResult } from '../src/executor/blockstm.js'
import type { TraceEvent } from '../src/executor/executor.js'
import type { MockOutput } from '../src/mock/mockVm.js'
import { LatencyBaseState, MapBaseState } from '../src/executor/baseState.js'
import { mockBaseEntries, type MockBlock, type MockOp } from '../src/mock/mockVm.js'
import { layoutBlock } from './support/memory.js'
import { INSTRUMENTED_VM, MOCK_VM, TRACKED_MOCK_VM, blockCaseArb, baseState, divergence, runParallel, runSequential } from './support/mockBlocks.js'
import { countersFor, createTransactionVM as createInstrumented, engineBuffer, readCounters, type Latch } from './support/instrumentedVm.js'

function fresh(txCount: number): Scheduler {
  return layoutBlock(txCount).scheduler
}

function expectTask(t: Task, kind: number, tx?: number, incarnation?: number) {
  const got: Record<string, number> = { kind: t.kind }
  const want: Record<string, number> = { kind }
  if (tx !== undefined) (got.tx = t.tx), (want.tx = tx)
  if (incarnation !== undefined) (got.incarnation = t.incarnation), (want.incarnation = incarnation)
  expect(got).toEqual(want)
}

describe('Scheduler state transitions', () => {
  it('hands out execution tasks in order, then validations', () => {
    const s = fresh(3)
    const t = new Task()
    expectTask(s.nextTask(t), TASK_EXECUTE, 0, 0)
    expect(s.status(0)).toBe(EXECUTING)
    expect(s.status(1)).toBe(READY_TO_EXECUTE)
    // validation_idx (0) < execution_idx (1): a validation attempt of tx 0, not executed yet
    expectTask(s.nextTask(new Task()), TASK_NONE)
    expectTask(s.nextTask(new Task()), TASK_EXECUTE, 1, 0)
    expectTask(s.finishExecution(0, 0, true, t), TASK_NONE) // validation_idx lowered to 0 instead
    expectTask(s.nextTask(t), TASK_VALIDATE, 0, 0)
    expect(s.done()).toBe(false)
  })

  it('tryValidationAbort wins only once per incarnation', () => {
    const s = fresh(2)
    const t = s.nextTask(new Task())
    expectTask(t, TASK_EXECUTE, 0, 0)
    expect(s.tryValidationAbort(0, 0)).toBe(false) // still executing
    s.finishExecution(0, 0, false, t)
    expectTask(s.nextTask(t), TASK_VALIDATE, 0, 0)
    expect(s.tryValidationAbort(0, 1)).toBe(false) // another incarnation
    expect(s.tryValidationAbort(0, 0)).toBe(true)
    expect(s.status(0)).toBe(ABORTING)
    expect(s.tryValidationAbort(0, 0)).toBe(false) // a second failed validation loses
    // The winner's finishValidation re-executes at once, with the next incarnation.
    expectTask(s.finishValidation(0, true, t), TASK_EXECUTE, 0, 1)
    expect(s.incarnation(0)).toBe(1)
    expect(s.tryValidationAbort(0, 1)).toBe(false) // executing again
    s.finishExecution(0, 1, false, t)
    expect(s.tryValidationAbort(0, 0)).toBe(false) // the old incarnation can no longer be aborted
    expect(s.tryValidationAbort(0, 1)).toBe(true)
    expect(s.stats().validations).toBe(1)
  })

  it('addDependency: false when the blocker EXECUTED; otherwise suspends until it finishes', () => {
    const s = fresh(3)
    const t0 = s.nextTask(new Task())
    const t1 = new Task()
    s.nextTask(t1) // a validation attempt of tx 0 (executing): nothing
    s.nextTask(t1)
    expectTask(t1, TASK_EXECUTE, 1, 0)
    const t2 = new Task()
    while (t2.kind === TASK_NONE) s.nextTask(t2)
    expectTask(t2, TASK_EXECUTE, 2, 0)
    // tx 2 waits on tx 0 (executing): suspended
    expect(s.addDependency(2, 0)).toBe(true)
    expect(s.status(2)).toBe(ABORTING)
    expect(s.stats().dependencyWaits).toBe(1)
    // tx 0 finishes: tx 2 becomes READY with incarnation 1
    s.finishExecution(0, 0, false, t0)
    expect(s.status(2)).toBe(READY_TO_EXECUTE)
    expect(s.incarnation(2)).toBe(1)
    // tx 1 waits on tx 0, which has EXECUTED: not suspended, keeps executing
    expect(s.addDependency(1, 0)).toBe(false)
    expect(s.status(1)).toBe(EXECUTING)
    expect(s.stats().dependencyWaits).toBe(1)
    // tx 2 is handed out again (execution_idx was lowered to it)
    const t3 = new Task()
    for (let i = 0; i < 10 && t3.kind !== TASK_EXECUTE; i++) s.nextTask(t3)
    expectTask(t3, TASK_EXECUTE, 2, 1)
  })

  it('throws SchedulerInvariantError on bad transitions', () => {
    const s = fresh(3)
    const t = s.nextTask(new Task()) // tx 0 executing
    expect(() => s.addDependency(0, 0)).toThrow(SchedulerInvariantError)
    expect(() => s.addDependency(1, 2)).toThrow(SchedulerInvariantError)
    expect(() => s.addDependency(1, -1)).toThrow(SchedulerInvariantError)
    expect(() => s.addDependency(2, 0)).toThrow(SchedulerInvariantError) // tx 2 is not executing
    expect(() => s.finishExecution(1, 0, false, new Task())).toThrow(SchedulerInvariantError) // not executing
    expect(() => s.finishExecution(0, 1, false, new Task())).toThrow(SchedulerInvariantError) // wrong incarnation
    expect(() => s.finishValidation(1, true, new Task())).toThrow(SchedulerInvariantError) // not ABORTING
    s.finishExecution(0, 0, false, t)
    expect(() => s.finishExecution(0, 0, false, new Task())).toThrow(SchedulerInvariantError) // twice
  })

  it('is done only when every transaction is executed and validated', () => {
    const n = 4
    const s = fresh(n)
    const t = new Task()
    let validated = 0
    for (let step = 0; step < 1000 && !s.done(); step++) {
      if (t.kind === TASK_NONE) s.nextTask(t)
      else if (t.kind === TASK_EXECUTE) {
        expect(s.done()).toBe(false)
        s.finishExecution(t.tx, t.incarnation, true, t)
      } else {
        expect(s.done()).toBe(false)
        validated++
        s.finishValidation(t.tx, false, t)
      }
    }
    expect(s.done()).toBe(true)
    for (let tx = 0; tx < n; tx++) expect(s.status(tx)).toBe(EXECUTED)
    expect(s.stats().validations).toBe(validated)
    expect(validated).toBeGreaterThanOrEqual(n)
    // an empty block is done at once
    expect(fresh(0).done()).toBe(true)
  })
})

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Simulates `lanes` executor lanes interleaving scheduler calls in a random order, with a
 * random validation oracle (bounded aborts per transaction) and random dependencies.
 * Throws on the first invariant violation.
 */
function simulate(txCount: number, lanes: number, seed: number, pAbort: number, pDep: number, pNew: number): void {
  const s = fresh(txCount)
  const rand = rng(seed)
  const tasks = Array.from({ length: lanes }, () => new Task())
  const holder = new Array<number>(txCount).fill(-1) // lane executing tx
  const expectedInc = new Array<number>(txCount).fill(0)
  const abortsLeft = Array.from({ length: txCount }, () => Math.floor(rand() * 3))
  const depsLeft = Array.from({ length: txCount }, () => Math.floor(rand() * 3))
  const finishedSeq = new Array<number>(txCount).fill(-1) // step of the last finishExecution
  const suspended = new Map<number, { blocker: number; at: number }>()
  const validOk = Array.from({ length: txCount }, () => new Set<number>())
  let validations = 0
  let aborts = 0
  let waits = 0
  const fail = (m: string): never => {
    throw new Error(`simulation(txCount ${txCount}, lanes ${lanes}, seed ${seed}): ${m}`)
  }
  const acquired = (lane: number, t: Task, step: number) => {
    if (t.kind !== TASK_EXECUTE) return
    if (holder[t.tx] !== -1) fail(`tx ${t.tx} handed to lane ${lane} while lane ${holder[t.tx]} executes it`)
    if (t.incarnation !== expectedInc[t.tx]) fail(`tx ${t.tx} handed out as incarnation ${t.incarnation}, expected ${expectedInc[t.tx]}`)
    if (s.status(t.tx) !== EXECUTING) fail(`tx ${t.tx} handed out but not EXECUTING`)
    const sus = suspended.get(t.tx)
    if (sus !== undefined) {
      if (finishedSeq[sus.blocker]! < sus.at) fail(`tx ${t.tx} resumed before its blocker ${sus.blocker} finished`)
      suspended.delete(t.tx)
    }
    holder[t.tx] = lane
    void step
  }
  const limit = 200_000
  let step = 0
  for (; step < limit && !s.done(); step++) {
    const lane = Math.floor(rand() * lanes)
    const t = tasks[lane]!
    if (t.kind === TASK_NONE) {
      s.nextTask(t)
      acquired(lane, t, step)
    } else if (t.kind === TASK_EXECUTE) {
      const tx = t.tx
      if (tx > 0 && depsLeft[tx]! > 0 && rand() < pDep) {
        const blocker = Math.floor(rand() * tx)
        const blockerExecuted = s.status(blocker) === EXECUTED
        if (s.addDependency(tx, blocker)) {
          if (blockerExecuted) fail(`tx ${tx} suspended on executed blocker ${blocker}`)
          depsLeft[tx]!--
          waits++
          expectedInc[tx]!++
          holder[tx] = -1
          suspended.set(tx, { blocker, at: step })
          if (s.status(tx) !== ABORTING) fail(`suspended tx ${tx} is not ABORTING`)
          t.clear()
        } else if (s.status(blocker) !== EXECUTED) fail(`addDependency(${tx}, ${blocker}) refused while the blocker is not EXECUTED`)
        // refused: the lane re-executes the same incarnation
      } else {
        holder[tx] = -1
        finishedSeq[tx] = step
        const next = s.finishExecution(tx, t.incarnation, rand() < pNew, t).kind as number
        if (next === TASK_VALIDATE && (t.tx !== tx || t.incarnation !== expectedInc[tx])) fail('finishExecution handed out a wrong validation')
        if (next === TASK_EXECUTE) fail('finishExecution handed out an execution')
      }
    } else {
      const tx = t.tx
      const valid = !(abortsLeft[tx]! > 0 && rand() < pAbort)
      const aborted = !valid && s.tryValidationAbort(tx, t.incarnation)
      if (!valid && !aborted && s.status(tx) === EXECUTED && s.incarnation(tx) === t.incarnation) {
        fail(`failed validation of the current incarnation of ${tx} did not win the abort`)
      }
      if (aborted) {
        abortsLeft[tx]!--
        aborts++
        expectedInc[tx]!++
        if (s.tryValidationAbort(tx, t.incarnation)) fail(`second abort of ${tx}/${t.incarnation} won`)
      }
      if (valid) validOk[tx]!.add(t.incarnation)
      validations++
      s.finishValidation(tx, aborted, t)
      acquired(lane, t, step)
    }
  }
  if (!s.done()) fail(`not done after ${limit} steps`)
  for (let l = 0; l < lanes; l++) if (tasks[l]!.kind !== TASK_NONE) fail(`done while lane ${l} holds a task`)
  for (let tx = 0; tx < txCount; tx++) {
    if (s.status(tx) !== EXECUTED) fail(`done while tx ${tx} has status ${s.status(tx)}`)
    if (s.incarnation(tx) !== expectedInc[tx]) fail(`tx ${tx} incarnation ${s.incarnation(tx)} ≠ ${expectedInc[tx]}`)
    if (!validOk[tx]!.has(expectedInc[tx]!)) fail(`final incarnation ${expectedInc[tx]} of tx ${tx} was never validated`)
  }
  if (suspended.size > 0) fail(`suspended transactions never resumed: ${[...suspended.keys()]}`)
  const st = s.stats()
  if (st.validations !== validations || st.aborts !== aborts || st.dependencyWaits !== waits) {
    fail(`stats ${JSON.stringify(st)} ≠ validations ${validations}, aborts ${aborts}, waits ${waits}`)
  }
}

describe('Scheduler under random interleavings (simulated lanes)', () => {
  it('keeps its invariants and always completes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, lanes, seed, pAbort, pDep, pNew) => simulate(n, lanes, seed, pAbort, pDep, pNew),
      ),
      { numRuns: 400 },
    )
  })

  it('the simulation detects a broken scheduler (sanity check of the checker)', () => {
    // Handing out an execution task without the READY → EXECUTING transition must be caught.
    const orig = Scheduler.prototype.nextTask
    Scheduler.prototype.nextTask = function (this: Scheduler, task: Task) {
      const r = orig.call(this, task)
      if (r.kind === TASK_NONE && this.txCount > 0) return task.set(TASK_EXECUTE, 0, 0)
      return r
    }
    try {
      expect(() => simulate(5, 3, 1, 0.3, 0.3, 0.5)).toThrow(/handed/)
    } finally {
      Scheduler.prototype.nextTask = orig
    }
  })
})

// ---------------------------------------------------------------------------------------
// Whole blocks with the instrumented VM

const CONFIGS = [
  { name: 'threads 1 × 4 lanes', threads: 1, lanes: 4 },
  { name: 'threads 2 × 2 lanes', threads: 2, lanes: 2 },
  { name: 'threads 3', threads: 3, lanes: 1 },
]
const executors = new Map<string, BlockExecutor>()
const sequential = createSequentialExecutor({ vmModule: TRACKED_MOCK_VM })

beforeAll(async () => {
  for (const c of CONFIGS) {
    // No serial fallback: every thread keeps taking tasks however conflicted the block.
    executors.set(
      c.name,
      await createBlockSTMExecutor({ threads: c.threads, lanes: c.lanes, vmModule: INSTRUMENTED_VM, minParallelTxs: 0, serialFallbackRatio: Infinity }),
    )
  }
})
afterAll(async () => {
  for (const ex of executors.values()) await ex.close()
})

interface Run {
  stats: Record<string, unknown>
  counters: ReturnType<typeof readCounters>
}

/**
 * Runs `block` with the instrumented VM (holding executions at `latches`), checks it against
 * sequential, returns the counters.
 */
async function runInstrumented(ex: BlockExecutor, block: MockBlock, base: MapBaseState, dependOnPrev = false, latches?: Latch[]): Promise<Run> {
  const n = block.txs.length
  const counters = countersFor(n)
  const seq = await runSequential(sequential, { txCount: n, payload: block, base })
  const engine = latches !== undefined ? engineBuffer(ex) : undefined
  const par = await runParallel(ex, { txCount: n, payload: { block, counters, dependOnPrev, latches, engine }, base })
  const c = readCounters(counters, n)
  expect(c.latchTimeouts, 'a latch gave up: the forced interleaving did not happen').toBe(0)
  expect(c.overlaps, 'two executions of one transaction overlapped').toBe(0)
  expect(c.inFlight).toBe(0)
  expect(c.active.every((a) => a === 0)).toBe(true)
  expect(divergence(seq, par, n)).toBeUndefined()
  expect(par.ok).toBe(true)
  if (!par.ok) throw new Error('unreachable')
  const st = par.stats!
  expect(c.calls).toBe(st.executions) // every VM call is counted, nothing else
  expect(c.callsPerTx.every((x) => x >= 1)).toBe(true)
  if (!String(st.fallback ?? '').startsWith('serial:')) expect(st.validations as number).toBeGreaterThanOrEqual(n)
  expect(par.outputs.length).toBe(n)
  for (let i = 0; i < n; i++) expect(par.outputs[i]).toBeDefined()
  return { stats: st, counters: c }
}

/** tx i reads key i-1 (after a delay) and writes key i: a read-after-write chain. */
function chainBlock(n: number): MockBlock {
  const txs = Array.from({ length: n }, (_, i) => ({
    ops: [
      { op: 'delay', kind: 'macro' },
      ...(i > 0 ? [{ op: 'read', k: i - 1 } as MockOp] : []),
      { op: 'delay', kind: i % 2 === 0 ? 'macro' : 'micro' },
      { op: 'write', k: i, salt: i },
      { op: 'delta', k: n, amount: 1 },
    ] as MockOp[],
  }))
  return { keyCount: n + 1, txs }
}

/**
 * Latches that force, in a read-after-write chain (tx i reads key i-1, writes key i), an
 * abort and then a suspension on an ESTIMATE, whatever the threads do:
 *  1. tx 0 waits until tx 1 has ended its first execution, in which it read key 0 before
 *     tx 0 wrote it: validation aborts that incarnation (its write of key 1 becomes an
 *     ESTIMATE);
 *  2. tx 2 waits until tx 1's second execution has started (after the abort), then reads
 *     key 1 and meets the ESTIMATE;
 *  3. that second execution of tx 1 waits until the scheduler has counted a suspension
 *     (tx 2's, unless another came first), so tx 2 cannot miss the ESTIMATE.
 * Needs three executions in flight at once.
 */
const CHAIN_LATCHES: Latch[] = [
  { tx: 0, until: { ended: { txs: [1] } } },
  { tx: 2, until: { started: { txs: [1], atLeast: 2 } } },
  { tx: 1, call: 2, until: { engine: { dependencyWaits: 1 } } },
]

/** tx 0 writes key 0; txs 1..n-1 read key 0 and write key i. */
function fanBlock(n: number): MockBlock {
  const txs = Array.from({ length: n }, (_, i) => ({
    ops: (i === 0 ? [{ op: 'write', k: 0, salt: 7 }] : [{ op: 'read', k: 0 }, { op: 'delay', kind: 'macro' }, { op: 'write', k: i, salt: i }]) as MockOp[],
  }))
  return { keyCount: n, txs }
}

/**
 * Forces `readers` aborts in a block where txs 1..readers read key 0 and tx 0 writes it
 * (fanBlock, tailBlock): tx 0 waits until each of them has ended its first execution, so
 * each read the pre-block value (or an incarnation that is itself aborted) and fails
 * validation once tx 0 has written. With more aborts than the serial budget's floor
 * (8 per execution in flight, at least 16) the block surely switches to serial mode.
 */
const fanLatches = (readers: number): Latch[] => [{ tx: 0, until: { ended: { txs: Array.from({ length: readers }, (_, i) => i + 1) } } }]
const serialReaders = (threads: number, lanes: number): number => Math.max(16, 8 * threads * lanes) + 4

describe('whole blocks with an instrumented VM', () => {
  it('the instrument detects two overlapping executions of one transaction', async () => {
    const block: MockBlock = { keyCount: 2, txs: [{ ops: [{ op: 'read', k: 0 }] }] }
    const counters = countersFor(1)
    const vm = createInstrumented({ block, counters }, 0)
    const view = { read: () => undefined, write: () => {}, addDelta: () => {}, dependOn: () => {} }
    await Promise.all([vm.execute(0, view), vm.execute(0, view)])
    const c = readCounters(counters, 1)
    expect(c.overlaps).toBe(1)
    expect(c.maxInFlight).toBe(2)
    expect(c.calls).toBe(2)
  })

  for (const cfg of CONFIGS) {
    describe(cfg.name, () => {
      it('random blocks: no transaction runs twice at once; outputs complete and equal sequential', async () => {
        const ex = executors.get(cfg.name)!
        const cases = fc.sample(blockCaseArb({ minTxs: 30, maxTxs: 120, throws: false }), { seed: 777 + cfg.threads, numRuns: 15 })
        let maxInFlight = 0
        for (const bc of cases) {
          const r = await runInstrumented(ex, bc.block, baseState(bc))
          maxInFlight = Math.max(maxInFlight, r.counters.maxInFlight)
        }
        // Forced: tx 0 waits until tx 1 has started, so two executions are in flight at once.
        const forced = fc.sample(blockCaseArb({ minTxs: 30, maxTxs: 60, throws: false }), { seed: 4242, numRuns: 1 })[0]!
        const r = await runInstrumented(ex, forced.block, baseState(forced), false, [{ tx: 0, until: { started: { txs: [1] } } }])
        maxInFlight = Math.max(maxInFlight, r.counters.maxInFlight)
        expect(r.counters.maxInFlight, 'the forced block did not overlap two executions').toBeGreaterThan(1)
        expect(maxInFlight).toBeGreaterThan(1)
      })

      it('a read-after-write chain completes; suspended transactions are resumed', async () => {
        const ex = executors.get(cfg.name)!
        for (const n of [40, 70]) {
          const block = chainBlock(n)
          // An abort of tx 1 and a suspension are forced (CHAIN_LATCHES), not hoped for.
          const r = await runInstrumented(ex, block, new MapBaseState(mockBaseEntries(block.keyCount)), false, CHAIN_LATCHES)
          expect(r.stats.aborts as number, 'forced abort of tx 1').toBeGreaterThanOrEqual(1)
          expect(r.stats.dependencyWaits as number, 'forced suspension').toBeGreaterThanOrEqual(1)
          expect(r.counters.callsPerTx[1], 'tx 1 re-executed after its abort').toBeGreaterThanOrEqual(2)
        }
      })

      it('dependOn chains (tx i depends on tx i-1) complete with correct results', async () => {
        const ex = executors.get(cfg.name)!
        for (let i = 0; i < 3; i++) {
          const block = chainBlock(30 + 20 * i)
          // Forced: tx 0 waits until the scheduler has suspended a transaction (tx 1, which
          // declares dependOn(0) while tx 0 is held, unless another came first).
          const r = await runInstrumented(ex, block, new MapBaseState(mockBaseEntries(block.keyCount)), true, [{ tx: 0, until: { engine: { dependencyWaits: 1 } } }])
          expect(r.stats.dependencyWaits as number, 'dependOn suspended no transaction').toBeGreaterThanOrEqual(1)
        }
      })
    })
  }
})

/** Checks the timeline of one traced run; returns the first violation, or undefined. */
function checkTimeline(trace: TraceEvent[], txCount: number, stats: Record<string, unknown>): string | undefined {
  const execs = trace.filter((e) => e.kind === 'execute')
  const vals = trace.filter((e) => e.kind === 'validate')
  if (execs.length !== stats.executions) return `${execs.length} execution events, stats.executions ${stats.executions}`
  if (vals.length !== stats.validations) return `${vals.length} validation events, stats.validations ${stats.validations}`
  const aborted = vals.filter((e) => e.outcome === 'aborted')
  if (aborted.length !== stats.aborts) return `${aborted.length} aborted validations, stats.aborts ${stats.aborts}`
  const suspended = execs.filter((e) => e.outcome === 'suspended')
  if (suspended.length < (stats.dependencyWaits as number)) return `${suspended.length} suspended executions < dependencyWaits ${stats.dependencyWaits}`
  for (let tx = 0; tx < txCount; tx++) {
    const mine = execs.filter((e) => e.tx === tx)
    const incs = new Set(mine.map((e) => e.incarnation))
    const final = Math.max(...incs)
    for (let i = 0; i <= final; i++) if (!incs.has(i)) return `tx ${tx}: incarnation ${i} of 0..${final} never executed`
    const recorded = mine.filter((e) => e.outcome === 'recorded').map((e) => e.incarnation)
    if (new Set(recorded).size !== recorded.length) return `tx ${tx}: an incarnation recorded twice (${recorded})`
    if (!recorded.includes(final)) return `tx ${tx}: final incarnation ${final} never recorded`
    for (const e of mine) if (e.outcome === 'suspended' && e.blocker !== undefined && e.blocker >= tx) return `tx ${tx} suspended on ${e.blocker}`
    const mineVals = vals.filter((e) => e.tx === tx)
    if (mineVals.some((e) => e.incarnation > final)) return `tx ${tx}: validation of an incarnation above the final ${final}`
    if (!mineVals.some((e) => e.incarnation === final && e.outcome === 'valid')) return `tx ${tx}: final incarnation ${final} never validated as valid`
    for (const a of mineVals.filter((e) => e.outcome === 'aborted')) {
      if (!incs.has(a.incarnation + 1)) return `tx ${tx}: aborted incarnation ${a.incarnation} not followed by ${a.incarnation + 1}`
    }
    // An incarnation that only ever stopped on a dependency was resumed as the next one.
    for (const i of incs) {
      const events = mine.filter((e) => e.incarnation === i)
      if (events.every((e) => e.outcome === 'suspended') && !incs.has(i + 1)) return `tx ${tx}: suspended incarnation ${i} never resumed`
    }
  }
  return undefined
}

describe('timelines of real runs', () => {
  it('the timeline checker catches a missing final validation and a double record', async () => {
    const ex = executors.get('threads 2 × 2 lanes')! as BlockSTMExecutor
    const block = chainBlock(30)
    const n = block.txs.length
    const r = (await ex.execute({ txCount: n, payload: { block, counters: countersFor(n) }, base: new MapBaseState(mockBaseEntries(n + 1)), trace: true })) as TracedBlockResult<MockOutput>
    const st = { ...r.stats } as Record<string, unknown>
    const trace = r.trace!
    expect(checkTimeline(trace, n, st)).toBeUndefined()
    const final7 = Math.max(...trace.filter((e) => e.kind === 'execute' && e.tx === 7).map((e) => e.incarnation))
    const noFinal = trace.map((e) => (e.kind === 'validate' && e.tx === 7 && e.incarnation === final7 ? { ...e, outcome: 'stale' as const } : e))
    expect(checkTimeline(noFinal, n, st)).toMatch(/tx 7: final incarnation \d+ never validated/)
    const rec = trace.find((e) => e.kind === 'execute' && e.outcome === 'recorded' && e.tx === 3)!
    expect(checkTimeline([...trace, rec], n, { ...st, executions: (st.executions as number) + 1 })).toMatch(/recorded twice/)
  })

  for (const cfg of CONFIGS) {
    it(`${cfg.name}: incarnations, resumptions, final validations and counts`, async () => {
      const ex = executors.get(cfg.name)! as BlockSTMExecutor
      const cases = fc.sample(blockCaseArb({ minTxs: 20, maxTxs: 100, throws: false }), { seed: 99 + cfg.threads, numRuns: 10 })
      // The chain blocks force an abort of tx 1 and a suspension (CHAIN_LATCHES): the
      // checker's rules about aborted and suspended incarnations are always exercised.
      const blocks: Array<{ block: MockBlock; base: MapBaseState; latches?: Latch[] }> = [
        ...cases.map((bc) => ({ block: bc.block, base: baseState(bc) })),
        ...[40, 60].map((n) => ({ block: chainBlock(n), base: new MapBaseState(mockBaseEntries(n + 1)), latches: CHAIN_LATCHES })),
      ]
      for (const { block, base, latches } of blocks) {
        const n = block.txs.length
        const counters = countersFor(n)
        const payload = { block, counters, latches, engine: latches !== undefined ? engineBuffer(ex) : undefined }
        const r = (await ex.execute({ txCount: n, payload, base, trace: true })) as TracedBlockResult<MockOutput>
        expect(r.trace, 'no timeline returned').toBeDefined()
        const st = { ...r.stats } as Record<string, unknown>
        expect(checkTimeline(r.trace!, n, st), JSON.stringify(block)).toBeUndefined()
        if (latches === undefined) continue
        expect(readCounters(counters, n).latchTimeouts, 'a latch gave up').toBe(0)
        expect(r.trace!.some((e) => e.kind === 'validate' && e.tx === 1 && e.incarnation === 0 && e.outcome === 'aborted'), 'the forced abort of tx 1 is not in the timeline').toBe(true)
        expect(r.trace!.some((e) => e.kind === 'execute' && e.outcome === 'suspended'), 'the forced suspension is not in the timeline').toBe(true)
        expect(r.stats.dependencyWaits).toBeGreaterThanOrEqual(1)
      }
    })
  }
})

describe('serial mode', () => {
  for (const cfg of [
    { name: 'threads 2 × 2 lanes', threads: 2, lanes: 2 },
    { name: 'threads 3', threads: 3, lanes: 1 },
    { name: 'threads 1 × 3 lanes (regression: Atomics.waitAsync on a non-shared buffer)', threads: 1, lanes: 3 },
  ]) {
    it(`${cfg.name}: conflict-heavy blocks switch to serial mode and equal sequential`, async () => {
      const ex = await createBlockSTMExecutor({ threads: cfg.threads, lanes: cfg.lanes, vmModule: INSTRUMENTED_VM, minParallelTxs: 0, serialFallbackRatio: 0 })
      try {
        const readers = serialReaders(cfg.threads, cfg.lanes)
        for (let i = 0; i < 3; i++) {
          // More aborts than the serial budget, forced (fanLatches).
          const block = fanBlock(readers + 20 + 10 * i)
          const r = await runInstrumented(ex, block, new MapBaseState(mockBaseEntries(block.keyCount)), false, fanLatches(readers))
          expect(String(r.stats.fallback), `block ${i}`).toMatch(/^serial: /)
        }
      } finally {
        await ex.close()
      }
    })
  }

  it("threads 3: in serial mode all workers but one run the VM's prefetch for the calling thread; otherwise none does", async () => {
    const ex = await createBlockSTMExecutor({ threads: 3, vmModule: INSTRUMENTED_VM, minParallelTxs: 0, serialFallbackRatio: 0 })
    /** Waits until `want` prefetches have started (up to 10 s on a loaded machine), then 30 ms for any extra one. */
    const settled = async (counters: SharedArrayBuffer, n: number, want: number) => {
      for (let i = 0; i < 1000 && readCounters(counters, n).prefetches < want; i++) await new Promise((r) => setTimeout(r, 10))
      await new Promise((r) => setTimeout(r, 30))
      return readCounters(counters, n)
    }
    try {
      // A block forced into serial mode (fanLatches).
      const readers = serialReaders(3, 1)
      const block = fanBlock(readers + 30)
      const n = block.txs.length
      const counters = countersFor(n)
      const base = new MapBaseState(mockBaseEntries(block.keyCount))
      const r = await runParallel(ex, { txCount: n, payload: { block, counters, latches: fanLatches(readers) }, base })
      if (!r.ok) throw new Error(`block failed: ${r.message}`)
      expect(String(r.stats?.fallback)).toMatch(/^serial: /)
      const c = await settled(counters, n, 2)
      expect(c.latchTimeouts).toBe(0)
      expect(c.prefetches).toBe(2)
      expect(c.prefetchFromSum).toBe(0)
      // A conflict-free block never goes serial: nobody prefetches.
      const free: MockBlock = { keyCount: 40, txs: Array.from({ length: 40 }, (_, i) => ({ ops: [{ op: 'write', k: i, salt: i }] as MockOp[] })) }
      const counters2 = countersFor(40)
      const r2 = await runParallel(ex, { txCount: 40, payload: { block: free, counters: counters2 }, base: new MapBaseState(mockBaseEntries(40)) })
      if (!r2.ok) throw new Error(`block failed: ${r2.message}`)
      expect(r2.stats?.fallback).toBeUndefined()
      // (absence: what a worker would have started by now, with 300 ms to start it)
      await new Promise((r) => setTimeout(r, 300))
      expect(readCounters(counters2, 40).prefetches).toBe(0)
    } finally {
      await ex.close()
    }
  })

  it('threads 3 × 2 lanes: an announced block is prefetched by all workers but one, which then execute it on the payload they prepared; another block is not', async () => {
    const ex = await createBlockSTMExecutor({ threads: 3, lanes: 2, vmModule: INSTRUMENTED_VM, minParallelTxs: 0 })
    try {
      const make = (n: number) => {
        const block: MockBlock = { keyCount: n, txs: Array.from({ length: n }, (_, i) => ({ ops: [{ op: 'read', k: (i * 7) % n }, { op: 'write', k: i, salt: i }] as MockOp[] })) }
        return { block, counters: countersFor(n), base: new MapBaseState(mockBaseEntries(n)) }
      }
      const a = make(30)
      const payload = { block: a.block, counters: a.counters }
      ex.announce(payload)
      const seq = await runSequential(sequential, { txCount: 30, payload: a.block, base: a.base })
      const par = await runParallel(ex, { txCount: 30, payload, base: a.base })
      expect(divergence(seq, par, 30)).toBeUndefined()
      const c = readCounters(a.counters, 30)
      expect(c.prefetches).toBe(2)
      expect(c.prefetchFromSum).toBe(0)
      expect(c.onPrefetched).toBe(2 * 2) // 2 prefetching workers × 2 lanes
      // Announced, but another payload object executed: nobody runs on the announced one.
      const b = make(30)
      ex.announce({ block: b.block, counters: b.counters })
      const other = { block: b.block, counters: b.counters }
      const par2 = await runParallel(ex, { txCount: 30, payload: other, base: b.base })
      expect(divergence(await runSequential(sequential, { txCount: 30, payload: b.block, base: b.base }), par2, 30)).toBeUndefined()
      expect(readCounters(b.counters, 30).onPrefetched).toBe(0)
    } finally {
      await ex.close()
    }
  })

  it('threads 3: a block whose critical path covers chainFallbackRatio of it runs on the calling thread while the workers prefetch for it; a shorter path, or the ratio at Infinity, runs in parallel', async () => {
    const ex = await createBlockSTMExecutor({ threads: 3, vmModule: INSTRUMENTED_VM, minParallelTxs: 0 })
    const off = await createBlockSTMExecutor({ threads: 3, vmModule: INSTRUMENTED_VM, minParallelTxs: 0, chainFallbackRatio: Infinity })
    const free = (n: number): MockBlock => ({ keyCount: n, txs: Array.from({ length: n }, (_, i) => ({ ops: [{ op: 'read', k: (i * 7) % n }, { op: 'write', k: i, salt: i }] as MockOp[] })) })
    try {
      for (const announced of [false, true]) {
        const block = chainBlock(50)
        const n = block.txs.length
        const counters = countersFor(n)
        const base = new MapBaseState(mockBaseEntries(block.keyCount))
        const payload = { block, counters }
        if (announced) ex.announce(payload)
        const r = await runParallel(ex, { txCount: n, payload, base, criticalPath: n - 5 })
        if (!r.ok) throw new Error(`block failed: ${r.message}`)
        expect(r.stats?.fallback).toMatch(new RegExp(`^sequential: its critical path is ${n - 5} of ${n} transactions .*the workers prefetched`))
        expect(r.stats?.executions).toBe(n)
        const seq = await runSequential(sequential, { txCount: n, payload: block, base })
        if (!seq.ok) throw new Error('the sequential run failed')
        expect(r.outputs).toEqual(seq.outputs)
        expect(r.writes).toEqual(seq.writes)
        // All workers but one prefetch, whether the block was announced or not.
        for (let i = 0; i < 1000 && readCounters(counters, n).prefetches < 2; i++) await new Promise((res) => setTimeout(res, 10))
        expect(readCounters(counters, n).prefetches).toBe(2)
      }
      for (const [exec, criticalPath] of [[ex, 20], [off, 40]] as const) {
        const block = free(40)
        const counters = countersFor(40)
        const base = new MapBaseState(mockBaseEntries(40))
        const r = await runParallel(exec, { txCount: 40, payload: { block, counters }, base, criticalPath })
        if (!r.ok) throw new Error(`block failed: ${r.message}`)
        expect(r.stats?.fallback).toBeUndefined()
        expect(divergence(await runSequential(sequential, { txCount: 40, payload: block, base }), r, 40)).toBeUndefined()
      }
    } finally {
      await ex.close()
      await off.close()
    }
  })

  /**
   * tx i: read key 0, credit key 1 by i, write key 0; the transactions in `throwAt` always
   * throw.
   * Only tx 0 (always in the committed prefix: it reads no other transaction's write) writes
   * keys 3..5, so the result needs the prefix's writes as well as the tail's.
   */
  function tailBlock(n: number, throwAt: readonly number[] = []): MockBlock {
    return {
      keyCount: 6,
      txs: Array.from({ length: n }, (_, i) => ({
        ops: [
          ...(i === 0 ? [3, 4, 5].map((k) => ({ op: 'write', k, salt: 99 })) : []),
          { op: 'read', k: 0 },
          { op: 'delta', k: 1, amount: i + 1 },
          ...(throwAt.includes(i) ? [{ op: 'throw', m: 1 }] : []),
          { op: 'write', k: 0, salt: i },
          ...(i % 3 === 0 ? [{ op: 'read', k: 1 }, { op: 'write', k: 2, salt: i }] : []),
        ] as MockOp[],
      })),
    }
  }

  for (const cfg of [
    { name: 'threads 2', threads: 2, lanes: 1, latencyUs: 0 },
    { name: 'threads 1 × 2 lanes over a slow source', threads: 1, lanes: 2, latencyUs: 200 },
  ]) {
    it(`${cfg.name}: the sequential tail keeps the committed prefix, equals sequential, and fails at the same transaction`, async () => {
      const ex = await createBlockSTMExecutor({ threads: cfg.threads, lanes: cfg.lanes, vmModule: INSTRUMENTED_VM, minParallelTxs: 0, serialFallbackRatio: 0 })
      try {
        // No failure; one in the tail; one in the committed prefix (tx 0) and one in the tail:
        // the block fails at the lowest, as sequential execution would.
        for (const throwAt of [[], [150], [0, 150]]) {
          const block = tailBlock(200, throwAt)
          const plain = new MapBaseState(mockBaseEntries(block.keyCount))
          const base = cfg.latencyUs > 0 ? new LatencyBaseState(plain, cfg.latencyUs) : plain
          const seq = await runSequential(sequential, { txCount: block.txs.length, payload: block, base })
          if (base instanceof LatencyBaseState) base.newBlock()
          // Serial mode is forced: tx 0 (which writes key 0) waits until the next readers
          // transactions (which read it) have executed once, so each of them is aborted.
          const counters = countersFor(block.txs.length)
          const latches = fanLatches(serialReaders(cfg.threads, cfg.lanes))
          const par = await runParallel(ex, { txCount: block.txs.length, payload: { block, counters, latches }, base })
          expect(readCounters(counters, block.txs.length).latchTimeouts).toBe(0)
          expect(divergence(seq, par, block.txs.length)).toBeUndefined()
          if (throwAt.length === 0) {
            expect(par.ok).toBe(true)
            const fallback = String((par as { stats: { fallback?: string } }).stats.fallback)
            expect(fallback).toMatch(/^serial: .* transactions (\d+)\.\.199 ran sequentially on the calling thread$/)
          } else {
            expect(par).toMatchObject({ ok: false, name: 'TransactionVMError', txIndex: throwAt[0] })
          }
        }
      } finally {
        await ex.close()
      }
    })
  }

  it('threads 1 × 4 lanes over a slow state source (regression: Atomics.waitAsync on a non-shared buffer)', async () => {
    const ex = await createBlockSTMExecutor({ threads: 1, lanes: 4, vmModule: MOCK_VM, minParallelTxs: 0, serialFallbackRatio: Infinity })
    try {
      // Every transaction reads the same few locations: lanes wait for each other's fetches.
      const block: MockBlock = {
        keyCount: 4,
        txs: Array.from({ length: 16 }, (_, i) => ({ ops: [{ op: 'read', k: i % 2 }, { op: 'write', k: 2 + (i % 2), salt: i }] as MockOp[] })),
      }
      const base = new LatencyBaseState(new MapBaseState(mockBaseEntries(4, () => true)), 2000)
      const job = { txCount: block.txs.length, payload: block, base }
      const seq = await runSequential(sequential, job)
      base.newBlock()
      expect(divergence(seq, await runParallel(ex, job).catch((e: Error) => ({ ok: false as const, txIndex: -2, name: e.name, message: e.message })), job.txCount)).toBeUndefined()
    } finally {
      await ex.close()
    }
  })
})
