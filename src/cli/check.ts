/**
 * `blockstm check --vm <module>`: the determinism kit (src/testing) from the command line.
 * The module (`.js`, or `.ts` where TypeScript runs: see src/testing/module.ts) exports
 * `createTransactionVM(payload, lane)` and `blocks(fc)`, an arbitrary of blocks
 * `{ txCount, payload, base }` (`base`: the pre-block state as `[key, value]` pairs of
 * Uint8Array). `--vm mock` and `--vm evm` check the built-in mock VM and the EVM binding.
 *
 * Prints a progress bar (stderr), then the counts; on a divergence the seed (and path) to
 * replay, the configuration, the first differing transaction and location, and the shrunk
 * block as JSON. Exit status: 0 deterministic on every generated block, 1 a divergence, 2
 * bad input (one line: a module that does not load, exports no VM or no generator, bad
 * options).
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { UsageError, positiveInt, positiveIntList } from './util.js'

interface CheckOpts {
  vm: string
  runs: number
  threads: number[]
  lanes: number
  seed?: number
  path?: string
  engine: string
  scheduler?: string
  delays: boolean
  deterministic?: boolean
  json?: boolean
}

function seedOf(v: string): number {
  const n = Number(v)
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) throw new UsageError('--seed must be a 32-bit integer')
  return n
}

export async function runCheckCommand(o: CheckOpts): Promise<number> {
  if (o.engine !== 'blockstm' && o.engine !== 'static-batch') throw new UsageError(`--engine must be blockstm or static-batch, got ${JSON.stringify(o.engine)}`)
  if (o.path !== undefined && !/^\d+(:\d+)*$/.test(o.path)) throw new UsageError('--path must look like 3:0:1 (as printed by a failed check)')
  let fc: typeof import('fast-check').default
  try {
    fc = (await import('fast-check')).default
  } catch {
    throw new UsageError('blockstm check needs fast-check (npm install fast-check)')
  }
  const { SCHEDULER_KINDS } = await import('../scheduler/types.js')
  const schedulers = o.scheduler === undefined ? undefined : o.scheduler.split(',').map((x) => x.trim())
  for (const sc of schedulers ?? []) {
    if (!(SCHEDULER_KINDS as readonly string[]).includes(sc)) throw new UsageError(`--scheduler: unknown scheduler ${JSON.stringify(sc)} (known: ${SCHEDULER_KINDS.join(', ')})`)
  }
  const kit = await import('../testing/index.js')
  let vmModule: string
  if (o.vm === 'mock') vmModule = kit.MOCK_VM_MODULE
  else if (o.vm === 'evm') vmModule = (await import('../testing/evmVm.js')).EVM_VM_MODULE
  else {
    vmModule = resolve(o.vm)
    if (!existsSync(vmModule)) throw new UsageError(`--vm: no such file ${o.vm}`)
  }
  let blocks: import('fast-check').Arbitrary<unknown>
  if (o.vm === 'mock') blocks = kit.mockBlocks({ maxTxs: 60 })
  else {
    let mod: import('../testing/index.js').CheckModule
    try {
      mod = await kit.loadCheckModule(vmModule)
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e))
    }
    try {
      blocks = mod.blocks(fc)
    } catch (e) {
      throw new UsageError(`${o.vm}: blocks(fc) threw: ${e instanceof Error ? e.message : String(e)}`)
    }
    if (!(blocks instanceof fc.Arbitrary)) throw new UsageError(`${o.vm}: blocks(fc) must return a fast-check arbitrary (built with the fc it is given)`)
  }

  // The progress bar needs cli-progress (an optional dependency): without it, no bar.
  const cliProgress = await import('cli-progress').then(
    (m) => m.default,
    () => undefined,
  )
  const bar = cliProgress && new cliProgress.SingleBar({ format: 'check [{bar}] {value}/{total} blocks', stream: process.stderr, clearOnComplete: false, hideCursor: true }, cliProgress.Presets.shades_classic)
  bar?.start(o.runs, 0)
  const started = performance.now()
  try {
    const report = await kit.checkDeterminism({
      vmModule,
      blocks,
      runs: o.runs,
      threads: o.threads,
      lanes: o.lanes,
      engine: o.engine as 'blockstm' | 'static-batch',
      ...(schedulers !== undefined ? { scheduler: schedulers as Array<'v1' | 'v2'> } : {}),
      delays: o.delays === false ? false : o.deterministic === true ? 'deterministic' : true,
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.path !== undefined ? { path: o.path } : {}),
      onProgress: (done) => bar?.update(done),
    })
    bar?.stop()
    const secs = ((performance.now() - started) / 1000).toFixed(1)
    if (o.json === true) process.stdout.write(JSON.stringify({ ok: true, ...report }) + '\n')
    else {
      process.stdout.write(
        `deterministic: ${report.blocks} blocks (${report.transactions} transactions, ${report.failingBlocks} failing in the VM), ` +
          `${report.parallelRuns} ${o.engine} runs on ${report.configs.join(', ')} equal to sequential execution ` +
          `(${report.runsWithAborts} with aborts, ${report.runsWithDependencyWaits} with dependency waits, ${report.runsSerial} serial); seed ${report.seed}; ${secs} s\n`,
      )
    }
    return 0
  } catch (e) {
    bar?.stop()
    if (e instanceof kit.DeterminismError) {
      if (o.json === true) {
        process.stdout.write(
          JSON.stringify({
            ok: false,
            seed: e.seed,
            path: e.path,
            engine: e.divergence?.engine,
            threads: e.threads,
            lanes: e.divergence?.lanes,
            scheduler: e.divergence?.scheduler,
            txIndex: e.txIndex,
            location: e.location,
            difference: e.divergence?.difference.summary ?? e.message.split('\n')[0],
            block: JSON.parse(e.blockJSON) as unknown,
          }) + '\n',
        )
      } else {
        process.stdout.write(e.message.split('\n').slice(0, -1).join('\n') + '\n')
        const flags = ` --threads ${o.threads.join(',')}${o.lanes !== 1 ? ` --lanes ${o.lanes}` : ''}${o.deterministic === true ? ' --deterministic' : ''}`
        process.stdout.write(`  replay with: blockstm check --vm ${o.vm} --seed ${e.seed}${e.path !== undefined ? ` --path ${e.path}` : ''}${flags}\n`)
        process.stdout.write(`shrunk block (${e.numShrinks} shrinks): ${e.blockJSON}\n`)
      }
      return 1
    }
    if (e instanceof kit.KitInputError || e instanceof kit.VMModuleError) throw new UsageError(e.message)
    throw e
  }
}

export function registerCheckCommand(program: Command): Command {
  return program
    .command('check')
    .description('check that a transaction VM stays deterministic under Block-STM (random blocks from its blocks(fc), forced interleavings, shrunk counterexamples)')
    .requiredOption('--vm <module>', 'VM module exporting createTransactionVM and blocks(fc) (.js, or .ts under tsx); or mock, evm')
    .option('--runs <n>', 'generated blocks', positiveInt('--runs'), 100)
    .option('--threads <list>', 'comma-separated thread counts', positiveIntList('--threads'), [1, 2, 4])
    .option('--lanes <n>', 'concurrent executions per thread', positiveInt('--lanes'), 1)
    .option('--seed <s>', 'fast-check seed (printed by a failed check) to replay', seedOf)
    .option('--path <p>', 'fast-check counterexample path (printed by a failed check) to replay with --seed')
    .option('--engine <name>', 'blockstm | static-batch (with the oracle predictor)', 'blockstm')
    .option('--scheduler <list>', 'Block-STM scheduler(s), comma-separated: v1, v2 (default: the engine\'s)')
    .option('--no-delays', 'no random pauses around reads')
    .option('--deterministic', 'pauses through microtasks only, chosen by the seed: with --threads 1 and --lanes ≥ 2 every run (and a replay) is a pure function of the seed')
    .option('--json', 'print the result as one JSON object')
    .action(async (o: CheckOpts) => {
      process.exitCode = await runCheckCommand(o)
    })
}
