// The sketch-backed window aggregates (approxDistinct, topK, quantiles,
// decayingAvg): results within each sketch's documented bound of the exact
// answer over random windows, session merges, the stores' slot lifecycle and
// refusals, and each one plugged into a WindowOperator end to end.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { session, tumbling, WindowOperator, StreamConfigError, StreamInputError, type AggregateFunction, type WindowAssigner, type WindowResult } from '../../src/stream/index.js'
import {
  approxDistinct,
  decayingAvg,
  quantiles,
  topK,
  type SketchKey,
  type TimedValue,
  type TopKEntry,
} from '../../src/stream/window/sketch-aggregates.js'
import { HyperLogLog } from '../../src/sketch/hyperloglog.js'

interface Rec<V> {
  key: string
  ts: number
  value: V
}

/** Feeds the records in batches of `batchSize` (in the given order), then the end-of-input watermark. */
function run<V, OUT>(assigner: WindowAssigner, aggregate: AggregateFunction<V, any, OUT>, records: Rec<V>[], batchSize = 37): WindowResult<OUT>[] {
  const op = new WindowOperator({ assigner, aggregate })
  const results: WindowResult<OUT>[] = []
  for (let i = 0; i < records.length; i += batchSize) {
    const part = records.slice(i, i + batchSize)
    const out = op.processBatch({ keys: part.map((r) => r.key), timestamps: Float64Array.from(part, (r) => r.ts), values: part.map((r) => r.value) })
    results.push(...out.results)
  }
  results.push(...op.advanceWatermark(Infinity))
  expect(op.stats().windows).toBe(0)
  return results
}

/** The exact reference: records grouped by (key, tumbling window). */
function tumblingGroups<V>(records: Rec<V>[], size: number): Map<string, Rec<V>[]> {
  const groups = new Map<string, Rec<V>[]>()
  for (const r of records) {
    const start = Math.floor(r.ts / size) * size
    const id = `${r.key}|${start}|${start + size}`
    let list = groups.get(id)
    if (list === undefined) groups.set(id, (list = []))
    list.push(r)
  }
  return groups
}

/** The exact reference for session windows: per key, records within `gap` of the session's latest one join it. */
function sessionGroups<V>(records: Rec<V>[], gap: number): Map<string, Rec<V>[]> {
  const byKey = new Map<string, Rec<V>[]>()
  for (const r of records) {
    let list = byKey.get(r.key)
    if (list === undefined) byKey.set(r.key, (list = []))
    list.push(r)
  }
  const groups = new Map<string, Rec<V>[]>()
  for (const [key, list] of byKey) {
    const sorted = [...list].sort((a, b) => a.ts - b.ts)
    let current: Rec<V>[] = []
    const close = () => {
      if (current.length === 0) return
      groups.set(`${key}|${current[0].ts}|${current[current.length - 1].ts + gap}`, current)
      current = []
    }
    for (const r of sorted) {
      if (current.length > 0 && r.ts > current[current.length - 1].ts + gap) close()
      current.push(r)
    }
    close()
  }
  return groups
}

function byWindow<OUT>(results: WindowResult<OUT>[]): Map<string, OUT> {
  const out = new Map<string, OUT>()
  for (const r of results) out.set(`${r.key}|${r.windowStart}|${r.windowEnd}`, r.result)
  return out
}

