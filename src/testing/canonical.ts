/**
 * Canonical text of values for the determinism kit: transaction outputs are compared byte
 * for byte through it, and blocks are printed with it.
 *
 * `canonical(v)` is a string that is equal for two values exactly when they hold the same
 * data: byte arrays and other typed arrays by the bytes they view (not their backing buffer,
 * which a thread hop may copy whole or not), bigint apart from number, -0 apart from 0,
 * NaN equal to itself, undefined apart from null and from a missing property, plain
 * objects by their own enumerable properties in key order, Maps and Sets in their order.
 *
 * `toJSONValue(v)` is a JSON-compatible rendering for messages (bytes as 0x-hex strings,
 * bigints as decimal strings with an `n`, Maps as entry lists); shared buffers are omitted.
 */

const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')

function bytesOf(v: ArrayBufferView): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
}

export function canonical(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'u'
    case 'boolean':
      return v ? 'T' : 'F'
    case 'number':
      return Object.is(v, -0) ? 'n-0' : `n${v}`
    case 'bigint':
      return `b${v}`
    case 'string':
      return JSON.stringify(v)
    case 'symbol':
    case 'function':
      return `?${String(v)}`
  }
  if (v === null) return 'N'
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}<${hex(bytesOf(v))}>`
  if (v instanceof ArrayBuffer) return `AB<${hex(new Uint8Array(v))}>`
  if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) return 'SAB'
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${canonical(k)}:${canonical(x)}`).join(',')}}`
  if (v instanceof Set) return `Set{${[...v].map(canonical).join(',')}}`
  if (v instanceof Date) return `D${v.getTime()}`
  if (v instanceof Error) return `E${JSON.stringify(v.name)}${JSON.stringify(v.message)}`
  const o = v as Record<string, unknown>
  const keys = Object.keys(o).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`
}

/** A JSON-compatible rendering of `v` (see the module comment). */
export function toJSONValue(v: unknown): unknown {
  switch (typeof v) {
    case 'bigint':
      return `${v}n`
    case 'undefined':
      return null
    case 'number':
      return Number.isFinite(v) ? v : String(v)
    case 'symbol':
    case 'function':
      return String(v)
  }
  if (v === null || typeof v !== 'object') return v
  if (v instanceof Uint8Array) return '0x' + hex(v)
  if (ArrayBuffer.isView(v)) return { [v.constructor.name]: '0x' + hex(bytesOf(v)) }
  if (v instanceof ArrayBuffer) return '0x' + hex(new Uint8Array(v))
  if (typeof SharedArrayBuffer !== 'undefined' && v instanceof SharedArrayBuffer) return '(SharedArrayBuffer)'
  if (Array.isArray(v)) return v.map(toJSONValue)
  if (v instanceof Map) return [...v].map(([k, x]) => [toJSONValue(k), toJSONValue(x)])
  if (v instanceof Set) return [...v].map(toJSONValue)
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Error) return `${v.name}: ${v.message}`
  const out: Record<string, unknown> = {}
  for (const [k, x] of Object.entries(v)) out[k] = toJSONValue(x)
  return out
}

/** `v` as one line of JSON (see `toJSONValue`). */
export function toJSONText(v: unknown, indent?: number): string {
  return JSON.stringify(toJSONValue(v), null, indent)
}

export { hex as bytesToHex }
