/**
 * How the engine's shared-memory records document their words: a {@link WordMap} lists a
 * record's fields (field → its first Int32 word within the record), the fields wider than one
 * word, and the reserved words (used by no field). Each record's map is defined next to the
 * record (sharedMemory.ts `H`/`T`, locationTable.ts `R`, mvMemory.ts `V`,
 * validation/readSet.ts `RS`, scheduler/words.ts for the scheduler's words), and
 * test/core-layout.test.ts checks with {@link checkWordMaps} that the maps sharing a record
 * never overlap, fit its size and, with the reserved words, cover every word of it.
 *
 * Units: a field's *value* is what its comment says — a count, a flag, a word index into the
 * shared Int32 view (`i32[...]`), or a byte offset into the byte view (`u8[...]`). Word
 * indices and byte offsets differ by a factor of {@link WORD_BYTES}: never mix them.
 */

/** Bytes per shared-memory word (the memory is viewed as Int32 words). */
export const WORD_BYTES = 4

export interface WordMap {
  /** The record (or the part of it one module owns), for messages. */
  readonly record: string
  /** The module that defines and owns these words. */
  readonly owner: string
  /** Words in one record. */
  readonly size: number
  /** Field → its first word within the record. */
  readonly fields: Readonly<Record<string, number>>
  /** Fields that span more than one word: field → words. */
  readonly wide?: Readonly<Record<string, number>>
  /** Words of the record that no field uses. */
  readonly reserved?: readonly number[]
}

/**
 * Checks maps that together describe one record (same `size`): every field's words lie in
 * the record, no word belongs to two fields (or to a field and the reserved list), and every
 * word is a field's or reserved. Returns the problems found (empty: the layout is sound).
 */
export function checkWordMaps(maps: readonly WordMap[]): string[] {
  const problems: string[] = []
  const size = maps[0]?.size ?? 0
  const owner = new Map<number, string>()
  const claim = (w: number, who: string, record: string) => {
    if (w < 0 || w >= size) problems.push(`${record}: ${who} uses word ${w}, outside the record's ${size} words`)
    const prev = owner.get(w)
    if (prev !== undefined) problems.push(`${record}: word ${w} belongs to both ${prev} and ${who}`)
    else owner.set(w, who)
  }
  for (const m of maps) {
    if (m.size !== size) problems.push(`${m.record}: size ${m.size} differs from ${maps[0]!.record}'s ${size}`)
    for (const [name, at] of Object.entries(m.fields)) {
      const width = m.wide?.[name] ?? 1
      for (let w = at; w < at + width; w++) claim(w, `${m.owner} ${name}`, m.record)
    }
    for (const w of m.reserved ?? []) claim(w, `${m.owner} (reserved)`, m.record)
  }
  for (let w = 0; w < size; w++) {
    if (!owner.has(w)) problems.push(`${maps[0]!.record}: word ${w} is neither a field nor marked reserved`)
  }
  return problems
}
