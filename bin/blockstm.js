#!/usr/bin/env node
// The `blockstm` command. Installed from the registry or a tarball, it runs the compiled
// JavaScript in dist/: `blockstm block` from the command-line bundle (dist/cli-bundle/, one
// file per thread, for a one-block process's start-up), every other command from dist/cli/.
// In a clone (src/ present), it runs the TypeScript sources through tsx's loader instead, so
// that what runs is always the code being edited, never a stale build.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
const bundledBlock = new URL('../dist/cli-bundle/block.js', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else if (process.argv[2] === 'block' && existsSync(bundledBlock)) {
  await import(bundledBlock.href)
} else {
  await import('../dist/cli/main.js')
}
