/**
 * The import graph of src/ behind docs/architecture.md (needs Graphviz's `dot` on the PATH):
 *   - docs/import-graph.svg: the folders (layers) of src/ and which imports which, each edge
 *     labelled with the number of file imports behind it (the graph test/structure-imports.test.ts
 *     keeps acyclic);
 *   - docs/import-graph-files.svg: every file (madge's image).
 *
 *   npx tsx scripts/import-graph.ts
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import madge from 'madge'

process.noDeprecation = true
const root = fileURLToPath(new URL('..', import.meta.url))
const graph = await madge(`${root}src`, { fileExtensions: ['ts'] })
const folder = (f: string) => (f.includes('/') ? f.slice(0, f.indexOf('/')) : 'index.ts')
const counts = new Map<string, number>()
const files = new Map<string, number>()
for (const [f, deps] of Object.entries(graph.obj())) {
  files.set(folder(f), (files.get(folder(f)) ?? 0) + 1)
  for (const d of deps) {
    if (folder(f) === folder(d)) continue
    const k = `${folder(f)}\t${folder(d)}`
    counts.set(k, (counts.get(k) ?? 0) + 1)
  }
}
const lines = ['digraph src {', '  rankdir=TB; node [shape=box, style=rounded, fontname="Helvetica"]; edge [color="#555555", fontname="Helvetica", fontsize=9];']
for (const [f, n] of [...files].sort()) lines.push(`  "${f}" [label="${f}${f.endsWith('.ts') ? '' : '/'}\\n${n} file${n === 1 ? '' : 's'}"];`)
for (const [k, n] of [...counts].sort()) {
  const [a, b] = k.split('\t')
  lines.push(`  "${a}" -> "${b}" [label="${n}"];`)
}
lines.push('}')
execFileSync('dot', ['-Tsvg', '-o', `${root}docs/import-graph.svg`], { input: lines.join('\n') })
await graph.image(`${root}docs/import-graph-files.svg`)
console.log(`docs/import-graph.svg: ${files.size} folders, ${counts.size} edges; docs/import-graph-files.svg: ${Object.keys(graph.obj()).length} files`)
