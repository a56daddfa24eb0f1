/**
 * The jump-analysis cache (src/evm/jumpAnalysis.ts): entries are found by comparing code in
 * full, so two codes of the same length with JUMPDESTs in different places never share an
 * analysis, and an EVM without the cache keeps @ethereumjs's behaviour.
 */
import { describe, expect, it } from 'vitest'
import { createEVM } from '@ethereumjs/evm'
import { bytesToBigInt } from '@ethereumjs/util'
import { enableJumpAnalysisCache } from '../src/evm/jumpAnalysis.js'

// PUSH1 dest; JUMP; then a JUMPDEST at `dest` that returns `value` (one byte), the other a
// plain byte: both codes have the same length, only the JUMPDEST position differs.
function code(dest: number, value: number): Uint8Array {
  const body = new Array<number>(16).fill(0x00)
  body[0] = 0x60 // PUSH1
  body[1] = dest
  body[2] = 0x56 // JUMP
  body[dest] = 0x5b // JUMPDEST
  body.splice(dest + 1, 9, 0x60, value, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00) // MSTORE value at 0; PUSH 32; PUSH 0
  body[dest + 10] = 0xf3 // RETURN
  return Uint8Array.from(body.slice(0, 16))
}

async function run(evm: Awaited<ReturnType<typeof createEVM>>, c: Uint8Array): Promise<{ value?: bigint; error?: string }> {
  const r = await evm.runCode({ code: c, gasLimit: 100_000n })
  return r.exceptionError ? { error: r.exceptionError.error } : { value: bytesToBigInt(r.returnValue) }
}

describe('jump-analysis cache', () => {
  it('gives each code its own analysis, cached or not', async () => {
    const a = code(3, 0xaa)
    const b = code(4, 0xbb)
    expect(a.length).toBe(b.length)
    // Same length as `b`, jumps to 4 (a JUMPDEST in `b`, not in itself): a cache that
    // matched on length or on a hash prefix would let this jump succeed.
    const bad = Uint8Array.from(a)
    bad[1] = 4
    const cached = await createEVM()
    await enableJumpAnalysisCache(cached)
    const plain = await createEVM()
    for (const evm of [cached, plain]) {
      for (let round = 0; round < 2; round++) {
        expect(await run(evm, a)).toEqual({ value: 0xaan })
        expect(await run(evm, b)).toEqual({ value: 0xbbn })
        expect(await run(evm, bad)).toEqual({ error: expect.stringMatching(/^invalid JUMP/) })
        // A fresh copy of the same bytes (values read from shared memory are copies).
        expect(await run(evm, Uint8Array.from(a))).toEqual({ value: 0xaan })
      }
    }
  })
})
