// Proves HyperLogLog's contract: estimates within 3σ (σ = 1.04/√m) of the true
// distinct count from 10³ to 10⁶, duplicates ignored, lossless serialisation,
// merge equal to one sketch over both streams, and clear refusals of bad input.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { HyperLogLog } from '../../src/sketch/hyperloglog.js'
import { BloomFilter } from '../../src/sketch/bloom.js'
import { beginSketch, sealSketch, SketchFamily } from '../../src/sketch/format.js'
import { expectCorruptionsRefused, expectSameBytes } from './hash-sketch-helpers.js'

const keyArb = fc.oneof(fc.string({ maxLength: 24 }), fc.uint8Array({ maxLength: 24 }))
const BATCH_KEYS = 50_000

/** Adds `distinct` distinct keys named by `prefix`, in batches (one Wasm call each). */
function addDistinct(sketch: HyperLogLog, distinct: number, prefix: string): void {
  const batch: string[] = []
  for (let i = 0; i < distinct; i++) {
    batch.push(`${prefix}${i}`)
    if (batch.length === BATCH_KEYS) {
      sketch.addMany(batch)
      batch.length = 0
    }
  }
  sketch.addMany(batch)
}

function withSketch<T>(precision: number, body: (sketch: HyperLogLog) => T): T {
  const sketch = new HyperLogLog({ precision })
  try {
    return body(sketch)
  } finally {
    sketch.dispose()
  }
}

describe('HyperLogLog accuracy', () => {
  it.each([1_000, 100_000, 1_000_000])('estimates %d distinct keys within 3σ at precision 14', (distinct) => {
    // Adds the keys (each twice, so duplicates are exercised) and compares the estimate with the truth.
    withSketch(14, (sketch) => {
      addDistinct(sketch, distinct, 'user-')
      const once = sketch.count()
      addDistinct(sketch, distinct, 'user-')
      expect(sketch.count()).toBe(once)
      const sigma = sketch.relativeStandardError
      expect(sigma).toBeCloseTo(1.04 / 128, 12)
      expect(Math.abs(once - distinct) / distinct).toBeLessThanOrEqual(3 * sigma)
    })
  })

  it('stays within 3σ at small cardinalities and other precisions', () => {
    // The small-range correction must hold where plain HLL is badly biased (n well below 2.5·m).
    for (const precision of [4, 10, 18]) {
      for (const distinct of [10, 200, 5_000]) {
        withSketch(precision, (sketch) => {
          addDistinct(sketch, distinct, `p${precision}-`)
          const error = Math.abs(sketch.count() - distinct) / distinct
          expect(error).toBeLessThanOrEqual(3 * sketch.relativeStandardError)
        })
      }
    }
  })

  it('counts an empty sketch as 0 and a single key as 1', () => {
    // The estimator's end points: all registers zero, and one register set.
    withSketch(14, (sketch) => {
      expect(sketch.count()).toBe(0)
      sketch.add('only')
      sketch.add(new TextEncoder().encode('only'))
      expect(sketch.count()).toBe(1)
    })
  })

  it('single-key add and batched addMany build the same registers', () => {
    // Compares serialisations after feeding the same random keys both ways.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 80 }), (keys) => {
        withSketch(8, (single) =>
          withSketch(8, (batched) => {
            for (const key of keys) single.add(key)
            batched.addMany(keys)
            expectSameBytes(batched.serialize(), single.serialize())
          }),
        )
      }),
      { numRuns: 60 },
    )
  })
})

