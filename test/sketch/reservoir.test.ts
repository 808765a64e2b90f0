// Proves the ReservoirSampler's contract: every item's inclusion frequency
// over many seeded runs is size/n (chi-square under its 99.9% critical value),
// for per-item adds, batches, merges and sampling continued after a merge; a
// seed reproduces a sample; batches equal per-item adds; serialisation is
// lossless; bad input is refused by name.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ReservoirSampler } from '../../src/sketch/reservoir.js'
import { beginSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from '../../src/sketch/format.js'
import { QuantileSketch } from '../../src/sketch/quantile.js'
import { expectCorruptionsRefused } from './hash-sketch-helpers.js'

/**
 * The chi-square distribution's 99.9% point for `df` degrees of freedom, by
 * the Wilson–Hilferty approximation (within 0.1% of the tables for df ≥ 30):
 * df · (1 − 2/(9df) + z·√(2/(9df)))³ with z = 3.0902, the normal 99.9% point.
 */
function chiSquareCritical999(df: number): number {
  const a = 2 / (9 * df)
  return df * (1 - a + 3.0902 * Math.sqrt(a)) ** 3
}

/**
 * Runs `trials` seeded samplings of the items 0..n−1 and returns the
 * chi-square statistic of each item's inclusion count against the uniform
 * expectation trials · size / n. The counts of a without-replacement sample
 * are negatively correlated, which only lowers the statistic, so comparing it
 * with the n − 1 degree-of-freedom critical value is conservative.
 */
function inclusionChiSquare(n: number, size: number, trials: number, sampleOnce: (seed: number) => number[]): number {
  const counts = new Float64Array(n)
  for (let trial = 0; trial < trials; trial++) {
    const sample = sampleOnce(trial + 1)
    expect(sample.length).toBe(Math.min(size, n))
    for (const item of sample) counts[item]++
  }
  const expected = (trials * size) / n
  let statistic = 0
  for (let i = 0; i < n; i++) statistic += (counts[i] - expected) ** 2 / expected
  return statistic
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i)
}

/** A sampler of `size` fed `items` with addMany, sampled, and disposed. */
function sampleOf(size: number, seed: number, feed: (sampler: ReservoirSampler<number>) => void): number[] {
  const sampler = new ReservoirSampler<number>({ size, seed })
  feed(sampler)
  const sample = sampler.sample()
  sampler.dispose()
  return sample
}

describe('ReservoirSampler uniformity (chi-square, 99.9%)', () => {
  it('per-item add: 100 items, size 10, 20 000 seeded runs', () => {
    // Item i is kept in about 2000 of 20 000 runs; the statistic stays below the critical value for 99 df.
    const statistic = inclusionChiSquare(100, 10, 20_000, (seed) =>
      sampleOf(10, seed, (sampler) => {
        for (let i = 0; i < 100; i++) sampler.add(i)
      }),
    )
    expect(statistic).toBeLessThan(chiSquareCritical999(99))
  })

  it('addMany: 1000 items, size 20, 5000 seeded runs in batches of 137', () => {
    // The batched planner must keep every position equally likely too, across batch boundaries.
    const items = range(0, 1000)
    const statistic = inclusionChiSquare(1000, 20, 5000, (seed) =>
      sampleOf(20, seed, (sampler) => {
        for (let at = 0; at < items.length; at += 137) sampler.addMany(items.slice(at, at + 137))
      }),
    )
    expect(statistic).toBeLessThan(chiSquareCritical999(999))
  })

  it('merge of unequal streams (60 + 40 items, size 10) is uniform over both', () => {
    // The weighted merge must favour the longer stream exactly in proportion to its length.
    const statistic = inclusionChiSquare(100, 10, 20_000, (seed) => {
      const a = new ReservoirSampler<number>({ size: 10, seed })
      const b = new ReservoirSampler<number>({ size: 10, seed: seed + 1_000_000 })
      a.addMany(range(0, 60))
      b.addMany(range(60, 100))
      a.merge(b)
      expect(a.seen).toBe(100)
      const sample = a.sample()
      a.dispose()
      b.dispose()
      return sample
    })
    expect(statistic).toBeLessThan(chiSquareCritical999(99))
  })

  it('merge with a side that never filled (4 + 96 items, size 10) is uniform', () => {
    // A short side contributes its whole stream as candidates, weighted by its tiny length.
    const statistic = inclusionChiSquare(100, 10, 20_000, (seed) => {
      const a = new ReservoirSampler<number>({ size: 10, seed })
      const b = new ReservoirSampler<number>({ size: 10, seed: seed + 1_000_000 })
      a.addMany(range(0, 4))
      b.addMany(range(4, 100))
      b.merge(a)
      const sample = b.sample()
      a.dispose()
      b.dispose()
      return sample
    })
    expect(statistic).toBeLessThan(chiSquareCritical999(99))
  })

  it('sampling continued after a merge stays uniform (50 + 50 merged, then 100 more)', () => {
    // After a merge the skip threshold is redrawn for the merged count; later items must get exactly size/seen.
    const statistic = inclusionChiSquare(200, 10, 20_000, (seed) => {
      const a = new ReservoirSampler<number>({ size: 10, seed })
      const b = new ReservoirSampler<number>({ size: 10, seed: seed + 1_000_000 })
      a.addMany(range(0, 50))
      b.addMany(range(50, 100))
      a.merge(b)
      for (let i = 100; i < 200; i++) a.add(i)
      const sample = a.sample()
      a.dispose()
      b.dispose()
      return sample
    })
    expect(statistic).toBeLessThan(chiSquareCritical999(199))
  })

  it('a long stream (10⁵ items, size 100) keeps late items as likely as early ones', () => {
    // Splits the stream into 10 equal blocks: each block should hold a tenth of the sampled items over 300 runs.
    const blocks = new Float64Array(10)
    const trials = 300
    const items = range(0, 100_000)
    for (let seed = 1; seed <= trials; seed++) {
      for (const item of sampleOf(100, seed, (sampler) => sampler.addMany(items))) blocks[Math.floor(item / 10_000)]++
    }
    const expected = (trials * 100) / 10
    let statistic = 0
    for (const count of blocks) statistic += (count - expected) ** 2 / expected
    // 99.9% point of chi-square with 9 df (tables: 27.88).
    expect(statistic).toBeLessThan(27.88)
  })
})

