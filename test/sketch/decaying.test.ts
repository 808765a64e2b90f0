// Proves the decaying aggregates equal their brute-force definitions within
// 1e-9 relative: Σ x_i (1 − λ)^(n − i) per element, Σ x_i 2^(−(T − t_i)/h) by
// time (in any arrival order), and the decay-weighted mean and variance; that
// merges, the keyed table and its z-scores agree with single aggregates; that
// serialisation is lossless; and that bad input is refused by name.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { DecayingAggregate, DecayingAggregateTable } from '../../src/sketch/decaying.js'
import { sealSketch, SKETCH_HEADER_BYTES } from '../../src/sketch/format.js'
import { QuantileSketch } from '../../src/sketch/quantile.js'
import { expectCorruptionsRefused, seededRandom } from './hash-sketch-helpers.js'

/** Brute-force decayed statistics from explicit weights. */
function reference(values: readonly number[], weights: readonly number[]): { sum: number; count: number; average: number; variance: number } {
  let sum = 0
  let count = 0
  for (let i = 0; i < values.length; i++) {
    sum += weights[i] * values[i]
    count += weights[i]
  }
  const average = sum / count
  let squares = 0
  for (let i = 0; i < values.length; i++) squares += weights[i] * (values[i] - average) ** 2
  return { sum, count, average, variance: squares / count }
}

function perElementWeights(n: number, lambda: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.pow(1 - lambda, n - 1 - i))
}

function halfLifeWeights(timesMs: readonly number[], atMs: number, halfLifeMs: number): number[] {
  return timesMs.map((t) => Math.pow(2, -(atMs - t) / halfLifeMs))
}

/** |actual − expected| ≤ 1e-9 · |expected| (the relative tolerance of the contract). */
function expectRelative(actual: number, expected: number, tolerance = 1e-9): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected))
}

function randomValues(n: number, seed: number, offset = 10): number[] {
  const random = seededRandom(seed)
  return Array.from({ length: n }, () => offset + random() * 90)
}

describe('DecayingAggregate per element (lambda)', () => {
  it.each([0.001, 0.05, 0.5, 0.99])('λ = %d: sum and count equal Σ x_i (1 − λ)^(n − i) and Σ (1 − λ)^(n − i)', (lambda) => {
    // Feeds 2000 values one by one and in batches, and compares with the closed form.
    const values = randomValues(2000, 1)
    const expected = reference(values, perElementWeights(values.length, lambda))
    const single = new DecayingAggregate({ lambda })
    for (const x of values) single.add(x)
    const batched = new DecayingAggregate({ lambda })
    batched.addMany(Float64Array.from(values.slice(0, 700)))
    batched.addMany(values.slice(700))
    for (const aggregate of [single, batched]) {
      expectRelative(aggregate.sum(), expected.sum)
      expectRelative(aggregate.count(), expected.count)
      expectRelative(aggregate.average(), expected.average)
      expectRelative(aggregate.variance(), expected.variance)
    }
    single.dispose()
    batched.dispose()
  })

  it('keeps the variance accurate when the mean dwarfs the spread (no cancellation)', () => {
    // Values 1e6 + noise in [0, 1): Σwx² − (Σwx)²/Σw is off by ~1e-2 relative here; the deviation form stays within 1e-7.
    const values = randomValues(5000, 2, 0).map((x) => 1e6 + x / 90)
    const aggregate = new DecayingAggregate({ lambda: 0.01 })
    aggregate.addMany(values)
    const expected = reference(values, perElementWeights(values.length, 0.01))
    expectRelative(aggregate.variance(), expected.variance, 1e-7)
    expectRelative(aggregate.average(), expected.average)
    aggregate.dispose()
  })

  it('merges as two independent sub-streams: sums, counts and variance combine exactly', () => {
    // Each side decays by its own elements; the merge equals pooling both weighted sets.
    const a = randomValues(300, 3)
    const b = randomValues(500, 4, 50)
    const left = new DecayingAggregate({ lambda: 0.02 })
    const right = new DecayingAggregate({ lambda: 0.02 })
    left.addMany(a)
    right.addMany(b)
    left.merge(right)
    const expected = reference([...a, ...b], [...perElementWeights(a.length, 0.02), ...perElementWeights(b.length, 0.02)])
    expectRelative(left.sum(), expected.sum)
    expectRelative(left.count(), expected.count)
    expectRelative(left.variance(), expected.variance)
    expectRelative(right.sum(), reference(b, perElementWeights(b.length, 0.02)).sum)
    left.dispose()
    right.dispose()
  })

  it('answers 0 and NaN before any element', () => {
    // An empty aggregate has no mean and no variance.
    const aggregate = new DecayingAggregate({ lambda: 0.1 })
    expect(aggregate.sum()).toBe(0)
    expect(aggregate.count()).toBe(0)
    expect(aggregate.average()).toBeNaN()
    expect(aggregate.variance()).toBeNaN()
    aggregate.dispose()
  })
})

