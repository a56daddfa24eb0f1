#!/usr/bin/env node
// The `blockstm` command. Installed from the registry or a tarball, it runs the compiled
// JavaScript in dist/. In a clone (src/ present), it runs the TypeScript sources through
// tsx's loader instead, so that what runs is always the code being edited, never a stale build.
import { existsSync } from 'node:fs'

const source = new URL('../src/cli/main.ts', import.meta.url)
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
} else {
  await import('../dist/cli/main.js')
}