describe('ReservoirSampler behaviour', () => {
  it('holds min(seen, size) items and counts what it saw', () => {
    // Before the reservoir fills it keeps everything, in order; afterwards exactly size items of the stream.
    const sampler = new ReservoirSampler<string>({ size: 5, seed: 1 })
    sampler.addMany(['a', 'b', 'c'])
    expect(sampler.sample()).toEqual(['a', 'b', 'c'])
    for (let i = 0; i < 1000; i++) sampler.add(`x${i}`)
    expect(sampler.seen).toBe(1003)
    const sample = sampler.sample()
    expect(sample).toHaveLength(5)
    expect(new Set(sample).size).toBe(5)
    for (const item of sample) expect(/^[abc]$|^x\d+$/.test(item)).toBe(true)
    sampler.dispose()
  })

  it('is reproducible: equal seeds give equal samples, different seeds different ones', () => {
    // The random stream comes from the seed alone.
    const items = range(0, 10_000)
    const samples = [5, 5, 6].map((seed) => sampleOf(50, seed, (sampler) => sampler.addMany(items)))
    expect(samples[1]).toEqual(samples[0])
    expect(samples[2]).not.toEqual(samples[0])
  })

  it('addMany equals add item by item for any chunking (fast-check)', () => {
    // Property: the batched planner makes the same random decisions, in the same order, as single adds.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (size, length, chunks, seed) => {
          const single = sampleOf(size, seed, (sampler) => {
            for (let i = 0; i < length; i++) sampler.add(i)
          })
          const batched = sampleOf(size, seed, (sampler) => {
            for (let at = 0, c = 0; at < length; c++) {
              const end = Math.min(length, at + chunks[c % chunks.length])
              sampler.addMany(range(at, end))
              at = end
            }
          })
          expect(batched).toEqual(single)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('addMany of a batch with more takes than one planning call holds (size 10 000, 40 000 items)', () => {
    // Over 4096 takes in one batch forces the planner to resume; the result must still equal single adds.
    const items = range(0, 40_000)
    const batched = sampleOf(10_000, 3, (sampler) => sampler.addMany(items))
    const single = sampleOf(10_000, 3, (sampler) => {
      for (const item of items) sampler.add(item)
    })
    expect(batched).toEqual(single)
  })

  it('merges into a filling reservoir without losing items (3 + 4 items, size 10)', () => {
    // Below capacity a merge is the union of both streams.
    const a = new ReservoirSampler<number>({ size: 10, seed: 1 })
    const b = new ReservoirSampler<number>({ size: 10, seed: 2 })
    a.addMany([1, 2, 3])
    b.addMany([4, 5, 6, 7])
    a.merge(b)
    expect(a.sample().sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(b.sample()).toEqual([4, 5, 6, 7])
    a.addMany([8, 9, 10, 11])
    expect(a.sample()).toHaveLength(10)
    expect(a.seen).toBe(11)
    a.dispose()
    b.dispose()
  })
})

describe('ReservoirSampler bad input', () => {
  it('refuses bad options with errors naming the option', () => {
    // size 0, fractional, negative or too large; seeds that are not non-negative safe integers; no options at all.
    for (const size of [0, -1, 2.5, 2 ** 24 + 1, NaN, '10']) {
      expect(() => new ReservoirSampler({ size: size as number })).toThrow(/ReservoirSampler: size must be an integer in 1\.\.16777216/)
    }
    expect(() => new ReservoirSampler({ size: 0 })).toThrow(RangeError)
    expect(() => new ReservoirSampler({ size: 5, seed: -3 })).toThrow(/seed must be an integer/)
    expect(() => new ReservoirSampler(undefined as unknown as { size: number })).toThrow(/options must be an object/)
  })

  it('refuses merging samplers of different sizes, a non-sampler, or itself', () => {
    // Each would be silently wrong.
    const a = new ReservoirSampler<number>({ size: 10, seed: 1 })
    const b = new ReservoirSampler<number>({ size: 11, seed: 1 })
    expect(() => a.merge(b)).toThrow(/size differs \(10 here, 11 in the other\)/)
    expect(() => a.merge([] as unknown as ReservoirSampler<number>)).toThrow(/expects a ReservoirSampler/)
    expect(() => a.merge(a)).toThrow(/into itself/)
    expect(() => a.addMany('abc' as unknown as number[])).toThrow(/expects an array/)
    a.dispose()
    b.dispose()
    expect(() => a.add(1)).toThrow(/disposed/)
  })

  it('refuses to serialise items JSON cannot carry, naming the item', () => {
    // undefined, functions and bigints would not come back; cycles cannot be written.
    const sampler = new ReservoirSampler<unknown>({ size: 5, seed: 1 })
    sampler.addMany([1, undefined])
    expect(() => sampler.serialize()).toThrow(/item 1 is a undefined/)
    const cyclic: { self?: unknown } = {}
    cyclic.self = cyclic
    const other = new ReservoirSampler<unknown>({ size: 5, seed: 1 })
    other.addMany([{ fine: true }, cyclic])
    expect(() => other.serialize()).toThrow(/not JSON-serialisable/)
    sampler.dispose()
    other.dispose()
  })
})

describe('ReservoirSampler serialisation', () => {
  it('round-trips losslessly: same items, same count, same future (fast-check)', () => {
    // Property: a deserialised copy holds equal JSON items and makes the same decisions on the same later stream.
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.jsonValue(), { maxLength: 200 }),
        fc.integer({ min: 0, max: 500 }),
        fc.nat(),
        (size, items, later, seed) => {
          const original = new ReservoirSampler<unknown>({ size, seed })
          original.addMany(items)
          const bytes = original.serialize()
          const copy = ReservoirSampler.deserialize<unknown>(bytes)
          expect(copy.size).toBe(size)
          expect(copy.seen).toBe(original.seen)
          expect(copy.sample()).toEqual(JSON.parse(JSON.stringify(original.sample())))
          expect(copy.serialize()).toEqual(bytes)
          const more = range(0, later)
          original.addMany(more)
          copy.addMany(more)
          expect(copy.serialize()).toEqual(original.serialize())
          original.dispose()
          copy.dispose()
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // The shared corruption cases, each of which must raise a SketchFormatError.
    const sampler = new ReservoirSampler<number>({ size: 8, seed: 1 })
    sampler.addMany(range(0, 100))
    const other = new QuantileSketch({ seed: 1 })
    expectCorruptionsRefused(sampler.serialize(), ReservoirSampler.deserialize, other.serialize())
    sampler.dispose()
    other.dispose()
  })

  it('refuses well-checksummed payloads whose fields are inconsistent, naming the field', () => {
    // Re-seals edited payloads so only the payload validation stands between them and a sampler.
    const sampler = new ReservoirSampler<number>({ size: 4, seed: 1 })
    sampler.addMany(range(0, 50))
    const good = sampler.serialize()
    sampler.dispose()
    const edit = (change: (view: DataView, bytes: Uint8Array) => void): Uint8Array => {
      const bytes = good.slice()
      change(new DataView(bytes.buffer, SKETCH_HEADER_BYTES), bytes)
      return sealSketch(bytes)
    }
    const jsonAt = SKETCH_HEADER_BYTES + 44
    const cases: [RegExp, Uint8Array][] = [
      [/size 0 is outside/, edit((v) => v.setUint32(0, 0, true))],
      [/holds 3 items/, edit((v) => v.setUint32(4, 3, true))],
      [/seen -1 is not a count/, edit((v) => v.setFloat64(8, -1, true))],
      [/threshold 1 is outside/, edit((v) => v.setFloat64(16, 1, true))],
      [/skip 0.5 is not a count/, edit((v) => v.setFloat64(24, 0.5, true))],
      [/bytes of items but/, edit((v) => v.setUint32(40, v.getUint32(40, true) - 1, true))],
      [/not valid UTF-8 JSON/, edit((_v, bytes) => (bytes[jsonAt] = 0x7b))],
      [/not valid UTF-8 JSON/, edit((_v, bytes) => (bytes[jsonAt + 1] = 0xff))],
      [/must be a JSON array of 4 items/, edit((_v, bytes) => bytes.set(new TextEncoder().encode('{"a":1}'.padEnd(bytes.length - jsonAt)), jsonAt))],
    ]
    for (const [message, bytes] of cases) {
      expect(() => ReservoirSampler.deserialize(bytes)).toThrow(SketchFormatError)
      expect(() => ReservoirSampler.deserialize(bytes)).toThrow(message)
    }
    const tooShort = beginSketch(SketchFamily.ReservoirSampler, 10)
    expect(() => ReservoirSampler.deserialize(sealSketch(tooShort.bytes))).toThrow(/shorter than its 44-byte preamble/)
  })
})
