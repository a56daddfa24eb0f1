/**
 * README "Testing your own VM" runs as written: its two TypeScript files (myVm.ts, check.ts)
 * are extracted into a fresh directory where `blockstm-evm` resolves to this checkout's
 * sources and `fast-check` to its installed copy, then `check.ts` runs under tsx (its
 * `checkDeterminism` must pass: exit 0 and the counts printed), and the README's
 * `blockstm check --vm myVm.ts` line runs on the extracted module.
 */
import { describe, expect, it } from 'vitest'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const repo = resolve(import.meta.dirname, '..')

function run(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, args, { cwd })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    p.on('close', (code) => done({ code, stdout, stderr }))
  })
}

/** The README section's files: fenced ts blocks whose first line is `// <name>.ts: ...`. */
function readmeFiles(): Map<string, string> {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8')
  const start = readme.indexOf('## Testing your own VM')
  expect(start).toBeGreaterThan(0)
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
  const files = new Map<string, string>()
  for (const m of section.matchAll(/```ts\n(\/\/ ([\w.]+\.ts):[^\n]*\n[\s\S]*?)```/g)) files.set(m[2]!, m[1]!)
  return files
}

describe('README "Testing your own VM"', () => {
  it('the example runs as written', async () => {
    const files = readmeFiles()
    expect([...files.keys()]).toEqual(['myVm.ts', 'check.ts'])
    const dir = mkdtempSync(join(tmpdir(), 'blockstm-readme-kit-'))
    try {
      for (const [name, text] of files) writeFileSync(join(dir, name), text)
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' })) // an ESM project, as the README says
      const nm = join(dir, 'node_modules')
      mkdirSync(join(nm, 'blockstm-evm'), { recursive: true })
      symlinkSync(join(repo, 'node_modules', 'fast-check'), join(nm, 'fast-check'))
      // blockstm-evm's entries, served from this checkout's sources.
      writeFileSync(join(nm, 'blockstm-evm', 'package.json'), JSON.stringify({ name: 'blockstm-evm', type: 'module', exports: { './testing': './testing.js', './engine': './engine.js' } }))
      writeFileSync(join(nm, 'blockstm-evm', 'testing.js'), `export * from ${JSON.stringify(pathToFileURL(join(repo, 'src/testing/index.ts')).href)}\n`)
      writeFileSync(join(nm, 'blockstm-evm', 'engine.js'), `export * from ${JSON.stringify(pathToFileURL(join(repo, 'src/executor/index.ts')).href)}\n`)
      const tsx = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href
      const [example, cli] = await Promise.all([
        run(['--import', tsx, 'check.ts'], dir),
        run([join(repo, 'bin', 'blockstm.js'), 'check', '--vm', 'myVm.ts', '--runs', '200', '--threads', '1,2,4'], dir),
      ])
      expect(example.code, example.stderr).toBe(0)
      expect(example.stdout).toMatch(/^deterministic: 100 blocks, 300 parallel runs, \d+ with aborts\n$/)
      expect(cli.code, cli.stderr).toBe(0)
      expect(cli.stdout).toMatch(/^deterministic: 200 blocks .* 600 blockstm runs on threads 1 × lanes 1, threads 2 × lanes 1, threads 4 × lanes 1 equal to sequential execution/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
