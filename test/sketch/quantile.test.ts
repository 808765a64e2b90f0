// Proves the KLL QuantileSketch's contract: every rank it reports on 10⁵..10⁶
// items of uniform, normal, sorted, adversarial and tie-heavy streams is within
// its stated 99%-confidence bound of the exact rank (measured against a sorted
// copy), merges keep that bound, memory stays O(k + log n), serialisation is
// lossless, and bad input is refused by name.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { QuantileSketch } from '../../src/sketch/quantile.js'
import { beginSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from '../../src/sketch/format.js'
import { DecayingAggregate } from '../../src/sketch/decaying.js'
import { expectCorruptionsRefused, expectSameBytes, seededRandom } from './hash-sketch-helpers.js'

/** Exact ranks of a data set: how many items are < v and ≤ v, by binary search on a sorted copy. */
class ExactRanks {
  private readonly sorted: Float64Array
  constructor(data: Float64Array) {
    this.sorted = Float64Array.from(data).sort()
  }
  get n(): number {
    return this.sorted.length
  }
  /** Items ≤ v when `inclusive`, else items < v. */
  countBelow(v: number, inclusive: boolean): number {
    let lo = 0
    let hi = this.sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (inclusive ? this.sorted[mid] <= v : this.sorted[mid] < v) lo = mid + 1
      else hi = mid
    }
    return lo
  }
  at(index: number): number {
    return this.sorted[index]
  }
}

/**
 * The largest normalised rank error of the sketch over 999 quantile queries
 * (distance from q to the exact rank interval of the returned value) and 999
 * rank queries (at values spread over the exact quantiles).
 */
function maxRankError(sketch: QuantileSketch, exact: ExactRanks): number {
  let worst = 0
  for (let i = 1; i < 1000; i++) {
    const q = i / 1000
    const v = sketch.quantile(q)
    const low = exact.countBelow(v, false) / exact.n
    const high = exact.countBelow(v, true) / exact.n
    worst = Math.max(worst, q < low ? low - q : q > high ? q - high : 0)
    const x = exact.at(Math.floor(q * exact.n))
    worst = Math.max(worst, Math.abs(sketch.rank(x) - exact.countBelow(x, true) / exact.n))
  }
  return worst
}

function uniform(n: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  return Float64Array.from({ length: n }, () => random())
}

function normal(n: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  // Box–Muller with a guard against log(0).
  return Float64Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()) * 15 + 100)
}

/** Alternates from both ends towards the middle: every new item lands between all earlier ones (a classic quantile-sketch stressor). */
function zoomIn(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? i : n * 2 - i))
}

/** Builds a sketch, runs `body`, and frees the sketch's Wasm memory. */
function withSketch<T>(options: { k?: number; seed?: number }, body: (sketch: QuantileSketch) => T): T {
  const sketch = new QuantileSketch(options)
  try {
    return body(sketch)
  } finally {
    sketch.dispose()
  }
}

