// Proves the Bloom filter's contract: optimal sizing, no false negatives, a
// measured false-positive rate near the target, lossless serialisation, merge
// equal to one filter over both streams, and clear refusals of bad input.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BloomFilter, bloomFilterSize } from '../../src/sketch/bloom.js'
import { HyperLogLog } from '../../src/sketch/hyperloglog.js'
import { beginSketch, sealSketch, SketchFamily, SketchFormatError } from '../../src/sketch/format.js'
import { expectCorruptionsRefused, expectSameBytes } from './hash-sketch-helpers.js'

const keyArb = fc.oneof(fc.string({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 }))

/** Builds a filter, runs `body`, and frees the filter's Wasm memory. */
function withFilter<T>(options: { expectedItems: number; falsePositiveRate: number }, body: (filter: BloomFilter) => T): T {
  const filter = new BloomFilter(options)
  try {
    return body(filter)
  } finally {
    filter.dispose()
  }
}

describe('BloomFilter sizing', () => {
  it('uses m = −n·ln p/(ln 2)² rounded up to a multiple of 64 and k = round(m/n · ln 2)', () => {
    // Checks the formula's defining inequalities on a spread of (n, p), plus one value worked by hand.
    for (const expectedItems of [1, 10, 1000, 123_457, 10_000_000]) {
      for (const falsePositiveRate of [0.5, 0.1, 0.01, 0.001, 1e-6]) {
        const { bitCount, hashCount } = bloomFilterSize({ expectedItems, falsePositiveRate })
        const ideal = (-expectedItems * Math.log(falsePositiveRate)) / Math.LN2 ** 2
        expect(bitCount % 64).toBe(0)
        expect(bitCount).toBeGreaterThanOrEqual(ideal)
        expect(bitCount).toBeLessThan(Math.max(ideal, 1) + 64)
        expect(hashCount).toBe(Math.max(1, Math.round((bitCount / expectedItems) * Math.LN2)))
      }
    }
    // n = 1000, p = 1%: 9585.06 bits → 9600; 9.6 · ln 2 = 6.65 → 7 hashes.
    withFilter({ expectedItems: 1000, falsePositiveRate: 0.01 }, (filter) => {
      expect(filter.bitCount).toBe(9600)
      expect(filter.hashCount).toBe(7)
    })
  })
})

describe('BloomFilter accuracy', () => {
  it.each([
    [0.01, 100_000, 200_000],
    [0.001, 20_000, 1_000_000],
  ])('at p = %d with %d keys: no false negatives, and %d absent probes hit within 1.2× of p', (falsePositiveRate, itemCount, probeCount) => {
    // Inserts n distinct keys, checks all are found, then measures the hit rate over keys never added.
    withFilter({ expectedItems: itemCount, falsePositiveRate }, (filter) => {
      const added = Array.from({ length: itemCount }, (_, i) => `member:${i}`)
      filter.addMany(added)
      expect(filter.hasMany(added).every((hit) => hit === 1)).toBe(true)
      const probes = Array.from({ length: probeCount }, (_, i) => `stranger:${i}`)
      const hits = filter.hasMany(probes).reduce((sum, hit) => sum + hit, 0)
      const measured = hits / probeCount
      expect(measured).toBeLessThanOrEqual(1.2 * falsePositiveRate)
      // Not wastefully oversized either: the rate stays in the target's neighbourhood.
      expect(measured).toBeGreaterThan(0.7 * falsePositiveRate)
    })
  })

  it('treats a string and its UTF-8 bytes as the same key, and single-key calls agree with batched ones', () => {
    // Compares add/has against addMany/hasMany on random keys of both types.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 40 }), fc.array(keyArb, { maxLength: 40 }), (members, probes) => {
        withFilter({ expectedItems: 50, falsePositiveRate: 0.05 }, (single) => {
          withFilter({ expectedItems: 50, falsePositiveRate: 0.05 }, (batched) => {
            for (const key of members) single.add(key)
            batched.addMany(members)
            const all = [...members, ...probes]
            expect(Array.from(batched.hasMany(all))).toEqual(all.map((key) => (single.has(key) ? 1 : 0)))
            for (const key of members) {
              expect(single.has(typeof key === 'string' ? new TextEncoder().encode(key) : key)).toBe(true)
            }
          })
        })
      }),
      { numRuns: 60 },
    )
  })

  it('accepts a packed key batch', () => {
    // Adds keys as {bytes, offsets} and finds them again one by one.
    withFilter({ expectedItems: 10, falsePositiveRate: 0.01 }, (filter) => {
      const bytes = new TextEncoder().encode('redgreenblue')
      filter.addMany({ bytes, offsets: Uint32Array.from([0, 3, 8, 12]) })
      expect(['red', 'green', 'blue'].map((key) => filter.has(key))).toEqual([true, true, true])
    })
  })
})