describe('DecayingAggregate by time (halfLifeMs)', () => {
  it('equals Σ x_i 2^(−(T − t_i)/h) at the latest time and later, for shuffled timestamps', () => {
    // 3000 elements over 100 s, arriving out of order; read at the max timestamp and 5 s after it.
    const random = seededRandom(5)
    const values = randomValues(3000, 6)
    const timesMs = values.map(() => 1_700_000_000_000 + Math.floor(random() * 100_000))
    const latest = Math.max(...timesMs)
    const single = new DecayingAggregate({ halfLifeMs: 7_000 })
    for (let i = 0; i < values.length; i++) single.add(values[i], timesMs[i])
    const batched = new DecayingAggregate({ halfLifeMs: 7_000 })
    batched.addMany(values, Float64Array.from(timesMs))
    for (const atMs of [latest, latest + 5_000]) {
      const expected = reference(values, halfLifeWeights(timesMs, atMs, 7_000))
      for (const aggregate of [single, batched]) {
        expectRelative(aggregate.sum(atMs), expected.sum)
        expectRelative(aggregate.count(atMs), expected.count)
        expectRelative(aggregate.average(atMs), expected.average)
        expectRelative(aggregate.variance(atMs), expected.variance)
      }
    }
    expectRelative(single.sum(), batched.sum(latest))
    single.dispose()
    batched.dispose()
  })

  it('halves the sum every half-life', () => {
    // One element of 8 read one and two half-lives later gives 4 and 2.
    const aggregate = new DecayingAggregate({ halfLifeMs: 1000 })
    aggregate.add(8, 5000)
    expectRelative(aggregate.sum(6000), 4)
    expectRelative(aggregate.sum(7000), 2)
    expect(aggregate.average(7000)).toBe(8)
    aggregate.dispose()
  })

  it('a merge equals one aggregate fed both streams (fast-check)', () => {
    // Property: in time mode the merge is exact whatever the two sides' time ranges.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 0, max: 60_000 })), { minLength: 1, maxLength: 60 }),
        fc.array(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.integer({ min: 0, max: 60_000 })), { minLength: 1, maxLength: 60 }),
        (left, right) => {
          const a = new DecayingAggregate({ halfLifeMs: 10_000 })
          const b = new DecayingAggregate({ halfLifeMs: 10_000 })
          const both = new DecayingAggregate({ halfLifeMs: 10_000 })
          for (const [x, t] of left) (a.add(x, t), both.add(x, t))
          for (const [x, t] of right) (b.add(x, t), both.add(x, t))
          a.merge(b)
          const scale = [...left, ...right].reduce((s, [x]) => s + Math.abs(x), 0) + 1
          expect(Math.abs(a.sum() - both.sum())).toBeLessThanOrEqual(1e-9 * scale)
          expectRelative(a.count(), both.count())
          expect(Math.abs(a.variance() - both.variance())).toBeLessThanOrEqual(1e-9 * (both.variance() + scale * scale * 1e-3))
          for (const aggregate of [a, b, both]) aggregate.dispose()
        },
      ),
      { numRuns: 100 },
    )
  })

  it('timestamps default to Date.now()', () => {
    // Without a timestamp the element is stamped now, so a read a half-life later sees half.
    const aggregate = new DecayingAggregate({ halfLifeMs: 60_000 })
    const before = Date.now()
    aggregate.add(10)
    const after = Date.now()
    const halved = aggregate.sum(after + 60_000)
    expect(halved).toBeGreaterThanOrEqual(5 * Math.pow(2, -(after - before) / 60_000) - 1e-12)
    expect(halved).toBeLessThanOrEqual(5 + 1e-12)
    aggregate.dispose()
  })
})

