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
 */
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'

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

/** The interpreter module of the @ethereumjs/evm that this package resolves (not exported by name). */
async function interpreterPrototype(): Promise<{ _getValidJumpDestinations(this: InterpreterLike, code: Uint8Array): Analysis }> {
  const require = createRequire(import.meta.url)
  const cjsEntry = require.resolve('@ethereumjs/evm')
  const esmEntry = cjsEntry.replace(/[\\/]dist[\\/]cjs[\\/]index\.js$/, '/dist/esm/index.js')
  const mod = (await import(pathToFileURL(esmEntry.replace(/index\.js$/, 'interpreter.js')).href)) as { Interpreter?: { prototype: unknown } }
  const proto = mod.Interpreter?.prototype as { _getValidJumpDestinations?: unknown } | undefined
  if (proto === undefined || typeof proto._getValidJumpDestinations !== 'function') {
    throw new Error('@ethereumjs/evm: Interpreter._getValidJumpDestinations not found (unsupported version)')
  }
  return proto as { _getValidJumpDestinations(this: InterpreterLike, code: Uint8Array): Analysis }
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
  })
  return installed
}

/** Turns the jump-analysis cache on for one EVM instance (`vm.evm`). */
export async function enableJumpAnalysisCache(evm: object): Promise<void> {
  await install()
  if (!caches.has(evm)) caches.set(evm, { byLength: new Map(), bytes: 0 })
}