describe('BloomFilter serialisation and merge', () => {
  it('serialize → deserialize answers every query the same way', () => {
    // Round-trips random filters and compares answers on members and non-members, and the bytes.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 60 }), fc.array(keyArb, { maxLength: 60 }), (members, probes) => {
        withFilter({ expectedItems: 40, falsePositiveRate: 0.1 }, (filter) => {
          filter.addMany(members)
          const bytes = filter.serialize()
          const copy = BloomFilter.deserialize(bytes)
          try {
            expect([copy.bitCount, copy.hashCount]).toEqual([filter.bitCount, filter.hashCount])
            const all = [...members, ...probes]
            expect(copy.hasMany(all)).toEqual(filter.hasMany(all))
            expectSameBytes(copy.serialize(), bytes)
          } finally {
            copy.dispose()
          }
        })
      }),
      { numRuns: 60 },
    )
  })

  it('merge(a, b) equals one filter built over both streams, bit for bit', () => {
    // Builds A, B and A+B from random streams and compares the merged serialisation with the joint one.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 50 }), fc.array(keyArb, { maxLength: 50 }), (first, second) => {
        const options = { expectedItems: 64, falsePositiveRate: 0.02 }
        withFilter(options, (a) =>
          withFilter(options, (b) =>
            withFilter(options, (joint) => {
              a.addMany(first)
              b.addMany(second)
              joint.addMany([...first, ...second])
              expectSameBytes(a.merge(b).serialize(), joint.serialize())
            }),
          ),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('refuses to merge filters of another shape or type', () => {
    // Merging needs identical bit and hash counts; anything else is a clear error.
    withFilter({ expectedItems: 100, falsePositiveRate: 0.01 }, (a) => {
      withFilter({ expectedItems: 200, falsePositiveRate: 0.01 }, (b) => {
        expect(() => a.merge(b)).toThrow(RangeError)
        expect(() => a.merge(b)).toThrow(/differ in shape \(960 bits × 7 hashes vs 1920 bits × 7 hashes\)/)
      })
      expect(() => a.merge({} as BloomFilter)).toThrow(/expects a BloomFilter, got Object/)
    })
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // Every corruption of a valid serialisation is a SketchFormatError, never a filter.
    withFilter({ expectedItems: 100, falsePositiveRate: 0.01 }, (filter) => {
      filter.addMany(['a', 'b', 'c'])
      const hll = new HyperLogLog({ precision: 4 })
      expectCorruptionsRefused(filter.serialize(), BloomFilter.deserialize, hll.serialize())
      hll.dispose()
    })
  })

  it('refuses well-sealed payloads whose fields are invalid', () => {
    // Builds correctly checksummed envelopes around bad preambles.
    const craft = (wordCount: number, hashCount: number, bitsBytes: number) => {
      const { bytes, payload } = beginSketch(SketchFamily.BloomFilter, 8 + bitsBytes)
      payload.setUint32(0, wordCount, true)
      payload.setUint32(4, hashCount, true)
      return sealSketch(bytes)
    }
    expect(() => BloomFilter.deserialize(craft(2, 3, 16))).not.toThrow()
    expect(() => BloomFilter.deserialize(craft(0, 3, 0))).toThrow(/wordCount 0 is outside/)
    expect(() => BloomFilter.deserialize(craft(2, 0, 16))).toThrow(/hashCount 0 is outside 1..64/)
    expect(() => BloomFilter.deserialize(craft(2, 65, 16))).toThrow(/hashCount 65/)
    expect(() => BloomFilter.deserialize(craft(3, 3, 16))).toThrow(/3 words need 32/)
    expect(() => BloomFilter.deserialize(sealSketch(beginSketch(SketchFamily.BloomFilter, 4).bytes))).toThrow(SketchFormatError)
  })
})

describe('BloomFilter options and lifecycle', () => {
  it('refuses bad options with a RangeError naming the option', () => {
    // Each bad value is reported with the option's name and the value given.
    const make = (options: unknown) => () => new BloomFilter(options as { expectedItems: number; falsePositiveRate: number })
    expect(make({ expectedItems: 100, falsePositiveRate: 1.5 })).toThrow(/falsePositiveRate must be a number strictly between 0 and 1, got 1\.5/)
    expect(make({ expectedItems: 100, falsePositiveRate: 0 })).toThrow(RangeError)
    expect(make({ expectedItems: 100, falsePositiveRate: Number.NaN })).toThrow(/falsePositiveRate/)
    expect(make({ expectedItems: 100, falsePositiveRate: '0.01' })).toThrow(/falsePositiveRate .* got "0\.01"/)
    expect(make({ expectedItems: 0, falsePositiveRate: 0.01 })).toThrow(/expectedItems must be an integer in 1\.\./)
    expect(make({ expectedItems: 12.5, falsePositiveRate: 0.01 })).toThrow(/expectedItems .* got 12\.5/)
    expect(make({ falsePositiveRate: 0.01 })).toThrow(/expectedItems .* got undefined/)
    expect(make({ expectedItems: 2 ** 31, falsePositiveRate: 1e-9 })).toThrow(/needs \d+ bits, more than the 4294967296 maximum/)
    expect(make({ expectedItems: 10, falsePositiveRate: 1e-30 })).toThrow(/falsePositiveRate 1e-30 needs \d+ hashes per key, more than the 64 maximum/)
    expect(make(undefined)).toThrow(/options must be an object, got undefined/)
    expect(make(null)).toThrow(TypeError)
  })

  it('refuses keys that are neither strings nor bytes', () => {
    // A number key is a TypeError, not a silent hash of something else.
    withFilter({ expectedItems: 10, falsePositiveRate: 0.01 }, (filter) => {
      expect(() => filter.add(7 as unknown as string)).toThrow(/key must be a string or Uint8Array, got number/)
      expect(() => filter.hasMany([{}] as unknown as string[])).toThrow(/key 0 must be a string or Uint8Array/)
    })
  })

  it('cannot be used after dispose, and dispose is idempotent', () => {
    // Use after free would read another sketch's memory; it must throw instead.
    const filter = new BloomFilter({ expectedItems: 10, falsePositiveRate: 0.01 })
    filter.add('x')
    filter.dispose()
    filter.dispose()
    expect(filter.disposed).toBe(true)
    expect(() => filter.has('x')).toThrow(/BloomFilter was disposed/)
    expect(() => filter.serialize()).toThrow(/disposed/)
  })
})