/** Key equality as the sketches see it: SameValueZero (−0 = 0, NaN = NaN), numbers ≠ strings. */
function exactCounts(values: SketchKey[]): Map<SketchKey, number> {
  const counts = new Map<SketchKey, number>()
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
  return counts
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const out = xs.slice()
  let s = seed >>> 0 || 1
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    const j = (s >>> 0) % (i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

const keyArb = fc.constantFrom('a', 'b', 'c')
const sketchKeyArb: fc.Arbitrary<SketchKey> = fc.oneof(
  fc.integer({ min: 0, max: 300 }),
  fc.integer({ min: 0, max: 300 }).map((i) => `s${i}`),
  fc.constantFrom<SketchKey>(0, -0, NaN, 1.5, -1e300, '', 'é✓'),
)

// ------------------------------------------------------------ approxDistinct

describe('approxDistinct', () => {
  it('is within the HyperLogLog bound of the exact distinct count over random tumbling windows', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 4999 }), value: sketchKeyArb }), { maxLength: 400 }), fc.integer({ min: 6, max: 14 }), (records, precision) => {
        const results = byWindow(run(tumbling({ size: 1000 }), approxDistinct({ precision }), records))
        const groups = tumblingGroups(records, 1000)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        const sigma = 1.04 / Math.sqrt(2 ** precision)
        for (const [id, list] of groups) {
          const exact = exactCounts(list.map((r) => r.value)).size
          expect(Math.abs((results.get(id) as number) - exact)).toBeLessThanOrEqual(Math.max(1, 5 * sigma * exact))
        }
      }),
      { numRuns: 40 },
    )
  })

  it('large windows: within 4σ at precision 12', () => {
    const records: Rec<SketchKey>[] = []
    for (let w = 0; w < 3; w++) {
      const distinct = [2_000, 30_000, 80_000][w]
      for (let i = 0; i < distinct * 2; i++) records.push({ key: 'k', ts: w * 1000 + (i % 1000), value: w % 2 === 0 ? `user-${w}-${i % distinct}` : (i % distinct) + w * 1e6 })
    }
    const results = run(tumbling({ size: 1000 }), approxDistinct({ precision: 12 }), records, 4096)
    const sigma = 1.04 / Math.sqrt(4096)
    expect(results.map((r) => r.windowStart)).toEqual([0, 1000, 2000])
    results.forEach((r, w) => {
      const exact = [2_000, 30_000, 80_000][w]
      expect(Math.abs(r.result - exact) / exact).toBeLessThanOrEqual(4 * sigma)
    })
  })

  it('session merges give the estimate of the union (identical to one sketch fed the whole session)', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 3000 }), value: sketchKeyArb }), { maxLength: 300 }), fc.integer(), (records, seed) => {
        const results = byWindow(run(session({ gap: 100 }), approxDistinct({ precision: 10 }), shuffled(records, seed), 13))
        const groups = sessionGroups(records, 100)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        for (const [id, list] of groups) {
          const direct = new HyperLogLog({ precision: 10 })
          for (const r of list) direct.add(typeof r.value === 'string' ? r.value : numberBytes(r.value))
          expect(results.get(id)).toBe(direct.count())
          direct.dispose()
        }
      }),
      { numRuns: 40 },
    )
  })

  it('counts numbers and strings as different keys, −0 as 0 and every NaN as one key', () => {
    const values: SketchKey[] = [1, '1', 0, -0, NaN, NaN, 'x', 'x', 2.5]
    const [r] = run(tumbling({ size: 1000 }), approxDistinct(), values.map((value, i) => ({ key: 'k', ts: i, value })))
    expect(r.result).toBe(6)
  })
})

function numberBytes(x: number): Uint8Array {
  const f = new Float64Array([x !== x ? NaN : x === 0 ? 0 : x])
  if (x !== x) new Uint32Array(f.buffer).set([0, 0x7ff80000])
  return new Uint8Array(f.buffer)
}

// ------------------------------------------------------------ topK

/** Checks Misra–Gries' guarantees for a top-k answer against the exact counts. */
function expectTopKWithinBounds(result: TopKEntry[], values: SketchKey[], k: number, capacity: number): void {
  const counts = exactCounts(values)
  const n = values.length
  expect(result.length).toBeLessThanOrEqual(k)
  const returned = new Set<SketchKey>()
  let minCount = Infinity
  for (const entry of result) {
    const truth = counts.get(entry.key)
    expect(truth).toBeDefined()
    expect(entry.count).toBeLessThanOrEqual(truth as number)
    expect(truth as number).toBeLessThanOrEqual(entry.count + entry.error)
    expect(entry.error).toBeLessThanOrEqual(n / (capacity + 1))
    returned.add(entry.key)
    minCount = Math.min(minCount, entry.count)
  }
  for (let i = 1; i < result.length; i++) expect(result[i - 1].count).toBeGreaterThanOrEqual(result[i].count)
  const error = result.length > 0 ? result[0].error : 0
  // A key left out is no more frequent than the last one reported (give or take the error), or than the error if the list is short.
  const ceiling = result.length === k ? minCount + error : error
  for (const [key, truth] of counts) if (!returned.has(key)) expect(truth).toBeLessThanOrEqual(ceiling)
  // With no error every key was tracked: the answer is the exact top k.
  if (error === 0) {
    expect(result.length).toBe(Math.min(k, counts.size))
    for (const entry of result) expect(entry.count).toBe(counts.get(entry.key))
  }
}