describe('QuantileSketch accuracy', () => {
  const cases: [string, () => Float64Array][] = [
    ['uniform, n = 10⁶', () => uniform(1_000_000, 1)],
    ['normal, n = 3·10⁵', () => normal(300_000, 2)],
    ['ascending, n = 10⁶', () => Float64Array.from({ length: 1_000_000 }, (_, i) => i)],
    ['descending, n = 10⁵', () => Float64Array.from({ length: 100_000 }, (_, i) => -i)],
    ['zoom-in, n = 2·10⁵', () => zoomIn(200_000)],
    ['100 distinct values with heavy ties, n = 2·10⁵', () => Float64Array.from(uniform(200_000, 3), (u) => Math.floor(u * u * 100))],
  ]
  it.each(cases)('%s: every rank is within rankErrorBound (k = 200)', (_name, makeData) => {
    // Feeds the stream through add() and checks 1998 queries against the exact ranks.
    const data = makeData()
    withSketch({ seed: 7 }, (sketch) => {
      for (let i = 0; i < data.length; i++) sketch.add(data[i])
      expect(sketch.count).toBe(data.length)
      expect(maxRankError(sketch, new ExactRanks(data))).toBeLessThanOrEqual(sketch.rankErrorBound)
    })
  })

  it('holds the bound for small k too (k = 16, uniform n = 2·10⁵, five seeds)', () => {
    // A small k means many compactions per item, the regime where a bookkeeping bug shows first.
    const data = uniform(200_000, 4)
    const exact = new ExactRanks(data)
    for (let seed = 1; seed <= 5; seed++) {
      withSketch({ k: 16, seed }, (sketch) => {
        sketch.addMany(data)
        expect(maxRankError(sketch, exact)).toBeLessThanOrEqual(sketch.rankErrorBound)
      })
    }
  })

  it('is exact while nothing has been compacted (n ≤ k)', () => {
    // With n = k every item is still retained at weight 1, so every rank is exact.
    const data = uniform(200, 5)
    withSketch({ k: 200, seed: 1 }, (sketch) => {
      sketch.addMany(data)
      expect(maxRankError(sketch, new ExactRanks(data))).toBe(0)
    })
  })

  it('states the published DataSketches bound: 2.296 / k^0.9723, 1.33% at k = 200', () => {
    // Compares against the figure DataSketches documents for its default k, and checks the bound shrinks as k grows.
    withSketch({}, (sketch) => {
      expect(sketch.k).toBe(200)
      expect(sketch.rankErrorBound).toBeGreaterThan(0.0132)
      expect(sketch.rankErrorBound).toBeLessThan(0.0134)
    })
    const bounds = [8, 50, 200, 1000, 65535].map((k) => withSketch({ k }, (sketch) => sketch.rankErrorBound))
    for (let i = 1; i < bounds.length; i++) expect(bounds[i]).toBeLessThan(bounds[i - 1])
  })

  it('keeps exact count, min and max, and returns them at q = 0 and q = 1', () => {
    // Streams values with known extremes in the middle of the stream.
    withSketch({ seed: 3 }, (sketch) => {
      const data = uniform(100_000, 6)
      data[50_000] = -5
      data[70_000] = 17
      sketch.addMany(data)
      expect(sketch.count).toBe(100_000)
      expect(sketch.min).toBe(-5)
      expect(sketch.max).toBe(17)
      expect(sketch.quantile(0)).toBe(-5)
      expect(sketch.quantile(1)).toBe(17)
      expect(sketch.rank(-5.0001)).toBe(0)
      expect(sketch.rank(17)).toBe(1)
    })
  })

  it('treats ±Infinity as ordinary values', () => {
    // Infinities order below and above every finite number.
    withSketch({ seed: 1 }, (sketch) => {
      sketch.addMany([Infinity, 1, 2, -Infinity, 3])
      expect(sketch.min).toBe(-Infinity)
      expect(sketch.max).toBe(Infinity)
      expect(sketch.quantile(0.5)).toBe(2)
      expect(sketch.rank(0)).toBeCloseTo(0.2, 12)
    })
  })

  it('answers NaN for every estimate of an empty sketch', () => {
    // Nothing to rank: quantile, rank, min and max all say so with NaN.
    withSketch({}, (sketch) => {
      expect(sketch.count).toBe(0)
      expect(sketch.quantile(0.5)).toBeNaN()
      expect(sketch.rank(1)).toBeNaN()
      expect(sketch.min).toBeNaN()
      expect(sketch.max).toBeNaN()
    })
  })
})

describe('QuantileSketch memory', () => {
  it('retains O(k + log n) items: at most 3k + 8·(log2(n/k) + 2)', () => {
    // Checks the retained count at growing n against the capacity formula, and that it barely grows from 10⁵ to 10⁶.
    withSketch({ k: 200, seed: 9 }, (sketch) => {
      const data = uniform(1_000_000, 8)
      let retainedAt100k = 0
      for (let i = 0; i < data.length; i++) {
        sketch.add(data[i])
        const n = i + 1
        if (n === 100_000) retainedAt100k = sketch.retained
        if (n % 50_000 === 0) expect(sketch.retained).toBeLessThanOrEqual(3 * 200 + 8 * (Math.log2(n / 200) + 2))
      }
      expect(sketch.retained).toBeLessThan(retainedAt100k + 8 * 5)
    })
  })
})

