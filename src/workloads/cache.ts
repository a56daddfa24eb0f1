/**
 * On-disk cache of generated workloads, stored in the fixture format (block.json,
 * prestate.json, workload.json) under `node_modules/.cache/blockstm-workloads/<name>-<key>/`.
 * The key hashes the parameters and a generator version; bump `GENERATOR_VERSION` whenever
 * a change to the generators alters their output.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { keccak_256 } from '@noble/hashes/sha3.js'
import { bytesToHex, utf8ToBytes } from '@ethereumjs/util'
import { readFixture, writeFixture } from './fixture.js'
import type { Workload, WorkloadParams } from './types.js'

export const GENERATOR_VERSION = 1

export interface CacheOptions {
  /** Cache directory; `false` disables the cache. */
  cacheDir?: string | false
}

export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/blockstm-workloads', import.meta.url))

function cacheKey(p: WorkloadParams): string {
  const canonical = JSON.stringify({ v: GENERATOR_VERSION, kind: p.kind, txs: p.txs, accounts: p.accounts, seed: String(p.seed), zipf: p.zipf ?? 0 })
  return bytesToHex(keccak_256(utf8ToBytes(canonical))).slice(2, 14)
}

export async function cachedWorkload(
  params: WorkloadParams,
  options: CacheOptions,
  build: (p: WorkloadParams) => Promise<Workload>,
): Promise<Workload> {
  const base = options.cacheDir === undefined ? DEFAULT_CACHE_DIR : options.cacheDir
  if (base === false) return build(params)
  const name = `${params.kind}-t${params.txs}-a${params.accounts}`
  const dir = join(base, `${name}-${cacheKey(params)}`)
  if (existsSync(join(dir, 'workload.json'))) {
    try {
      const f = readFixture(dir)
      return { name: f.meta!.name, description: f.meta!.description, params: f.meta!.params, block: f.block, common: f.common, preState: f.preState }
    } catch {
      // unreadable cache entry: rebuild it below
    }
  }
  const w = await build(params)
  mkdirSync(base, { recursive: true })
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`
  writeFixture(w, tmp)
  rmSync(dir, { recursive: true, force: true })
  try {
    renameSync(tmp, dir)
  } catch {
    rmSync(tmp, { recursive: true, force: true })
  }
  return w
}
