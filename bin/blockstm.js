#!/usr/bin/env node
// The `blockstm` command. Runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
