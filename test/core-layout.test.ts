/**
 * The shared-memory words: every record's fields (header H, transaction record T, location
 * record R, version entry V, read-set entry RS), as the modules that own them define them,
 * never overlap, fit their record and — with the words marked reserved — cover it. The
 * header and the transaction record have two owners (the memory layer and the scheduler),
 * checked together. The checker itself is shown to catch an overlap, a field past the end
 * and an unmarked word.
 */
import { describe, expect, it } from 'vitest'
import { H, H_MAP, HEADER_WORDS, T, T_MAP, TX_WORDS } from '../src/mvmemory/sharedMemory.js'
import { R, RECORD_WORDS, R_MAP } from '../src/mvmemory/locationTable.js'
import { V, VERSION_WORDS, V_MAP } from '../src/mvmemory/mvMemory.js'
import { READ_ENTRY_WORDS, RS, RS_MAP } from '../src/validation/readSet.js'
import { H as SCHED_H, SH, SH_MAP, ST, ST_MAP, T as SCHED_T } from '../src/scheduler/words.js'
import { checkWordMaps, type WordMap } from '../src/mvmemory/wordMap.js'

describe('shared-memory word layout', () => {
  it('header H: the memory layer and the scheduler share it without overlap; reserved words marked', () => {
    expect(checkWordMaps([H_MAP, SH_MAP])).toEqual([])
    expect(H_MAP.size).toBe(HEADER_WORDS)
  })

  it('transaction record T: the multi-version memory and the scheduler share it without overlap', () => {
    expect(checkWordMaps([T_MAP, ST_MAP])).toEqual([])
    expect(T_MAP.size).toBe(TX_WORDS)
  })

  it('location record R, version entry V and read-set entry RS fit their sizes without overlap', () => {
    expect(checkWordMaps([R_MAP])).toEqual([])
    expect(checkWordMaps([V_MAP])).toEqual([])
    expect(checkWordMaps([RS_MAP])).toEqual([])
    expect([R_MAP.size, V_MAP.size, RS_MAP.size]).toEqual([RECORD_WORDS, VERSION_WORDS, READ_ENTRY_WORDS])
  })

  it('the maps are the constants the code indexes with', () => {
    expect(H_MAP.fields).toBe(H)
    expect(SH_MAP.fields).toBe(SH)
    expect(T_MAP.fields).toBe(T)
    expect(ST_MAP.fields).toBe(ST)
    expect([R_MAP.fields, V_MAP.fields, RS_MAP.fields]).toEqual([R, V, RS])
    // The scheduler's view of the header and the record is exactly both owners' words.
    expect(SCHED_H).toEqual({ ...H, ...SH })
    expect(SCHED_T).toEqual({ ...T, ...ST })
  })

  it('a float64 header word is 8-byte aligned', () => {
    for (const [name, width] of Object.entries(SH_MAP.wide ?? {})) if (width === 2) expect(SH[name as keyof typeof SH] % 2, name).toBe(0)
  })

  describe('the checker fails on a bad layout', () => {
    const base: WordMap = { record: 'test record', owner: 'a', size: 4, fields: { A: 0, B: 1 }, reserved: [3] }
    it('two fields on one word', () => {
      expect(checkWordMaps([base, { ...base, owner: 'b', fields: { C: 1, D: 2 }, reserved: [] }])).toEqual([
        'test record: word 1 belongs to both a B and b C',
      ])
    })
    it('a wide field running into the next', () => {
      expect(checkWordMaps([{ ...base, fields: { A: 0, B: 1, C: 2 }, wide: { B: 2 } }])).toContain('test record: word 2 belongs to both a B and a C')
    })
    it('a field past the end of the record', () => {
      expect(checkWordMaps([{ ...base, fields: { A: 0, B: 1, C: 2, D: 4 } }])).toContain("test record: a D uses word 4, outside the record's 4 words")
    })
    it('a word neither used nor marked reserved', () => {
      expect(checkWordMaps([base])).toEqual(['test record: word 2 is neither a field nor marked reserved'])
    })
  })
})