const skewedArb: fc.Arbitrary<SketchKey> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<SketchKey>('hot', 7, 'warm', 8) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 60 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 60 }).map((i) => `w${i}`) },
)

describe('topK', () => {
  it('reports counts within the Misra–Gries bound over random tumbling windows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 3999 }), value: skewedArb }), { maxLength: 500 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 12 }),
        (records, k, extra) => {
          const capacity = k + extra
          const results = byWindow(run(tumbling({ size: 1000 }), topK(k, { capacity }), records))
          const groups = tumblingGroups(records, 1000)
          expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
          for (const [id, list] of groups) expectTopKWithinBounds(results.get(id) as TopKEntry[], list.map((r) => r.value), k, capacity)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('session merges keep the bound for the union', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 3000 }), value: skewedArb }), { maxLength: 400 }), fc.integer(), (records, seed) => {
        const results = byWindow(run(session({ gap: 100 }), topK(3, { capacity: 6 }), shuffled(records, seed), 11))
        const groups = sessionGroups(records, 100)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        for (const [id, list] of groups) expectTopKWithinBounds(results.get(id) as TopKEntry[], list.map((r) => r.value), 3, 6)
      }),
      { numRuns: 40 },
    )
  })

  it('is exact when the capacity covers every distinct key, and gives numbers back as numbers', () => {
    const values: SketchKey[] = ['x', 1, 1, 'x', 'y', 1, -0, 0, NaN, NaN, '1', 2.5]
    const [r] = run(tumbling({ size: 1000 }), topK(3), values.map((value, i) => ({ key: 'k', ts: i, value })))
    expect(r.result).toEqual([
      { key: 1, count: 3, error: 0 },
      { key: 'x', count: 2, error: 0 },
      { key: 0, count: 2, error: 0 },
    ])
    expect(typeof r.result[0].key).toBe('number')
  })
})

// ------------------------------------------------------------ quantiles

/** True iff `v` can be the q-quantile of `sorted` within normalised rank error eps. */
function withinRank(sorted: number[], v: number, q: number, eps: number): boolean {
  const n = sorted.length
  let below = 0
  let atOrBelow = 0
  for (const x of sorted) {
    if (x < v) below++
    if (x <= v) atOrBelow++
  }
  return below / n - eps <= q && q <= atOrBelow / n + eps && sorted.includes(v)
}

const FRACTIONS = [0, 0.1, 0.5, 0.9, 0.99, 1]

