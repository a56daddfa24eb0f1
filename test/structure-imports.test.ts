/**
 * No import cycle in src/: neither between files (what `madge --circular` reports, the check
 * .ci/run also runs) nor between its folders, which are the layers (mvmemory → scheduler,
 * validation → executor → planner → evm → bench, report, cli ...; the folder graph must stay a
 * DAG so that a layer never imports one above it). Type-only imports count: a cycle through
 * types is still a cycle for a reader.
 *
 * The second test proves the check can fail: it copies src/ to a temporary folder, adds one
 * import that closes a loop (the multi-version memory importing the EVM binding) and expects
 * both the file cycle and the folder cycle to be reported.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import madge from 'madge'
import { describe, expect, it } from 'vitest'

// typescript-estree (inside madge) warns about a deprecated AST property on every file.
process.noDeprecation = true

const SRC = new URL('../src', import.meta.url).pathname

/** File cycles (madge) and folder cycles of the tree under `dir`. */
async function importCycles(dir: string): Promise<{ files: string[][]; folders: string[][] }> {
  const graph = await madge(dir, { fileExtensions: ['ts'] })
  const files = graph.circular()
  const edges = new Map<string, Set<string>>()
  const folder = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : '.')
  for (const [f, deps] of Object.entries(graph.obj())) {
    for (const d of deps) {
      if (folder(f) === folder(d)) continue
      let s = edges.get(folder(f))
      if (s === undefined) edges.set(folder(f), (s = new Set()))
      s.add(folder(d))
    }
  }
  // Cycles of the folder graph: a depth-first search reporting each back edge's loop.
  const folders: string[][] = []
  const state = new Map<string, 1 | 2>()
  const path: string[] = []
  const visit = (n: string) => {
    state.set(n, 1)
    path.push(n)
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 1) folders.push([...path.slice(path.indexOf(m)), m])
      else if (state.get(m) === undefined) visit(m)
    }
    path.pop()
    state.set(n, 2)
  }
  for (const n of [...edges.keys()].sort()) if (state.get(n) === undefined) visit(n)
  return { files, folders }
}

describe('import structure of src/', () => {
  it('has no import cycle between files or between folders', async () => {
    const { files, folders } = await importCycles(SRC)
    expect(files, 'file cycles').toEqual([])
    expect(folders, 'folder cycles').toEqual([])
  }, 60_000)

  it('the check fails on a deliberately added cycle', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blockstm-cycle-'))
    try {
      cpSync(SRC, dir, { recursive: true })
      const victim = join(dir, 'mvmemory', 'numeric.ts')
      writeFileSync(victim, `import '../evm/index.js'\n${readFileSync(victim, 'utf8')}`)
      const { files, folders } = await importCycles(dir)
      expect(files.some((c) => c.includes('mvmemory/numeric.ts') && c.includes('evm/index.ts'))).toBe(true)
      expect(folders.some((c) => c.includes('mvmemory') && c.includes('evm'))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 60_000)
})
