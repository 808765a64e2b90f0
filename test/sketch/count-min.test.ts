// Proves the Count-Min sketch's contract: sizing from (ε, δ), never
// undercounting, overcounting by more than εN for at most a δ share of keys on
// a Zipf(1.1) stream, lossless serialisation, merge equal to one sketch over
// both streams, wide counters, and clear refusals of bad input.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { CountMinSketch, countMinSketchSize, type CountMinSketchOptions } from '../../src/sketch/count-min.js'
import { HeavyHitters } from '../../src/sketch/heavy-hitters.js'
import { beginSketch, sealSketch, SketchFamily } from '../../src/sketch/format.js'
import { expectCorruptionsRefused, expectSameBytes, zipfStream } from './hash-sketch-helpers.js'

const keyArb = fc.oneof(fc.string({ maxLength: 16 }), fc.uint8Array({ maxLength: 16 }))
const weightedArb = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), fc.integer({ min: 0, max: 1000 })), { maxLength: 60 })

function withSketch<T>(options: CountMinSketchOptions, body: (sketch: CountMinSketch) => T): T {
  const sketch = new CountMinSketch(options)
  try {
    return body(sketch)
  } finally {
    sketch.dispose()
  }
}

describe('CountMinSketch sizing', () => {
  it('has width ⌈e/ε⌉ and depth ⌈ln(1/δ)⌉', () => {
    // Checks the defining inequalities over a grid, and one case worked by hand.
    for (const epsilon of [0.5, 0.1, 0.01, 0.001, 0.0001]) {
      for (const delta of [0.5, 0.1, 0.01, 1e-6]) {
        const { width, depth } = countMinSketchSize({ epsilon, delta })
        expect(width).toBeGreaterThanOrEqual(Math.E / epsilon)
        expect(width - 1).toBeLessThan(Math.E / epsilon)
        expect(depth).toBeGreaterThanOrEqual(Math.log(1 / delta))
        expect(depth - 1).toBeLessThan(Math.log(1 / delta))
      }
    }
    // e/0.001 = 2718.3 → 2719; ln(100) = 4.6 → 5.
    withSketch({ epsilon: 0.001, delta: 0.01 }, (sketch) => expect([sketch.width, sketch.depth]).toEqual([2719, 5]))
  })
})

describe('CountMinSketch accuracy on a Zipf(1.1) stream', () => {
  const { keys, counts } = zipfStream(300_000, 100_000, 1.1, 7)
  const N = keys.length

  it.each([false, true])('conservative=%s never undercounts and exceeds εN for at most δ of the keys', (conservative) => {
    // Streams 300k Zipf keys through the sketch and compares every distinct key's estimate with its exact count.
    const epsilon = 0.0005
    const delta = 0.01
    withSketch({ epsilon, delta, conservative }, (sketch) => {
      sketch.addMany(keys)
      expect(sketch.total).toBe(N)
      const distinct = [...counts.keys()]
      const estimates = sketch.estimateMany(distinct)
      let overBound = 0
      for (let i = 0; i < distinct.length; i++) {
        const truth = counts.get(distinct[i])!
        expect(estimates[i]).toBeGreaterThanOrEqual(truth)
        if (estimates[i] - truth > epsilon * N) overBound++
      }
      expect(overBound / distinct.length).toBeLessThanOrEqual(delta)
      // Keys never added are bounded the same way (their truth is 0).
      const strangers = Array.from({ length: 20_000 }, (_, i) => `stranger-${i}`)
      const strangerEstimates = sketch.estimateMany(strangers)
      expect(strangerEstimates.filter((estimate) => estimate > epsilon * N).length / strangers.length).toBeLessThanOrEqual(delta)
    })
  })

  it('conservative update overcounts no more than the standard update', () => {
    // Same stream, both modes: conservative estimates are never above standard ones, and lower in sum.
    withSketch({ epsilon: 0.002, delta: 0.05 }, (standard) =>
      withSketch({ epsilon: 0.002, delta: 0.05, conservative: true }, (conservative) => {
        standard.addMany(keys)
        conservative.addMany(keys)
        const distinct = [...counts.keys()]
        const a = standard.estimateMany(distinct)
        const b = conservative.estimateMany(distinct)
        let excessStandard = 0
        let excessConservative = 0
        for (let i = 0; i < distinct.length; i++) {
          expect(b[i]).toBeLessThanOrEqual(a[i])
          excessStandard += a[i] - counts.get(distinct[i])!
          excessConservative += b[i] - counts.get(distinct[i])!
        }
        expect(excessConservative).toBeLessThan(excessStandard)
      }),
    )
  })
})

