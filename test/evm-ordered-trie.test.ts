/**
 * The one-pass trie root equals @ethereumjs's MerklePatriciaTrie filled by insertion: ordered
 * lists of every size up to 300 (covering RLP keys of 1 and 2 bytes, embedded and hashed
 * nodes), random byte keys of different lengths, and the empty trie.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MerklePatriciaTrie } from '@ethereumjs/mpt'
import { RLP } from '@ethereumjs/rlp'
import { bytesToHex } from '@ethereumjs/util'
import { orderedTrieRoot, trieRoot } from '../src/evm/orderedTrie.js'

async function reference(entries: Array<[Uint8Array, Uint8Array]>): Promise<string> {
  const t = new MerklePatriciaTrie()
  for (const [k, v] of entries) await t.put(k, v)
  return bytesToHex(t.root())
}

describe('orderedTrieRoot', () => {
  it('equals MerklePatriciaTrie for ordered lists of 0..300 values', async () => {
    for (let n = 0; n <= 300; n += n < 20 ? 1 : 37) {
      const values = Array.from({ length: n }, (_, i) => new Uint8Array(Array.from({ length: (i * 7) % 50 }, (_, j) => (i + j) & 255)))
      const expected = await reference(values.map((v, i) => [RLP.encode(i), v]))
      expect(bytesToHex(orderedTrieRoot(values)), `n=${n}`).toBe(expected)
    }
  })

  it('equals MerklePatriciaTrie for random keys and values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 6 }), fc.uint8Array({ minLength: 1, maxLength: 40 })), {
          maxLength: 40,
          selector: ([k]) => bytesToHex(k),
        }),
        async (entries) => {
          // A key that is a prefix of another is legal in the trie (the value sits in a branch).
          expect(bytesToHex(trieRoot(entries))).toBe(await reference(entries))
        },
      ),
      { numRuns: 200 },
    )
  })
})