describe('quantiles', () => {
  it('is exact for windows of at most k values', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 2999 }), value: fc.double({ noNaN: true }) }), { maxLength: 300 }), (records) => {
        const results = byWindow(run(tumbling({ size: 1000 }), quantiles(FRACTIONS), records))
        for (const [id, list] of tumblingGroups(records, 1000)) {
          const sorted = list.map((r) => r.value).sort((a, b) => a - b)
          const expected = FRACTIONS.map((q) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)])
          expect(results.get(id)).toEqual(expected)
        }
      }),
      { numRuns: 40 },
    )
  })

  it('is within the KLL rank bound over random windows that force compaction', () => {
    const k = 16
    const eps = 2.296 / Math.pow(k, 0.9723)
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 1999 }), value: fc.integer({ min: -500, max: 500 }) }), { minLength: 200, maxLength: 1500 }),
        (records) => {
          const results = byWindow(run(tumbling({ size: 1000 }), quantiles(FRACTIONS, { k }), records, 101))
          for (const [id, list] of tumblingGroups(records, 1000)) {
            const sorted = list.map((r) => r.value).sort((a, b) => a - b)
            const got = results.get(id) as number[]
            expect(got[0]).toBe(sorted[0])
            expect(got[FRACTIONS.length - 1]).toBe(sorted[sorted.length - 1])
            // 1.5 × the 99%-confidence bound: the test must not fail one run in a hundred.
            FRACTIONS.forEach((q, i) => expect(withinRank(sorted, got[i], q, 1.5 * eps)).toBe(true))
          }
        },
      ),
      { numRuns: 30 },
    )
  })

  it('large windows: within the bound at the default k', () => {
    const records: Rec<number>[] = []
    let s = 12345
    for (let i = 0; i < 200_000; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0
      records.push({ key: 'k', ts: i % 2000, value: (s / 2 ** 32) ** 2 * 1000 })
    }
    const results = run(tumbling({ size: 1000 }), quantiles([0.5, 0.9, 0.99]), records, 8192)
    const eps = 2.296 / Math.pow(200, 0.9723)
    for (const r of results) {
      const sorted = records.filter((x) => x.ts >= r.windowStart && x.ts < r.windowEnd).map((x) => x.value).sort((a, b) => a - b)
      ;[0.5, 0.9, 0.99].forEach((q, i) => expect(withinRank(sorted, r.result[i], q, eps)).toBe(true))
    }
  })

  it('session merges stay within the bound', () => {
    const k = 16
    const eps = 2.296 / Math.pow(k, 0.9723)
    fc.assert(
      fc.property(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: 0, max: 3000 }), value: fc.integer({ min: 0, max: 1000 }) }), { maxLength: 600 }), fc.integer(), (records, seed) => {
        const results = byWindow(run(session({ gap: 200 }), quantiles(FRACTIONS, { k }), shuffled(records, seed), 17))
        const groups = sessionGroups(records, 200)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        for (const [id, list] of groups) {
          const sorted = list.map((r) => r.value).sort((a, b) => a - b)
          const got = results.get(id) as number[]
          FRACTIONS.forEach((q, i) => expect(withinRank(sorted, got[i], q, 1.5 * eps)).toBe(true))
        }
      }),
      { numRuns: 30 },
    )
  })
})

// ------------------------------------------------------------ decayingAvg

function exactDecayingAvg(list: TimedValue[], halfLifeMs: number): number {
  const latest = Math.max(...list.map((v) => v.timestamp))
  let sum = 0
  let weight = 0
  for (const v of list) {
    const w = Math.pow(2, -(latest - v.timestamp) / halfLifeMs)
    sum += w * v.value
    weight += w
  }
  return sum / weight
}

function expectClose(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected)))
}

const timedArb = fc
  .record({ key: keyArb, ts: fc.integer({ min: 0, max: 2999 }), value: fc.integer({ min: -1000, max: 1000 }) })
  .map((r): Rec<TimedValue> => ({ key: r.key, ts: r.ts, value: { value: r.value, timestamp: r.ts } }))

describe('decayingAvg', () => {
  it('equals Σ w·x / Σ w with w = 2^(−(latest − t)/halfLife) over random tumbling windows, in any arrival order', () => {
    fc.assert(
      fc.property(fc.array(timedArb, { maxLength: 300 }), fc.integer({ min: 1, max: 2000 }), (records, halfLifeMs) => {
        const results = byWindow(run(tumbling({ size: 1000 }), decayingAvg({ halfLifeMs }), records))
        const groups = tumblingGroups(records, 1000)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        for (const [id, list] of groups) expectClose(results.get(id) as number, exactDecayingAvg(list.map((r) => r.value), halfLifeMs))
      }),
      { numRuns: 60 },
    )
  })

  it('session merges are exact', () => {
    fc.assert(
      fc.property(fc.array(timedArb, { maxLength: 300 }), fc.integer({ min: 1, max: 500 }), fc.integer(), (records, halfLifeMs, seed) => {
        const results = byWindow(run(session({ gap: 50 }), decayingAvg({ halfLifeMs }), shuffled(records, seed), 9))
        const groups = sessionGroups(records, 50)
        expect(new Set(results.keys())).toEqual(new Set(groups.keys()))
        for (const [id, list] of groups) expectClose(results.get(id) as number, exactDecayingAvg(list.map((r) => r.value), halfLifeMs))
      }),
      { numRuns: 40 },
    )
  })

  it('weighs a value one half-life older by half', () => {
    const [r] = run(tumbling({ size: 1000 }), decayingAvg({ halfLifeMs: 100 }), [
      { key: 'k', ts: 100, value: { value: 10, timestamp: 100 } },
      { key: 'k', ts: 200, value: { value: 40, timestamp: 200 } },
    ])
    expect(r.result).toBeCloseTo((0.5 * 10 + 40) / 1.5, 12)
  })
})

