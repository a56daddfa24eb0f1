/**
 * The blocks `blockstm bench` runs: a generated workload (src/workloads, disk-cached) or a
 * fixture directory in the format of `blockstm block` (block.json, prestate.json and
 * block_hashes.json in the directory or its parent).
 */
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Block } from '@ethereumjs/block'
import type { Common } from '@ethereumjs/common'
import { loadBlockFixture, type BlockHashes, type PreState } from '../evm/index.js'
import { generateWorkload, type WorkloadParams } from '../workloads/index.js'

export interface BenchBlock {
  /** A short name: the workload name or the fixture directory. */
  label: string
  block: Block
  common: Common
  preState: PreState
  blockHashes: BlockHashes
  senderHints?: Array<string | undefined>
}

export async function workloadBlock(params: WorkloadParams): Promise<BenchBlock> {
  const w = await generateWorkload(params)
  return { label: w.name, block: w.block, common: w.common, preState: w.preState, blockHashes: new Map() }
}

export async function fixtureBlock(dir: string): Promise<BenchBlock> {
  const f = await loadBlockFixture(dir)
  return { label: dir, block: f.block, common: f.common, preState: f.preState, blockHashes: f.blockHashes, senderHints: f.senderHints }
}

/** The block directories (holding block.json) of a fixtures directory, by block number. */
export function fixtureDirs(root: string): string[] {
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new Error(`${root}: directory not found`)
  const dirs = readdirSync(root)
    .map((d) => join(root, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, 'block.json')))
  const num = (d: string) => Number(/(\d+)$/.exec(d)?.[1] ?? Number.MAX_SAFE_INTEGER)
  return dirs.sort((a, b) => num(a) - num(b) || (a < b ? -1 : 1))
}