describe('DecayingAggregateTable', () => {
  it('each key equals a DecayingAggregate fed that key’s elements (keys, slots, z-scores)', () => {
    // 20 sensors, 5000 timed readings in batches; per-key results and the z-scores returned must match single aggregates.
    const random = seededRandom(7)
    const table = new DecayingAggregateTable({ halfLifeMs: 30_000, initialKeys: 2 })
    const singles = new Map<string, DecayingAggregate>()
    for (let batch = 0; batch < 10; batch++) {
      const keys: string[] = []
      const values: number[] = []
      const times: number[] = []
      for (let i = 0; i < 500; i++) {
        keys.push(`sensor-${Math.floor(random() * 20)}`)
        values.push(random() * 100)
        times.push(batch * 10_000 + Math.floor(random() * 20_000))
      }
      const expectedZ = keys.map((key, i) => {
        let single = singles.get(key)
        if (single === undefined) singles.set(key, (single = new DecayingAggregate({ halfLifeMs: 30_000 })))
        const z = single.count() > 0 ? (values[i] - single.average()) / Math.sqrt(single.variance()) : NaN
        single.add(values[i], times[i])
        return z
      })
      const zScores = new Float64Array(keys.length)
      if (batch % 2 === 0) table.addMany(keys, values, times, zScores)
      else table.addMany(Uint32Array.from(keys, (key) => table.slotOf(key)), Float64Array.from(values), Float64Array.from(times), zScores)
      for (let i = 0; i < keys.length; i++) {
        // A key's first element has no reference (NaN); its second meets zero variance (±Infinity).
        if (!Number.isFinite(expectedZ[i])) expect(zScores[i]).toBe(expectedZ[i])
        else expectRelative(zScores[i], expectedZ[i], 1e-7)
      }
    }
    expect(table.size).toBe(20)
    for (const [key, single] of singles) {
      expectRelative(table.sum(key), single.sum())
      expectRelative(table.count(key), single.count())
      expectRelative(table.variance(key), single.variance())
      expectRelative(table.zScore(key, 42), (42 - single.average()) / Math.sqrt(single.variance()))
      single.dispose()
    }
    expect(table.sum('nobody')).toBe(0)
    expect(table.average('nobody')).toBeNaN()
    table.dispose()
  })

  it('per-element tables decay each key by its own elements', () => {
    // Interleaved keys must not decay each other.
    const table = new DecayingAggregateTable({ lambda: 0.5 })
    table.addMany(['a', 'b', 'a', 'b', 'b'], [1, 10, 2, 20, 30])
    expectRelative(table.sum('a'), 1 * 0.5 + 2)
    expectRelative(table.sum('b'), 10 * 0.25 + 20 * 0.5 + 30)
    table.add(7, 4)
    expect(table.keys()).toEqual(['a', 'b', 7])
    expect(table.sum(7)).toBe(4)
    table.dispose()
  })

  it('refuses a bad batch whole: no row changes, no key is created', () => {
    // A NaN at index 2 after two new keys leaves the table exactly as it was.
    const table = new DecayingAggregateTable({ halfLifeMs: 1000 })
    table.add('a', 1, 0)
    const before = table.serialize()
    expect(() => table.addMany(['a', 'new1', 'new2'], [1, 2, NaN], [1, 2, 3])).toThrow(/values\[2\] must be finite.*refused/)
    expect(() => table.addMany(['a', 'new1'], [1, 2], [1, Infinity])).toThrow(/timestampsMs\[1\]/)
    expect(() => table.addMany(Uint32Array.of(0, 5), [1, 2], [1, 2])).toThrow(/slots\[1\] = 5 is not a slot/)
    expect(() => table.addMany(['a', {} as unknown as string], [1, 2], [1, 2])).toThrow(/keys\[1\] must be a string or a finite number/)
    expect(() => table.addMany(['a', 'b'], [1], [1, 2])).toThrow(/values has 1 entries for 2 values/)
    expect(table.keys()).toEqual(['a'])
    expect(table.serialize()).toEqual(before)
    table.dispose()
  })

  it('merges key by key, adding the other table’s new keys', () => {
    // Shared keys combine exactly; keys only the other has appear with their own values.
    const a = new DecayingAggregateTable({ halfLifeMs: 1000 })
    const b = new DecayingAggregateTable({ halfLifeMs: 1000 })
    const single = new DecayingAggregate({ halfLifeMs: 1000 })
    a.addMany(['x', 'y'], [1, 2], [0, 100])
    b.addMany(['x', 'z'], [3, 4], [500, 700])
    single.addMany([1, 3], [0, 500])
    a.merge(b)
    expect(a.keys()).toEqual(['x', 'y', 'z'])
    expectRelative(a.sum('x'), single.sum())
    expectRelative(a.sum('z'), 4)
    for (const sketch of [a, b, single]) sketch.dispose()
  })

  it('round-trips losslessly (fast-check)', () => {
    // Property: a deserialised table has the same keys, re-serialises to the same bytes and evolves identically.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 6 }), fc.integer({ min: -5, max: 5 })), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 0, max: 1e6 })), {
          maxLength: 80,
        }),
        fc.boolean(),
        (rows, timed) => {
          const table = new DecayingAggregateTable(timed ? { halfLifeMs: 250 } : { lambda: 0.3 })
          for (const [key, x, t] of rows) table.add(key, x, timed ? t : undefined)
          const bytes = table.serialize()
          const copy = DecayingAggregateTable.deserialize(bytes)
          expect(copy.keys()).toEqual(table.keys())
          expect(copy.serialize()).toEqual(bytes)
          table.add('later', 1, timed ? 2e6 : undefined)
          copy.add('later', 1, timed ? 2e6 : undefined)
          expect(copy.serialize()).toEqual(table.serialize())
          table.dispose()
          copy.dispose()
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('DecayingAggregate serialisation', () => {
  it('round-trips losslessly and continues identically (fast-check)', () => {
    // Property: every field survives, so later adds and reads agree exactly.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 1e7 })), { maxLength: 100 }),
        fc.boolean(),
        (elements, timed) => {
          const original = new DecayingAggregate(timed ? { halfLifeMs: 1234.5 } : { lambda: 0.125 })
          for (const [x, t] of elements) original.add(x, timed ? t : undefined)
          const bytes = original.serialize()
          const copy = DecayingAggregate.deserialize(bytes)
          expect(copy.serialize()).toEqual(bytes)
          expect(copy.lambda).toBe(original.lambda)
          expect(copy.halfLifeMs).toBe(original.halfLifeMs)
          original.add(3, timed ? 2e7 : undefined)
          copy.add(3, timed ? 2e7 : undefined)
          expect(Object.is(copy.sum(), original.sum())).toBe(true)
          expect(Object.is(copy.variance(), original.variance())).toBe(true)
          original.dispose()
          copy.dispose()
        },
      ),
      { numRuns: 100 },
    )
  })

  it('refuses garbage, truncated, bit-flipped, wrong-family and unknown-version bytes', () => {
    // The shared corruption cases, for the single aggregate and the table.
    const aggregate = new DecayingAggregate({ halfLifeMs: 1000 })
    aggregate.addMany([1, 2, 3], [1, 2, 3])
    const table = new DecayingAggregateTable({ lambda: 0.2 })
    table.addMany(['a', 'b'], [1, 2])
    const other = new QuantileSketch({ seed: 1 })
    expectCorruptionsRefused(aggregate.serialize(), DecayingAggregate.deserialize, other.serialize())
    expectCorruptionsRefused(table.serialize(), DecayingAggregateTable.deserialize, other.serialize())
    expect(() => DecayingAggregate.deserialize(table.serialize())).toThrow(/use DecayingAggregateTable.deserialize/)
    expect(() => DecayingAggregateTable.deserialize(aggregate.serialize())).toThrow(/use DecayingAggregate.deserialize/)
    for (const sketch of [aggregate, table, other]) sketch.dispose()
  })

  it('refuses well-checksummed payloads whose fields are out of range, naming the field', () => {
    // Re-seals edited payloads so only the payload validation stands between them and an aggregate.
    const aggregate = new DecayingAggregate({ lambda: 0.25 })
    aggregate.addMany([1, 2, 3])
    const good = aggregate.serialize()
    aggregate.dispose()
    const edit = (change: (view: DataView) => void): Uint8Array => {
      const bytes = good.slice()
      change(new DataView(bytes.buffer, SKETCH_HEADER_BYTES))
      return sealSketch(bytes)
    }
    const cases: [RegExp, Uint8Array][] = [
      [/unknown decay mode 7/, edit((v) => v.setUint8(0, 7))],
      [/reserved byte 2/, edit((v) => v.setUint8(2, 1))],
      [/lambda must be a number strictly between 0 and 1, got 1.5/, edit((v) => v.setFloat64(8, 1.5, true))],
      [/non-finite sum/, edit((v) => v.setFloat64(16, Infinity, true))],
      [/invalid count -1/, edit((v) => v.setFloat64(24, -1, true))],
      [/invalid squared-deviation sum/, edit((v) => v.setFloat64(32, NaN, true))],
      [/has time 5, which does not fit/, edit((v) => v.setFloat64(40, 5, true))],
    ]
    for (const [message, bytes] of cases) expect(() => DecayingAggregate.deserialize(bytes)).toThrow(message)
  })
})

describe('DecayingAggregate bad input', () => {
  it('refuses bad options with RangeErrors naming the option', () => {
    // λ must lie in (0, 1), the half-life must be a positive finite time, and exactly one of them is given.
    for (const lambda of [0, 1, -0.1, 1.5, NaN, '0.5']) {
      expect(() => new DecayingAggregate({ lambda: lambda as number })).toThrow(/lambda must be a number strictly between 0 and 1/)
      expect(() => new DecayingAggregateTable({ lambda: lambda as number })).toThrow(RangeError)
    }
    for (const halfLifeMs of [0, -5, Infinity, NaN]) {
      expect(() => new DecayingAggregate({ halfLifeMs })).toThrow(/halfLifeMs must be a finite number > 0/)
    }
    expect(() => new DecayingAggregate({ lambda: 0.5, halfLifeMs: 10 } as unknown as { lambda: number })).toThrow(/either lambda .* or halfLifeMs .*, not both/)
    expect(() => new DecayingAggregate({} as { lambda: number })).toThrow(/needs lambda .* or halfLifeMs/)
    expect(() => new DecayingAggregateTable({ lambda: 0.5, initialKeys: 0 })).toThrow(/initialKeys must be an integer/)
    expect(() => new DecayingAggregate(5 as unknown as { lambda: number })).toThrow(/options must be an object/)
  })

  it('refuses bad values, timestamps and reads, naming each, and changes nothing', () => {
    // Non-finite or non-number values, timestamps where they mean nothing, reads before the latest timestamp.
    const timed = new DecayingAggregate({ halfLifeMs: 1000 })
    timed.add(1, 5000)
    expect(() => timed.add(NaN, 6000)).toThrow(/value must be finite/)
    expect(() => timed.add('1' as unknown as number, 6000)).toThrow(/value must be a number/)
    expect(() => timed.add(1, NaN)).toThrow(/timestampMs must be a finite number/)
    expect(() => timed.sum(4000)).toThrow(/atMs 4000 is before the latest timestamp 5000/)
    expect(() => timed.addMany([1, 2], [1])).toThrow(/timestampsMs has 1 entries for 2 values/)
    expect(() => timed.addMany([1, Infinity], [6000, 7000])).toThrow(/values\[1\] must be finite/)
    expect(timed.sum()).toBe(1)
    const perElement = new DecayingAggregate({ lambda: 0.5 })
    expect(() => perElement.add(1, 1000)).toThrow(/timestampMs is only meaningful with halfLifeMs/)
    expect(() => perElement.addMany([1], [1000])).toThrow(/timestampsMs are only meaningful with halfLifeMs/)
    expect(() => perElement.sum(1000)).toThrow(/atMs is only meaningful with halfLifeMs/)
    expect(() => perElement.merge(timed)).toThrow(/decay differs \(lambda 0.5 here, halfLifeMs 1000 in the other\)/)
    expect(() => perElement.merge(perElement)).toThrow(/into itself/)
    expect(perElement.count()).toBe(0)
    timed.dispose()
    perElement.dispose()
    expect(() => timed.add(1, 1)).toThrow(/disposed/)
  })
})
