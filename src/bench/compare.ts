/** Equality of two engines' block results (outputs and state diff), for benchmarks' checks. */
import { isDeepStrictEqual } from 'node:util'
import type { BlockResult } from '../executor/engine.js'

export function sameResult(a: BlockResult<unknown>, b: BlockResult<unknown>): boolean {
  return isDeepStrictEqual(a.outputs, b.outputs) && isDeepStrictEqual(a.writes, b.writes)
}
