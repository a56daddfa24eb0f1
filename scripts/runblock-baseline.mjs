#!/usr/bin/env node
/**
 * The baseline of the whole-process comparison (docs/benchmarks.md, "Packaging and start-up"):
 * what a user runs today without this package — plain @ethereumjs `runBlock` on a
 * `MerkleStateManager` with default crypto, on a block fixture directory (block.json,
 * prestate.json, block_hashes.json in <dir> or its parent). Plain JavaScript, no loader.
 *
 *   node scripts/runblock-baseline.mjs <dir>
 *
 * Prints the block's gasUsed and whether it matches the header; exits 1 when it does not.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Common, Hardfork, Mainnet } from '@ethereumjs/common'
import { createBlockFromRPC } from '@ethereumjs/block'
import { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, Address, hexToBytes, setLengthLeft, bigIntToBytes } from '@ethereumjs/util'
import { createVM, runBlock } from '@ethereumjs/vm'

const dir = process.argv[2]
const t0 = performance.now()
const json = JSON.parse(readFileSync(join(dir, 'block.json'), 'utf8'))
const common = new Common({ chain: Mainnet, hardfork: Hardfork.Chainstart })
common.setHardforkBy({ blockNumber: BigInt(json.number), timestamp: BigInt(json.timestamp) })
const block = createBlockFromRPC(json, [], { common, setHardfork: false })

const sm = new MerkleStateManager({ common })
const pre = JSON.parse(readFileSync(join(dir, 'prestate.json'), 'utf8'))
for (const [a, acc] of Object.entries(pre)) {
  const address = new Address(hexToBytes(a))
  await sm.putAccount(address, new Account(BigInt(acc.nonce ?? 0), BigInt(acc.balance ?? '0x0')))
  if (acc.code !== undefined && acc.code !== '0x') await sm.putCode(address, hexToBytes(acc.code))
  for (const [slot, value] of Object.entries(acc.storage ?? {})) {
    if (BigInt(value) !== 0n) await sm.putStorage(address, setLengthLeft(hexToBytes(slot), 32), bigIntToBytes(BigInt(value)))
  }
}
await sm.checkpoint()
await sm.commit()

let hashes = {}
for (const f of [join(dir, 'block_hashes.json'), join(dirname(dir), 'block_hashes.json')]) {
  if (existsSync(f)) {
    hashes = JSON.parse(readFileSync(f, 'utf8'))
    break
  }
}
const blockchain = {
  async getBlock(n) {
    const h = hashes[String(n)]
    if (h === undefined) throw new Error(`no hash for block ${n}`)
    return { hash: () => hexToBytes(h) }
  },
  shallowCopy() {
    return this
  },
}
const vm = await createVM({ common, stateManager: sm, blockchain })
const t1 = performance.now()
const r = await runBlock(vm, { block, generate: true, skipBlockValidation: true, skipHeaderValidation: true })
const t2 = performance.now()
const ok = r.gasUsed === block.header.gasUsed
console.log(`block ${block.header.number}, ${block.transactions.length} txs, runBlock ${(t2 - t1).toFixed(0)} ms (setup ${(t1 - t0).toFixed(0)} ms), gasUsed ${r.gasUsed} ${ok ? 'ok' : 'MISMATCH'}`)
process.exitCode = ok ? 0 : 1