describe('QuantileSketch merge', () => {
  it('merging sketches of 8 parts stays within the bound (random split and sorted chunks)', () => {
    // Builds one sketch per part, merges them into the first, and measures against the whole stream.
    const data = uniform(800_000, 10)
    const exact = new ExactRanks(data)
    const sortedData = Float64Array.from(data).sort()
    for (const parts of [data, sortedData]) {
      const sketches = Array.from({ length: 8 }, (_, i) => new QuantileSketch({ seed: 100 + i }))
      const random = seededRandom(11)
      for (let i = 0; i < parts.length; i++) {
        // Random split for shuffled data; contiguous sorted chunks (each sketch sees a disjoint range) otherwise.
        const which = parts === data ? Math.floor(random() * 8) : Math.floor((i * 8) / parts.length)
        sketches[which].add(parts[i])
      }
      for (let i = 1; i < 8; i++) sketches[0].merge(sketches[i])
      expect(sketches[0].count).toBe(800_000)
      expect(sketches[0].min).toBe(exact.at(0))
      expect(sketches[0].max).toBe(exact.at(exact.n - 1))
      expect(maxRankError(sketches[0], exact)).toBeLessThanOrEqual(sketches[0].rankErrorBound)
      expect(sketches[0].retained).toBeLessThanOrEqual(3 * 200 + 8 * (Math.log2(800_000 / 200) + 2))
      for (const sketch of sketches) sketch.dispose()
    }
  })

  it('merges a sketch of a smaller k down to that k, and leaves the source unchanged', () => {
    // The merged sketch answers with the smaller k's bound; the source's bytes do not change.
    const a = new QuantileSketch({ k: 400, seed: 1 })
    const b = new QuantileSketch({ k: 100, seed: 2 })
    const data = uniform(200_000, 12)
    a.addMany(data.subarray(0, 100_000))
    b.addMany(data.subarray(100_000))
    const before = b.serialize()
    a.merge(b)
    expectSameBytes(b.serialize(), before)
    expect(a.k).toBe(100)
    expect(maxRankError(a, new ExactRanks(data))).toBeLessThanOrEqual(a.rankErrorBound)
    a.dispose()
    b.dispose()
  })

  it('merging an empty sketch changes nothing, and merging into an empty one copies the stream', () => {
    // Empty sketches are the identity of merge in both directions.
    const full = new QuantileSketch({ seed: 4 })
    full.addMany(uniform(50_000, 13))
    const before = full.serialize()
    const empty = new QuantileSketch({ seed: 5 })
    full.merge(empty)
    expectSameBytes(full.serialize(), before)
    empty.merge(full)
    expect(empty.count).toBe(50_000)
    expect(empty.quantile(0.5)).toBe(full.quantile(0.5))
    full.dispose()
    empty.dispose()
  })

  it('refuses to merge a non-sketch or itself', () => {
    // Both would be silent nonsense; each names the problem.
    withSketch({}, (sketch) => {
      expect(() => sketch.merge({} as QuantileSketch)).toThrow(/expects a QuantileSketch/)
      expect(() => sketch.merge(sketch)).toThrow(/into itself/)
    })
  })
})