describe('CountMinSketch counting', () => {
  it('add(key, count), addMany with counts, and estimate agree, and total is the sum of counts', () => {
    // Feeds random weighted streams one at a time and as a batch; estimates of a wide sketch are then exact.
    fc.assert(
      fc.property(weightedArb, fc.boolean(), (stream, asTypedArray) => {
        withSketch({ epsilon: 0.001, delta: 0.001 }, (single) =>
          withSketch({ epsilon: 0.001, delta: 0.001 }, (batched) => {
            const truth = new Map<string, number>()
            for (const [key, count] of stream) {
              single.add(key, count)
              truth.set(key, (truth.get(key) ?? 0) + count)
            }
            const counts = stream.map(([, count]) => count)
            batched.addMany(stream.map(([key]) => key), asTypedArray ? Uint32Array.from(counts) : counts)
            const sum = counts.reduce((a, b) => a + b, 0)
            expect(single.total).toBe(sum)
            expectSameBytes(batched.serialize(), single.serialize())
            for (const [key, count] of truth) expect(single.estimate(key)).toBeGreaterThanOrEqual(count)
            // With 8 keys in 2719 × 7 counters some row separates every pair: the minimum is exact.
            for (const [key, count] of truth) expect(single.estimate(key)).toBe(count)
          }),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('counts past 2^32 without overflowing', () => {
    // Four maximal u32 adds exceed a u32 counter; the u64 counters keep the exact sum.
    withSketch({ epsilon: 0.1, delta: 0.1 }, (sketch) => {
      for (let i = 0; i < 4; i++) sketch.add('big', 0xffffffff)
      sketch.addMany(['big'], [0xffffffff])
      expect(sketch.estimate('big')).toBe(5 * 0xffffffff)
      expect(sketch.total).toBe(5 * 0xffffffff)
      const copy = CountMinSketch.deserialize(sketch.serialize())
      expect(copy.estimate('big')).toBe(5 * 0xffffffff)
      copy.dispose()
    })
  })

  it('refuses counts that are not integers in 0..2^32 − 1, naming them', () => {
    // Negative, fractional, too large and mismatched-length counts are RangeErrors.
    withSketch({ epsilon: 0.1, delta: 0.1 }, (sketch) => {
      expect(() => sketch.add('k', -1)).toThrow(/CountMinSketch.add: count must be an integer in 0\.\.4294967295, got -1/)
      expect(() => sketch.add('k', 1.5)).toThrow(/got 1\.5/)
      expect(() => sketch.add('k', 2 ** 32)).toThrow(RangeError)
      expect(() => sketch.addMany(['a', 'b'], [1, -2])).toThrow(/counts\[1\] must be an integer/)
      expect(() => sketch.addMany(['a', 'b'], [1])).toThrow(/counts has 1 entries for 2 keys/)
      expect(() => sketch.addMany(['a'], 'x' as unknown as number[])).toThrow(/counts must be a Uint32Array or an array/)
      expect(sketch.total).toBe(0)
    })
  })
})

describe('CountMinSketch serialisation and merge', () => {
  it('serialize → deserialize gives the same estimates and the same bytes', () => {
    // Round-trips random sketches in both update modes.
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 80 }), fc.boolean(), (keys, conservative) => {
        withSketch({ epsilon: 0.05, delta: 0.05, conservative }, (sketch) => {
          sketch.addMany(keys)
          const bytes = sketch.serialize()
          const copy = CountMinSketch.deserialize(bytes)
          try {
            expect([copy.width, copy.depth, copy.conservative, copy.total]).toEqual([sketch.width, sketch.depth, conservative, sketch.total])
            expect(copy.estimateMany(keys)).toEqual(sketch.estimateMany(keys))
            expectSameBytes(copy.serialize(), bytes)
          } finally {
            copy.dispose()
          }
        })
      }),
      { numRuns: 60 },
    )
  })

  it('merge(a, b) equals one sketch built over both streams, counter for counter', () => {
    // Builds A, B and A+B from random weighted streams in a narrow sketch (so keys collide) and compares bytes.
    fc.assert(
      fc.property(weightedArb, weightedArb, (first, second) => {
        const options = { epsilon: 0.5, delta: 0.2 }
        withSketch(options, (a) =>
          withSketch(options, (b) =>
            withSketch(options, (joint) => {
              for (const [key, count] of first) a.add(key, count)
              for (const [key, count] of second) b.add(key, count)
              for (const [key, count] of [...first, ...second]) joint.add(key, count)
              expectSameBytes(a.merge(b).serialize(), joint.serialize())
            }),
          ),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('merging conservative sketches keeps estimates at or above the joint truth', () => {
    // Conservative merge is not exact, but it must still never undercount.
    fc.assert(
      fc.property(weightedArb, weightedArb, (first, second) => {
        const options = { epsilon: 0.5, delta: 0.2, conservative: true }
        withSketch(options, (a) =>
          withSketch(options, (b) => {
            const truth = new Map<string, number>()
            for (const [key, count] of first) {
              a.add(key, count)
              truth.set(key, (truth.get(key) ?? 0) + count)
            }
            for (const [key, count] of second) {
              b.add(key, count)
              truth.set(key, (truth.get(key) ?? 0) + count)
            }
            a.merge(b)
            for (const [key, count] of truth) expect(a.estimate(key)).toBeGreaterThanOrEqual(count)
          }),
        )
      }),
      { numRuns: 60 },
    )
  })

  it('merging a sketch with itself doubles every estimate', () => {
    // Self-merge reads and writes the same counters; it must behave like merging a copy.
    withSketch({ epsilon: 0.01, delta: 0.01 }, (sketch) => {
      sketch.add('x', 3)
      sketch.add('y', 4)
      sketch.merge(sketch)
      expect([sketch.estimate('x'), sketch.estimate('y'), sketch.total]).toEqual([6, 8, 14])
    })
  })

  it('refuses to merge sketches of another shape or type', () => {
    // Counters of different widths or depths do not line up; that is a clear error.
    withSketch({ epsilon: 0.01, delta: 0.01 }, (a) =>
      withSketch({ epsilon: 0.01, delta: 0.001 }, (b) => {
        expect(() => a.merge(b)).toThrow(/shapes differ \(width 272 × depth 5 vs width 272 × depth 7\)/)
        expect(() => a.merge(null as unknown as CountMinSketch)).toThrow(/expects a CountMinSketch, got null/)
      }),
    )
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // Every corruption of a valid serialisation is a SketchFormatError, never a sketch.
    withSketch({ epsilon: 0.1, delta: 0.1 }, (sketch) => {
      sketch.addMany(['a', 'b', 'c'])
      const hh = new HeavyHitters({ capacity: 4 })
      expectCorruptionsRefused(sketch.serialize(), CountMinSketch.deserialize, hh.serialize())
      hh.dispose()
    })
  })

  it('refuses well-sealed payloads whose fields are invalid', () => {
    // Builds correctly checksummed envelopes around bad shapes, flags and counters that do not add up.
    const craft = (width: number, depth: number, counterCount: number, edit?: (payload: DataView) => void) => {
      const { bytes, payload } = beginSketch(SketchFamily.CountMinSketch, 24 + counterCount * 8)
      payload.setUint32(0, width, true)
      payload.setUint32(4, depth, true)
      edit?.(payload)
      return sealSketch(bytes)
    }
    // A consistent one: total 5, each of the two rows holds 5.
    const consistent = (p: DataView) => {
      p.setBigUint64(16, 5n, true)
      p.setBigUint64(24, 5n, true)
      p.setBigUint64(24 + 3 * 8, 5n, true)
    }
    expect(CountMinSketch.deserialize(craft(3, 2, 6, consistent)).total).toBe(5)
    expect(() => CountMinSketch.deserialize(craft(0, 2, 0))).toThrow(/width 0 × depth 2 is not a valid shape/)
    expect(() => CountMinSketch.deserialize(craft(3, 2, 5))).toThrow(/3 × 2 counters need 72/)
    expect(() => CountMinSketch.deserialize(craft(3, 2, 6, (p) => p.setUint8(8, 2)))).toThrow(/conservative flag is 2/)
    expect(() => CountMinSketch.deserialize(craft(3, 2, 6, (p) => p.setUint8(12, 1)))).toThrow(/reserved/)
    expect(() => CountMinSketch.deserialize(craft(3, 2, 6, (p) => { consistent(p); p.setBigUint64(24 + 4 * 8, 1n, true) }))).toThrow(
      /counters of row 1 do not add up to the total 5/,
    )
  })
})

describe('CountMinSketch options and lifecycle', () => {
  it('refuses bad options with an error naming the option', () => {
    // ε and δ must lie strictly between 0 and 1; conservative must be a boolean; the size is capped.
    const make = (options: unknown) => () => new CountMinSketch(options as CountMinSketchOptions)
    expect(make({ epsilon: 0, delta: 0.01 })).toThrow(/CountMinSketch: epsilon must be a number strictly between 0 and 1, got 0/)
    expect(make({ epsilon: 1, delta: 0.01 })).toThrow(RangeError)
    expect(make({ epsilon: 0.01, delta: 1.5 })).toThrow(/delta .* got 1\.5/)
    expect(make({ epsilon: 0.01 })).toThrow(/delta .* got undefined/)
    expect(make({ epsilon: 1e-9, delta: 0.01 })).toThrow(/need 2718281829 × 5 counters, more than the 67108864 maximum/)
    expect(make({ epsilon: 0.01, delta: 0.01, conservative: 'yes' })).toThrow(/conservative must be a boolean, got "yes"/)
    expect(make(42)).toThrow(/options must be an object, got number/)
  })

  it('cannot be used after dispose', () => {
    // Use after free would read another sketch's memory; it must throw instead.
    const sketch = new CountMinSketch({ epsilon: 0.1, delta: 0.1 })
    sketch.dispose()
    expect(() => sketch.add('x')).toThrow(/CountMinSketch was disposed/)
    expect(() => sketch.total).toThrow(/disposed/)
  })
})
