// Where a cold `blockstm block` process spends its time (issue 12, item 5): one block through
// the compiled package (dist/, `npm run build` first), phases from the process start, and for
// blockstm the per-thread execution times by decile of the transactions each worker ran
// (from the engine's trace), showing the workers' JIT warming up on this one block.
//   node scripts/cold-process.mjs <block dir> [sequential|blockstm] [threads] [caller]
// (`caller`: the calling thread executes as one of the threads, as `blockstm block` does.)
// Figures and their reading: docs/benchmarks.md, "Packaging and start-up (issue 12)".
const [dir, engine = 'blockstm', threadsArg = '2', callerArg] = process.argv.slice(2)
if (dir === undefined) {
  console.error('usage: node scripts/cold-process.mjs <block dir> [sequential|blockstm] [threads]')
  process.exit(2)
}
const since = () => performance.now().toFixed(0)
const { createEvmExecutor, loadBlockFixture } = await import('../dist/evm/index.js')
const phases = { imported: since() }
const threads = engine === 'sequential' ? 1 : Number(threadsArg)
const ex = createEvmExecutor(engine === 'sequential' ? { engine } : { engine, threads, trace: true, callerExecutes: callerArg === 'caller' })
const started = ex.start().then(() => (phases.workersReady = since()))
const fx = await loadBlockFixture(dir)
phases.fixtureLoaded = since()
await started
const t0 = performance.timeOrigin + performance.now()
const r = await ex.executeBlock({ block: fx.block, preState: fx.preState, blockHashes: fx.blockHashes, senderHints: fx.senderHints })
phases.executed = since()
await ex.close()
phases.closed = since()
const out = { engine, threads, callerExecutes: callerArg === 'caller', txs: r.txCount, phasesMs: phases, engineWallMs: Math.round(r.stats.wallMs), headerMatch: r.headerMatch }
if (r.trace !== undefined) {
  out.perThread = []
  for (let th = 0; th < threads; th++) {
    const ev = r.trace.filter((e) => e.thread === th).sort((a, b) => a.start - b.start)
    const execs = ev.filter((e) => e.kind === 'execute')
    if (execs.length === 0) continue
    const decile = (k) => {
      const part = execs.slice(Math.floor((k / 10) * execs.length), Math.floor(((k + 1) / 10) * execs.length))
      return +(part.reduce((s, e) => s + e.end - e.start, 0) / Math.max(1, part.length)).toFixed(2)
    }
    out.perThread.push({ thread: th, firstTaskMs: Math.round(ev[0].start - t0), lastEndMs: Math.round(ev.at(-1).end - t0), executions: execs.length, msPerExecutionByDecile: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(decile) })
  }
}
console.log(JSON.stringify(out))