describe('QuantileSketch updates', () => {
  it('addMany equals add item by item, for any chunking (same seed, same bytes)', () => {
    // Property: chunked batches (Float64Array or number[]) build byte-identical sketches to single adds.
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { maxLength: 3000 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 8, max: 40 }),
        fc.boolean(),
        (values, chunkSizes, k, typed) => {
          const single = new QuantileSketch({ k, seed: 77 })
          const batched = new QuantileSketch({ k, seed: 77 })
          for (const x of values) single.add(x)
          for (let at = 0, c = 0; at < values.length; c++) {
            const chunk = values.slice(at, at + chunkSizes[c % chunkSizes.length])
            batched.addMany(typed ? Float64Array.from(chunk) : chunk)
            at += chunk.length
          }
          expectSameBytes(batched.serialize(), single.serialize())
          single.dispose()
          batched.dispose()
        },
      ),
      { numRuns: 60 },
    )
  })

  it('is reproducible: equal seeds give equal sketches, different seeds different ones', () => {
    // Compaction coins come from the seed only.
    const data = uniform(100_000, 14)
    const bytes = [1, 1, 2].map((seed) => withSketch({ seed }, (sketch) => (sketch.addMany(data), sketch.serialize())))
    expectSameBytes(bytes[1], bytes[0])
    expect(Buffer.from(bytes[2]).equals(Buffer.from(bytes[0]))).toBe(false)
  })

  it('refuses NaN and non-numbers, adding nothing from a refused batch', () => {
    // NaN has no rank; a batch with one is refused whole, so the count is unchanged.
    withSketch({ seed: 1 }, (sketch) => {
      sketch.addMany([1, 2, 3])
      expect(() => sketch.add(NaN)).toThrow(RangeError)
      expect(() => sketch.add(NaN)).toThrow(/NaN/)
      expect(() => sketch.add('5' as unknown as number)).toThrow(TypeError)
      expect(() => sketch.addMany([4, 5, NaN, 6])).toThrow(/xs\[2\] is NaN.*nothing from the batch was added/)
      expect(() => sketch.addMany(Float64Array.of(4, NaN))).toThrow(/xs\[1\]/)
      expect(() => sketch.addMany([4, null as unknown as number])).toThrow(/xs\[1\] must be a number/)
      expect(() => sketch.addMany('123' as unknown as number[])).toThrow(TypeError)
      expect(sketch.count).toBe(3)
      expect(() => sketch.rank(NaN)).toThrow(/rank: x is NaN/)
    })
  })

  it('refuses q outside [0, 1] by name', () => {
    // A quantile of rank 1.5 or NaN does not exist.
    withSketch({}, (sketch) => {
      sketch.add(1)
      for (const q of [-0.1, 1.5, NaN, '0.5']) expect(() => sketch.quantile(q as number)).toThrow(/q must be a number in \[0, 1\]/)
    })
  })
})

describe('QuantileSketch options and lifetime', () => {
  it('refuses bad options with a RangeError or TypeError naming the option', () => {
    // k below 8 (DataSketches' minimum), above 65535, or fractional; seeds that are not non-negative integers.
    for (const k of [7, 0, -1, 65536, 8.5, NaN, '200']) expect(() => new QuantileSketch({ k: k as number })).toThrow(/QuantileSketch: k must be an integer in 8\.\.65535/)
    expect(() => new QuantileSketch({ k: 7 })).toThrow(RangeError)
    for (const seed of [-1, 1.5, 2 ** 53]) expect(() => new QuantileSketch({ seed })).toThrow(/seed must be an integer/)
    expect(() => new QuantileSketch(null as unknown as {})).toThrow(/options must be an object/)
    expect(new QuantileSketch({ k: 8 }).k).toBe(8)
  })

  it('frees its memory on dispose and refuses use afterwards', () => {
    // A disposed sketch must not touch memory another sketch may now own.
    const sketch = new QuantileSketch({})
    sketch.add(1)
    sketch.dispose()
    expect(sketch.disposed).toBe(true)
    expect(() => sketch.add(2)).toThrow(/disposed/)
    expect(() => sketch.quantile(0.5)).toThrow(/disposed/)
    expect(() => sketch.serialize()).toThrow(/disposed/)
  })
})