describe('HyperLogLog serialisation and merge', () => {
  it('serialize → deserialize gives the same count and the same bytes', () => {
    // Round-trips random sketches at random precisions.
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.array(keyArb, { maxLength: 120 }), (precision, keys) => {
        withSketch(precision, (sketch) => {
          sketch.addMany(keys)
          const bytes = sketch.serialize()
          const copy = HyperLogLog.deserialize(bytes)
          try {
            expect(copy.precision).toBe(precision)
            expect(copy.count()).toBe(sketch.count())
            expectSameBytes(copy.serialize(), bytes)
          } finally {
            copy.dispose()
          }
        })
      }),
      { numRuns: 60 },
    )
  })

  it('merge(a, b) equals one sketch built over both streams, register for register', () => {
    // Builds A, B and A+B from random streams and compares the merged serialisation with the joint one.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 100 }), fc.array(keyArb, { maxLength: 100 }), (first, second) => {
        withSketch(6, (a) =>
          withSketch(6, (b) =>
            withSketch(6, (joint) => {
              a.addMany(first)
              b.addMany(second)
              joint.addMany([...first, ...second])
              expectSameBytes(a.merge(b).serialize(), joint.serialize())
              expect(a.count()).toBe(joint.count())
            }),
          ),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('merging large disjoint halves counts their union within 3σ', () => {
    // Two sketches of 200k keys each, half overlapping, merge to ≈ 300k.
    withSketch(14, (a) =>
      withSketch(14, (b) => {
        addDistinct(a, 200_000, 'k')
        addDistinct(b, 100_000, 'k')
        addDistinct(b, 100_000, 'other-')
        const error = Math.abs(a.merge(b).count() - 300_000) / 300_000
        expect(error).toBeLessThanOrEqual(3 * a.relativeStandardError)
      }),
    )
  })

  it('refuses to merge sketches of another precision or type', () => {
    // Registers of different precisions do not line up; that is a clear error.
    withSketch(10, (a) =>
      withSketch(12, (b) => {
        expect(() => a.merge(b)).toThrow(/precisions differ \(10 vs 12\)/)
        expect(() => a.merge('x' as unknown as HyperLogLog)).toThrow(/expects a HyperLogLog, got string/)
      }),
    )
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // Every corruption of a valid serialisation is a SketchFormatError, never a sketch.
    withSketch(8, (sketch) => {
      sketch.addMany(['a', 'b', 'c'])
      const bloom = new BloomFilter({ expectedItems: 10, falsePositiveRate: 0.1 })
      expectCorruptionsRefused(sketch.serialize(), HyperLogLog.deserialize, bloom.serialize())
      bloom.dispose()
    })
  })

  it('refuses well-sealed payloads whose fields are invalid', () => {
    // Builds correctly checksummed envelopes around a bad precision, length, reserved byte or register.
    const craft = (precision: number, registerBytes: number, edit?: (payload: DataView) => void) => {
      const { bytes, payload } = beginSketch(SketchFamily.HyperLogLog, 4 + registerBytes)
      payload.setUint8(0, precision)
      edit?.(payload)
      return sealSketch(bytes)
    }
    expect(HyperLogLog.deserialize(craft(4, 16, (p) => p.setUint8(4, 61))).count()).toBeGreaterThan(0)
    expect(() => HyperLogLog.deserialize(craft(3, 8))).toThrow(/precision 3 is outside 4..18/)
    expect(() => HyperLogLog.deserialize(craft(19, 16))).toThrow(/precision 19/)
    expect(() => HyperLogLog.deserialize(craft(4, 15))).toThrow(/precision 4 needs 20/)
    expect(() => HyperLogLog.deserialize(craft(4, 16, (p) => p.setUint8(2, 1)))).toThrow(/reserved/)
    expect(() => HyperLogLog.deserialize(craft(4, 16, (p) => p.setUint8(9, 62)))).toThrow(/register 5 holds 62, above the 61 maximum/)
  })
})

describe('HyperLogLog options and lifecycle', () => {
  it('refuses bad precisions with a RangeError naming the option', () => {
    // 3, 19, a fraction and a string are all out; the default is 14.
    expect(() => new HyperLogLog({ precision: 3 })).toThrow(/HyperLogLog: precision must be an integer in 4\.\.18, got 3/)
    expect(() => new HyperLogLog({ precision: 19 })).toThrow(RangeError)
    expect(() => new HyperLogLog({ precision: 10.5 })).toThrow(/got 10\.5/)
    expect(() => new HyperLogLog({ precision: '14' as unknown as number })).toThrow(/precision .* got "14"/)
    expect(() => new HyperLogLog(null as unknown as {})).toThrow(/options must be an object, got null/)
    const sketch = new HyperLogLog()
    expect(sketch.precision).toBe(14)
    sketch.dispose()
  })

  it('cannot be used after dispose', () => {
    // Use after free would read another sketch's memory; it must throw instead.
    const sketch = new HyperLogLog({ precision: 4 })
    sketch.dispose()
    expect(() => sketch.add('x')).toThrow(/HyperLogLog was disposed/)
    expect(() => sketch.count()).toThrow(/disposed/)
  })
})