// ------------------------------------------------------------ stores and the generic path

describe('sketch stores', () => {
  const cases = [
    { name: 'approxDistinct', make: () => approxDistinct({ precision: 8 }) as AggregateFunction<unknown, any, unknown>, value: (i: number): unknown => `v${i % 50}`, empty: 0 },
    { name: 'topK', make: () => topK(2) as AggregateFunction<unknown, any, unknown>, value: (i: number): unknown => i % 3, empty: [] },
    { name: 'quantiles', make: () => quantiles([0.5]) as AggregateFunction<unknown, any, unknown>, value: (i: number): unknown => i, empty: [NaN] },
    { name: 'decayingAvg', make: () => decayingAvg({ halfLifeMs: 10 }) as AggregateFunction<unknown, any, unknown>, value: (i: number): unknown => ({ value: i, timestamp: i }), empty: NaN },
  ]

  for (const c of cases) {
    it(`${c.name}: slots are empty when allocated, reset or reused, and a merge moves everything`, () => {
      const store = c.make().createStore!()
      const a = store.allocate()
      const b = store.allocate()
      expect(store.liveSlots).toBe(2)
      expect(store.result(a)).toEqual(c.empty)
      const values = Array.from({ length: 20 }, (_, i) => c.value(i))
      // Rows 0..9 into a, 10..19 into b, interleaved in one batch.
      const slots = Int32Array.from(values, (_, i) => (i < 10 ? a : b))
      const rows = Int32Array.from(values, (_, i) => i)
      store.addBatch(slots, rows, 20, values)
      const reference = c.make().createStore!()
      const r = reference.allocate()
      reference.addBatch(new Int32Array(20).fill(r), rows, 20, values)
      const same = (actual: unknown, expected: unknown) => {
        if (typeof expected === 'number' && !Number.isNaN(expected)) expectClose(actual as number, expected)
        else expect(actual).toEqual(expected)
      }
      store.merge(a, b)
      store.release(b)
      expect(store.liveSlots).toBe(1)
      same(store.result(a), reference.result(r))
      const again = store.allocate()
      expect(store.result(again)).toEqual(c.empty)
      store.reset(a)
      expect(store.result(a)).toEqual(c.empty)
      // Merging an empty slot changes nothing; merging into an empty slot moves the state.
      store.addBatch(new Int32Array(20).fill(again), rows, 20, values)
      store.merge(again, a)
      same(store.result(again), reference.result(r))
      store.merge(a, again)
      same(store.result(a), reference.result(r))
    })

    it(`${c.name}: the generic path (no batch store) agrees with the store`, () => {
      const records = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 2}`, ts: (i * 7) % 2000, value: c.value(i) }))
      const fn = c.make()
      const viaStore = run(tumbling({ size: 1000 }), fn, records)
      const viaObjects = run(tumbling({ size: 1000 }), { ...c.make(), createStore: undefined }, records)
      expect(viaObjects.map((r) => ({ ...r, result: undefined }))).toEqual(viaStore.map((r) => ({ ...r, result: undefined })))
      viaStore.forEach((r, i) => {
        if (typeof r.result === 'number') expectClose(viaObjects[i].result as number, r.result)
        else expect(viaObjects[i].result).toEqual(r.result)
      })
      // Sessions through the generic path exercise its merge.
      const sessions = run(session({ gap: 30 }), { ...c.make(), createStore: undefined }, shuffled(records, 3))
      expect(sessions.length).toBeGreaterThan(0)
    })
  }

  it('refuses a batch with a bad value without applying any of it', () => {
    const op = new WindowOperator({ assigner: tumbling({ size: 1000 }), aggregate: approxDistinct() })
    op.processBatch({ keys: ['k'], timestamps: Float64Array.of(1), values: ['a'] })
    expect(() => op.processBatch({ keys: ['k', 'k'], timestamps: Float64Array.of(2, 3), values: ['b', { no: 1 } as unknown as string] })).toThrow(StreamInputError)
    expect(op.advanceWatermark(Infinity).map((r) => r.result)).toEqual([1])

    const q = new WindowOperator({ assigner: tumbling({ size: 1000 }), aggregate: quantiles([0.5]) })
    expect(() => q.processBatch({ keys: ['k', 'k'], timestamps: Float64Array.of(2, 3), values: [1, NaN] })).toThrow(StreamInputError)
    // The operator may already have opened the window; it holds nothing.
    expect(q.advanceWatermark(Infinity).every((r) => Number.isNaN(r.result[0]))).toBe(true)

    const d = new WindowOperator({ assigner: tumbling({ size: 1000 }), aggregate: decayingAvg({ halfLifeMs: 5 }) })
    expect(() => d.processBatch({ keys: ['k', 'k'], timestamps: Float64Array.of(2, 3), values: [{ value: 1, timestamp: 2 }, { value: Infinity, timestamp: 3 }] })).toThrow(StreamInputError)
    expect(() => d.processBatch({ keys: ['k'], timestamps: Float64Array.of(2), values: [5 as unknown as TimedValue] })).toThrow(StreamInputError)
    expect(d.advanceWatermark(Infinity).every((r) => Number.isNaN(r.result))).toBe(true)

    // The stores themselves refuse before touching any slot.
    const store = topK(2).createStore!()
    const slot = store.allocate()
    store.addBatch(Int32Array.of(slot), Int32Array.of(0), 1, ['x'])
    expect(() => store.addBatch(Int32Array.of(slot, slot), Int32Array.of(0, 1), 2, ['y', null as unknown as string])).toThrow(StreamInputError)
    expect(store.result(slot)).toEqual([{ key: 'x', count: 1, error: 0 }])
  })

  it('refuses bad options', () => {
    expect(() => approxDistinct({ precision: 3 })).toThrow(StreamConfigError)
    expect(() => topK(0)).toThrow(StreamConfigError)
    expect(() => topK(5, { capacity: 4 })).toThrow(StreamConfigError)
    expect(() => quantiles([])).toThrow(StreamConfigError)
    expect(() => quantiles([0.5, 1.5])).toThrow(StreamConfigError)
    expect(() => quantiles([0.5], { k: 4 })).toThrow(StreamConfigError)
    expect(() => decayingAvg({ halfLifeMs: 0 })).toThrow(StreamConfigError)
    expect(() => decayingAvg(undefined as unknown as { halfLifeMs: number })).toThrow(StreamConfigError)
  })

  it('many windows and keys: the stores grow and every window fires', () => {
    for (const make of [() => approxDistinct({ precision: 6 }), () => topK(2), () => quantiles([0.5], { k: 8 })] as (() => AggregateFunction<unknown, any, unknown>)[]) {
      const records = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i % 97}`, ts: i, value: i % 13 }))
      const results = run(tumbling({ size: 100 }), make(), records, 500)
      expect(results.length).toBe(50 * 97)
    }
    const d = run(
      tumbling({ size: 100 }),
      decayingAvg({ halfLifeMs: 50 }),
      Array.from({ length: 5000 }, (_, i) => ({ key: `k${i % 97}`, ts: i, value: { value: i % 13, timestamp: i } })),
      500,
    )
    expect(d.length).toBe(50 * 97)
  })
})