describe('QuantileSketch serialisation', () => {
  it('round-trips losslessly: same bytes, same answers, same future (fast-check)', () => {
    // Property: deserialize(serialize(s)) re-serialises to the same bytes, answers alike, and stays identical after more adds.
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { maxLength: 2000 }),
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { maxLength: 500 }),
        fc.integer({ min: 8, max: 64 }),
        fc.nat(),
        (values, more, k, seed) => {
          const original = new QuantileSketch({ k, seed })
          original.addMany(values)
          const bytes = original.serialize()
          const copy = QuantileSketch.deserialize(bytes)
          expectSameBytes(copy.serialize(), bytes)
          expect(copy.count).toBe(original.count)
          for (const q of [0, 0.1, 0.5, 0.9, 1]) expect(Object.is(copy.quantile(q), original.quantile(q))).toBe(true)
          original.addMany(more)
          copy.addMany(more)
          expectSameBytes(copy.serialize(), original.serialize())
          original.dispose()
          copy.dispose()
        },
      ),
      { numRuns: 80 },
    )
  })

  it('round-trips a large merged sketch', () => {
    // Many levels and a merge-shaped layout survive the trip.
    const a = new QuantileSketch({ seed: 1 })
    const b = new QuantileSketch({ seed: 2 })
    a.addMany(uniform(300_000, 15))
    b.addMany(normal(300_000, 16))
    a.merge(b)
    const bytes = a.serialize()
    const copy = QuantileSketch.deserialize(bytes)
    expectSameBytes(copy.serialize(), bytes)
    expect(copy.quantile(0.25)).toBe(a.quantile(0.25))
    for (const sketch of [a, b, copy]) sketch.dispose()
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // The shared corruption cases, each of which must raise a SketchFormatError.
    withSketch({ seed: 1 }, (sketch) => {
      sketch.addMany(uniform(10_000, 17))
      const other = new DecayingAggregate({ lambda: 0.5 })
      expectCorruptionsRefused(sketch.serialize(), QuantileSketch.deserialize, other.serialize())
      other.dispose()
    })
  })

  it('refuses well-checksummed payloads whose fields are inconsistent, naming the field', () => {
    // Re-seals edited payloads so only the payload validation stands between them and the sketch.
    const good = withSketch({ k: 8, seed: 1 }, (sketch) => (sketch.addMany(uniform(100, 18)), sketch.serialize()))
    const levelCount = good[SKETCH_HEADER_BYTES + 2]
    const itemsAt = SKETCH_HEADER_BYTES + 40 + 4 * levelCount
    const edit = (change: (view: DataView) => void): Uint8Array => {
      const bytes = good.slice()
      change(new DataView(bytes.buffer, SKETCH_HEADER_BYTES))
      return sealSketch(bytes)
    }
    const payloadView = new DataView(good.buffer, SKETCH_HEADER_BYTES)
    const lastLevel = levelCount - 1
    let lastLevelStart = itemsAt - SKETCH_HEADER_BYTES
    for (let h = 0; h < lastLevel; h++) lastLevelStart += 8 * payloadView.getUint32(40 + 4 * h, true)
    const cases: [string, Uint8Array][] = [
      ['k 7 is below the minimum', edit((v) => v.setUint16(0, 7, true))],
      ['levelCount 0', edit((v) => v.setUint8(2, 0))],
      ['reserved byte', edit((v) => v.setUint8(3, 1))],
      ['level weights add up', edit((v) => v.setFloat64(8, v.getFloat64(8, true) + 1, true))],
      ['not an integer count', edit((v) => v.setFloat64(8, 0.5, true))],
      ['not an ordered pair', edit((v) => v.setFloat64(16, NaN, true))],
      ['outside \\[min, max\\]', edit((v) => v.setFloat64(24, v.getFloat64(16, true), true))],
      ['not sorted', edit((v) => v.setFloat64(lastLevelStart, v.getFloat64(24, true), true))],
      ['NaN or outside', edit((v) => v.setFloat64(itemsAt - SKETCH_HEADER_BYTES, NaN, true))],
      ['level sizes add up', edit((v) => v.setUint32(40, v.getUint32(40, true) + 1, true))],
      ['payload is', edit((v) => v.setUint32(4, v.getUint32(4, true) + 1, true))],
    ]
    for (const [message, bytes] of cases) {
      expect(() => QuantileSketch.deserialize(bytes), message).toThrow(SketchFormatError)
      expect(() => QuantileSketch.deserialize(bytes), message).toThrow(new RegExp(message))
    }
    const tooShort = beginSketch(SketchFamily.QuantileSketch, 10)
    expect(() => QuantileSketch.deserialize(sealSketch(tooShort.bytes))).toThrow(/shorter than its 40-byte preamble/)
  })

  it('round-trips an empty sketch', () => {
    // Empty means n = 0 with NaN extremes, and stays usable after the trip.
    const copy = QuantileSketch.deserialize(withSketch({ seed: 3 }, (sketch) => sketch.serialize()))
    expect(copy.count).toBe(0)
    copy.add(5)
    expect(copy.quantile(0.5)).toBe(5)
    copy.dispose()
  })
})
