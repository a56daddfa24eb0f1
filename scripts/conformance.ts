/**
 * The conformance battery behind docs/conformance.md: every BlockchainTests file under the given
 * folders through the reference (plain @ethereumjs runBlock), sequential, blockstm x1 and
 * blockstm x2, one JSON line per (file, engine) appended to the output file: passed, failed,
 * skipped, ms, and each failure or skip with its reason. A file already in the output for an
 * engine is not run again (the battery resumes after an interruption).
 *
 *   npx tsx scripts/conformance.ts <out.jsonl> <dir-or-file>... [--engines reference,sequential,blockstm1,blockstm2]
 *   npx tsx scripts/conformance.ts --summary <a.jsonl,b.jsonl> [<root>]   # per-folder and total counts (markdown), files not run
 *   npx tsx scripts/conformance.ts --times <fixtures-root> <out.jsonl>...  # test/support/ethtest-times.json
 *
 * `--times` writes, per file (relative to the fixtures root), the CPU milliseconds the CI sample
 * spends on it: the reference plus blockstm x2 (CPU time, so that a loaded machine does not
 * inflate it; where a line has only wall time, its wall time scaled by the battery's median
 * CPU/wall ratio).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { createEvmExecutor, type EvmExecutor } from '../src/evm/index.js'
import { listFixtureFiles, loadFixtureFile } from '../src/ethtest/fixtures.js'
import { runEthTest, type Backend } from '../src/ethtest/runner.js'

type EngineName = 'reference' | 'sequential' | 'blockstm1' | 'blockstm2'
interface Line {
  file: string
  engine: EngineName
  tests: number
  passed: number
  failed: number
  skipped: number
  ms: number
  /** CPU time of the process (all its threads) while the file ran: comparable across machine loads. */
  cpuMs?: number
  failures: Array<{ test: string; reason: string | undefined }>
  skips: Array<{ test: string; reason: string | undefined }>
}

const args = process.argv.slice(2)
if (args[0] === '--summary') summary(args[1]!.split(','), args[2])
else if (args[0] === '--times') times(args[1]!, args.slice(2))
else await run()

async function run(): Promise<void> {
  const out = args[0]!
  let engines: EngineName[] = ['reference', 'sequential', 'blockstm1', 'blockstm2']
  const paths: string[] = []
  for (let i = 1; i < args.length; i++) {
    if (args[i] === '--engines') engines = args[++i]!.split(',') as EngineName[]
    else paths.push(args[i]!)
  }
  const done = new Set<string>()
  if (existsSync(out)) for (const l of readFileSync(out, 'utf8').split('\n')) if (l.trim() !== '') {
    const j = JSON.parse(l) as Line
    done.add(`${j.engine}|${j.file}`)
  }
  const executors = new Map<EngineName, EvmExecutor>()
  const backend = (e: EngineName): Backend => {
    if (e === 'reference') return { kind: 'reference' }
    let ex = executors.get(e)
    if (ex === undefined) {
      ex = e === 'sequential' ? createEvmExecutor({ engine: 'sequential' }) : createEvmExecutor({ engine: 'blockstm', threads: e === 'blockstm1' ? 1 : 2 })
      executors.set(e, ex)
    }
    return { kind: 'engine', executor: ex }
  }
  for (const file of listFixtureFiles(paths)) {
    const tests = loadFixtureFile(file)
    for (const e of engines) {
      if (done.has(`${e}|${file}`)) continue
      const line: Line = { file, engine: e, tests: tests.length, passed: 0, failed: 0, skipped: 0, ms: 0, failures: [], skips: [] }
      const start = performance.now()
      const cpu0 = process.cpuUsage()
      for (const t of tests) {
        const r = await runEthTest(t, backend(e))
        line[r.status]++
        if (r.status === 'failed') line.failures.push({ test: t.name, reason: r.reason })
        if (r.status === 'skipped') line.skips.push({ test: t.name, reason: r.reason })
      }
      line.ms = Math.round(performance.now() - start)
      const cpu = process.cpuUsage(cpu0)
      line.cpuMs = Math.round((cpu.user + cpu.system) / 1000)
      appendFileSync(out, JSON.stringify(line) + '\n')
    }
  }
  for (const ex of executors.values()) await ex.close()
}

