// One block executed several times by one executor in a fresh process (issue 12, item 5): wall
// time, the engine's time and the process's CPU time (all threads, V8's included) of each
// run, showing the cost of the first, cold run against the warm ones. Compiled package
// (dist/, `npm run build` first).
//   node scripts/cold-blocks.mjs <block dir> [sequential|blockstm] [threads] [caller] [runs]
// Figures and their reading: docs/benchmarks.md, "A one-block process".
const [dir, engine = 'blockstm', threadsArg = '2', callerArg, runsArg = '4'] = process.argv.slice(2)
if (dir === undefined) {
  console.error('usage: node scripts/cold-blocks.mjs <block dir> [sequential|blockstm] [threads] [caller] [runs]')
  process.exit(2)
}
const { createEvmExecutor, loadBlockFixture } = await import('../dist/evm/index.js')
const threads = engine === 'sequential' ? 1 : Number(threadsArg)
const ex = createEvmExecutor(engine === 'sequential' ? { engine } : { engine, threads, callerExecutes: callerArg === 'caller' })
await ex.start()
const fx = await loadBlockFixture(dir)
const runs = []
for (let i = 0; i < Number(runsArg); i++) {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  const r = await ex.executeBlock({ block: fx.block, preState: fx.preState, blockHashes: fx.blockHashes, senderHints: fx.senderHints })
  const c = process.cpuUsage(c0)
  runs.push({ wallMs: Math.round(performance.now() - t0), engineMs: Math.round(r.stats.wallMs), cpuMs: Math.round((c.user + c.system) / 1000), gasUsedMatches: r.headerMatch.gasUsed })
}
await ex.close()
console.log(JSON.stringify({ engine, threads, callerExecutes: callerArg === 'caller', runs }))
