// Proves the default partitioner's JS murmur2 (short ASCII strings and byte
// keys) places every key exactly where Kafka's partitioner in core.wasm does,
// one key at a time and in batches.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createPartitioner } from '../../src/client/partitioners.js'
import { defaultPartition } from '../../src/hash.js'

const key = fc.oneof(
  fc.string({ maxLength: 70 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.uint8Array({ maxLength: 80 }),
  fc.string({ minLength: 60, maxLength: 200 }),
)

describe('default partitioner', () => {
  it('places keys where the Wasm murmur2 partitioner does', () => {
    const partitioner = createPartitioner('default')
    fc.assert(
      fc.property(fc.array(key, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 1000 }), (keys, partitionCount) => {
        const expected = keys.map((k) => defaultPartition(k, partitionCount))
        expect(Array.from(partitioner.partitionMany!('t', keys, partitionCount)!)).toEqual(expected)
        expect(keys.map((k) => partitioner.partition({ topic: 't', key: k, partitionCount }))).toEqual(expected)
      }),
      { numRuns: 500 },
    )
  })

  it('agrees with Kafka on known keys', () => {
    // Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % n, from the Java client.
    const partitioner = createPartitioner('default')
    for (const k of ['', 'a', 'ab', 'abc', 'abcd', 'ORD17', 'k0000001', 'héllo', new Uint8Array([1, 2, 3, 4, 5])]) {
      for (const n of [1, 3, 6, 8, 100]) expect(partitioner.partition({ topic: 't', key: k, partitionCount: n })).toBe(defaultPartition(k, n))
    }
  })
})
