/**
 * A cache of @ethereumjs's jump-destination analysis, for the EVMs of this binding only.
 *
 * @ethereumjs/evm 10 analyses a contract's code at every message call that reaches a JUMP:
 * one pass over the whole code that marks JUMPDESTs, decodes every PUSH immediate into a
 * bigint and looks up every opcode. For large contracts called by every transaction (a
 * Uniswap router of ~20 KB, its pairs, the tokens) that pass dominated execution: 37 % of a
 * Uniswap block's sequential time here, more than the interpreter itself.
 *
 * Invariants:
 * - The analysis is a pure function of the code bytes and of the EVM's opcode table and
 *   rules; the cache is therefore held per EVM instance (`enableJumpAnalysisCache(evm)`),
 *   and an entry is found by comparing the code in full (`Buffer.compare`), never by hash or
 *   by identity alone. Values read from the multi-version memory are fresh copies, so
 *   identity would miss.
 * - The cached result is shared between calls: the interpreter only reads it (`validJumps`,
 *   `cachedPushes`, the opcode list).
 * - EVMs not enabled (the `ethereumjs` reference engine, users' own VMs in the same process)
 *   run the original method unchanged.
 * - The cache is bounded: past {@link MAX_BYTES} of cached code it is emptied and refilled.
 * - How the method is reached: never by a file path inside @ethereumjs/evm. The interpreter
 *   class is found through a supported hook — a custom opcode (`EVMOpts.customOpcodes`) on a
 *   throw-away EVM, whose handler receives the run state, which holds the interpreter — and
 *   the method it replaces is private, so @ethereumjs/evm is pinned to an exact version in
 *   package.json and the shape is checked once per thread before use: the analysis of a small
 *   code must come back as `{ jumps: Uint8Array, pushes, opcodesCached: Array }` with its
 *   JUMPDEST marked, through the wrapper. Anything else fails loudly, naming the version.
 */
import { createEVM, EVM } from '@ethereumjs/evm'

interface Analysis {
  jumps: Uint8Array
  pushes: Record<number, bigint>
  opcodesCached: unknown[]
}

interface Entry {
  code: Uint8Array
  analysis: Analysis
}

interface JumpCache {
  byLength: Map<number, Entry[]>
  bytes: number
}

interface InterpreterLike {
  _evm: object
}

const MAX_BYTES = 8 * 1024 * 1024
const caches = new WeakMap<object, JumpCache>()
let installed: Promise<void> | undefined

type AnalysisMethod = (this: InterpreterLike, code: Uint8Array) => Analysis

/** The opcode byte the probe EVM defines (unassigned in every fork @ethereumjs knows). */
const PROBE_OPCODE = 0x0c

function unsupported(what: string): Error {
  return new Error(`blockstm-evm: @ethereumjs/evm's interpreter is not the one this package was built for (${what}); install the exact @ethereumjs/evm version named in blockstm-evm's package.json`)
}

/** The Interpreter prototype of this package's @ethereumjs/evm, found through a custom opcode. */
async function interpreterPrototype(): Promise<{ _getValidJumpDestinations: AnalysisMethod }> {
  let proto: { _getValidJumpDestinations?: unknown } | undefined
  const probe = await createEVM({
    customOpcodes: [
      {
        opcode: PROBE_OPCODE,
        opcodeName: 'BLOCKSTM_PROBE',
        baseFee: 0,
        logicFunction: (runState) => {
          proto = Object.getPrototypeOf(runState.interpreter) as typeof proto
        },
      },
    ],
  })
  await probe.runCode({ code: Uint8Array.of(PROBE_OPCODE), gasLimit: 1000n })
  if (proto === undefined) throw unsupported('custom opcode handler not reached')
  if (typeof proto._getValidJumpDestinations !== 'function') throw unsupported('Interpreter._getValidJumpDestinations not found')
  return proto as { _getValidJumpDestinations: AnalysisMethod }
}

/** Checks, through the installed wrapper, that the analysis has the shape the cache relies on. */
async function checkShape(): Promise<void> {
  const evm = await createEVM()
  caches.set(evm, { byLength: new Map(), bytes: 0 })
  // PUSH1 4; JUMP; INVALID; JUMPDEST; STOP
  const code = Uint8Array.of(0x60, 0x04, 0x56, 0xfe, 0x5b, 0x00)
  const r = await evm.runCode({ code, gasLimit: 1000n })
  const e = caches.get(evm)!.byLength.get(code.length)?.[0]
  const a = e?.analysis as Partial<Analysis> | undefined
  if (r.exceptionError !== undefined || a === undefined) throw unsupported('the jump analysis was not called as expected')
  if (!(a.jumps instanceof Uint8Array) || a.jumps[4] !== 1 || a.jumps[0] !== 0 || typeof a.pushes !== 'object' || !Array.isArray(a.opcodesCached) || a.opcodesCached.length !== code.length) {
    throw unsupported('the jump analysis returned an unexpected shape')
  }
}

function install(): Promise<void> {
  installed ??= interpreterPrototype().then((proto) => {
    const original = proto._getValidJumpDestinations
    proto._getValidJumpDestinations = function (this: InterpreterLike, code: Uint8Array): Analysis {
      const cache = caches.get(this._evm)
      if (cache === undefined) return original.call(this, code)
      let list = cache.byLength.get(code.length)
      if (list !== undefined) {
        for (const e of list) if (e.code === code || Buffer.compare(e.code, code) === 0) return e.analysis
      }
      const analysis = original.call(this, code)
      if (cache.bytes + code.length > MAX_BYTES) {
        cache.byLength.clear()
        cache.bytes = 0
        list = undefined
      }
      if (list === undefined) cache.byLength.set(code.length, (list = []))
      list.push({ code: code.slice(), analysis })
      cache.bytes += code.length
      return analysis
    }
    return checkShape()
  })
  return installed
}

/** Turns the jump-analysis cache on for one EVM instance (`vm.evm`). */
export async function enableJumpAnalysisCache(evm: object): Promise<void> {
  if (!(evm instanceof EVM)) throw unsupported('the EVM is not an instance of the @ethereumjs/evm this package loads: two copies are installed')
  await install()
  if (!caches.has(evm)) caches.set(evm, { byLength: new Map(), bytes: 0 })
}