function summary(outs: string[], root?: string): void {
  const seen = new Set<string>()
  const lines = outs
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line))
    .filter((l) => {
      const k = `${l.engine}|${l.file}`
      if (seen.has(k)) return false
      seen.add(k)
      return root === undefined || !relative(root, l.file).startsWith('..')
    })
  const base = root ?? commonDir(lines.map((l) => l.file))
  const engines: EngineName[] = ['reference', 'sequential', 'blockstm1', 'blockstm2']
  const folders = new Map<string, Map<EngineName, { files: number; tests: number; passed: number; failed: number; skipped: number; ms: number }>>()
  const add = (folder: string, l: Line): void => {
    let m = folders.get(folder)
    if (m === undefined) folders.set(folder, (m = new Map()))
    const c = m.get(l.engine) ?? { files: 0, tests: 0, passed: 0, failed: 0, skipped: 0, ms: 0 }
    c.files++
    c.tests += l.tests
    c.passed += l.passed
    c.failed += l.failed
    c.skipped += l.skipped
    c.ms += l.ms
    m.set(l.engine, c)
  }
  for (const l of lines) {
    add(relative(base, dirname(l.file)), l)
    add('(all)', l)
  }
  console.log(`| folder | files | tests | ${engines.map((e) => `${e} passed/failed/skipped`).join(' | ')} |`)
  console.log(`|---|---:|---:|${engines.map(() => '---:').join('|')}|`)
  for (const [folder, m] of [...folders].sort(([a], [b]) => (a === '(all)' ? 1 : b === '(all)' ? -1 : a.localeCompare(b)))) {
    const any = [...m.values()].reduce((a, b) => (b.files > a.files ? b : a))
    console.log(`| ${folder} | ${any.files} | ${any.tests} | ${engines.map((e) => { const c = m.get(e); return c === undefined ? '–' : c.files < any.files ? `${c.passed}/${c.failed}/${c.skipped} (${c.files} files)` : `${c.passed}/${c.failed}/${c.skipped}` }).join(' | ')} |`)
  }
  const bad = new Map<string, Map<EngineName, string | undefined>>()
  for (const l of lines) for (const f of l.failures) {
    const k = `${relative(base, l.file)} ${f.test}`
    if (!bad.has(k)) bad.set(k, new Map())
    bad.get(k)!.set(l.engine, f.reason)
  }
  if (bad.size > 0) {
    console.log('\nFailures (engine: reason):')
    for (const [k, m] of bad) console.log(`- ${k}: ${[...m].map(([e, r]) => `${e}: ${r}`).join('; ')}`)
  }
  if (root !== undefined) {
    const missing = new Map<string, EngineName[]>()
    for (const f of listFixtureFiles([root])) {
      const not = engines.filter((e) => !seen.has(`${e}|${f}`))
      if (not.length > 0) missing.set(relative(root, f), not)
    }
    if (missing.size > 0) {
      const byFolder = new Map<string, number>()
      for (const f of missing.keys()) byFolder.set(dirname(f), (byFolder.get(dirname(f)) ?? 0) + 1)
      console.log(`\nNot run on every engine: ${missing.size} files (${[...byFolder].map(([d, n]) => `${d} ${n}`).join(', ')})`)
    }
  }
}

function commonDir(files: string[]): string {
  if (files.length === 0) return '.'
  let p = dirname(files[0]!)
  while (!files.every((f) => f.startsWith(p + '/'))) p = dirname(p)
  return p
}

function times(root: string, files: string[]): void {
  const lines = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line))
  const ratios = lines.filter((l) => l.cpuMs !== undefined && l.ms > 0).map((l) => l.cpuMs! / l.ms).sort((a, b) => a - b)
  const ratio = ratios.length > 0 ? ratios[Math.floor(ratios.length / 2)]! : 1
  const out: Record<string, number> = {}
  for (const l of lines) {
    if (l.engine !== 'reference' && l.engine !== 'blockstm2') continue
    const k = relative(root, l.file)
    out[k] = (out[k] ?? 0) + (l.cpuMs ?? Math.round(l.ms * ratio))
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)))
  process.stdout.write(JSON.stringify(sorted, null, 0).replace(/,"/g, ',\n"') + '\n')
}
