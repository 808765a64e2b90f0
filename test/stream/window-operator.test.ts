// Proves the keyed window operator agrees with a brute-force reference on
// random out-of-order, late-laden streams, and pins its documented behaviour
// (lateness, triggers, sessions, purging, refusals) on worked examples.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  avg,
  count,
  globalWindows,
  max,
  min,
  session,
  sliding,
  StreamConfigError,
  StreamInputError,
  sum,
  triggers,
  tumbling,
  WindowOperator,
  type AggregateFunction,
  type WindowAssigner,
  type WindowResult,
} from '../../src/stream/index.js'
import { aggregateOf, runReference, type AggName, type Rec, type Step, type WindowSpec } from './reference.js'

const AGGS: AggName[] = ['count', 'sum', 'min', 'max', 'avg']
const builtIn: Record<AggName, () => AggregateFunction<number, any, number>> = { count, sum, min, max, avg }

function assignerOf(spec: WindowSpec): WindowAssigner {
  switch (spec.kind) {
    case 'tumbling':
      return tumbling({ size: spec.size, offset: spec.offset })
    case 'sliding':
      return sliding({ size: spec.size, slide: spec.slide, offset: spec.offset })
    case 'session':
      return session({ gap: spec.gap })
  }
}

/** Runs the operator over the steps; `columnar` picks Float64Array values or a plain array; `userFn` strips the built-in's batch store. */
function runOperator(spec: WindowSpec, agg: AggName, lateness: number, steps: Step[], columnar: boolean, userFn: boolean) {
  let aggregate = builtIn[agg]()
  if (userFn) aggregate = { ...aggregate, createStore: undefined }
  const op = new WindowOperator({ assigner: assignerOf(spec), aggregate, allowedLatenessMs: lateness })
  const results: WindowResult<number>[] = []
  const late: Rec[] = []
  for (const step of steps) {
    if (step.kind === 'batch') {
      const values = step.records.map((r) => r.value)
      const out = op.processBatch({
        keys: step.records.map((r) => r.key),
        timestamps: Float64Array.from(step.records.map((r) => r.ts)),
        values: columnar ? Float64Array.from(values) : values,
      })
      results.push(...out.results)
      late.push(...out.late.map((l) => ({ key: l.key as string, ts: l.timestamp, value: l.value })))
    } else {
      results.push(...op.advanceWatermark(step.watermark))
    }
  }
  return { results, late, op }
}

const recArb = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  ts: fc.integer({ min: -20, max: 300 }),
  value: fc.integer({ min: -1000, max: 1000 }),
})
/** Batches of random-time records, each maybe followed by a watermark step forward; ends with the end-of-input watermark. */
const stepsArb = fc
  .array(fc.tuple(fc.array(recArb, { maxLength: 10 }), fc.option(fc.integer({ min: -5, max: 40 }), { nil: undefined })), { maxLength: 25 })
  .map((pairs) => {
    const steps: Step[] = []
    let wm = -30
    for (const [records, advance] of pairs) {
      steps.push({ kind: 'batch', records })
      if (advance !== undefined) {
        wm += advance
        steps.push({ kind: 'watermark', watermark: wm })
      }
    }
    steps.push({ kind: 'watermark', watermark: Infinity })
    return steps
  })
const specArb: fc.Arbitrary<WindowSpec> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).chain((size) =>
    fc.integer({ min: -(size - 1), max: size - 1 }).map((offset): WindowSpec => ({ kind: 'tumbling', size, offset })),
  ),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }))
    .chain(([size, slide]) => fc.integer({ min: -(slide - 1), max: slide - 1 }).map((offset): WindowSpec => ({ kind: 'sliding', size, slide, offset }))),
  fc.integer({ min: 1, max: 30 }).map((gap): WindowSpec => ({ kind: 'session', gap })),
)
const latenessArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }))

function expectSameResults(actual: WindowResult<number>[], expected: WindowResult<number>[], agg: AggName): void {
  if (agg !== 'avg') {
    expect(actual).toEqual(expected)
    return
  }
  expect(actual.map(({ result, ...rest }) => rest)).toEqual(expected.map(({ result, ...rest }) => rest))
  actual.forEach((r, i) => expect(Math.abs(r.result - expected[i].result)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[i].result))))
}

describe('WindowOperator against the brute-force reference', () => {
  for (const kind of ['tumbling', 'sliding', 'session'] as const) {
    for (const agg of AGGS) {
      it(`${kind} windows, ${agg}: same results in the same order and the same late side output`, () => {
        // Random windows, lateness and streams; values are integers so sums are exact in any order.
        fc.assert(
          fc.property(
            specArb.filter((s) => s.kind === kind),
            latenessArb,
            stepsArb,
            fc.boolean(),
            fc.boolean(),
            (spec, lateness, steps, columnar, userFn) => {
              const expected = runReference(spec, agg, lateness, steps)
              const actual = runOperator(spec, agg, lateness, steps, columnar, userFn)
              expectSameResults(actual.results, expected.results, agg)
              expect(actual.late).toEqual(expected.late)
              // End of input purges every window.
              expect(actual.op.stats().windows).toBe(0)
            },
          ),
          { numRuns: 150 },
        )
      })
    }
  }

  it('late-laden streams really exercise late re-firing and the side output', () => {
    // Guards the property tests against vacuity: across a sample, both kinds of lateness occur often.
    const sample = fc.sample(fc.tuple(specArb, latenessArb, stepsArb), { numRuns: 200, seed: 7 })
    let refires = 0
    let lateRecords = 0
    for (const [spec, lateness, steps] of sample) {
      const { results, late } = runReference(spec, 'count', lateness, steps)
      const seen = new Set<string>()
      for (const r of results) {
        const id = `${r.key}|${r.windowStart}|${r.windowEnd}`
        if (seen.has(id)) refires++
        seen.add(id)
      }
      lateRecords += late.length
    }
    expect(refires).toBeGreaterThan(20)
    expect(lateRecords).toBeGreaterThan(100)
  })
})

describe('WindowOperator worked examples', () => {
  it('IoT: keyBy(sensor).window(tumbling 1 min).avg(value) fires at the watermark and not before', () => {
    // Pins the basic event-time contract on numbers checked by hand.
    const op = new WindowOperator({ assigner: tumbling({ size: 60_000 }), aggregate: avg() })
    const out = op.processBatch({
      keys: ['s1', 's2', 's1', 's1'],
      timestamps: Float64Array.of(1_000, 2_000, 59_999, 60_000),
      values: Float64Array.of(10, 5, 20, 99),
    })
    expect(out).toEqual({ results: [], late: [] })
    expect(op.advanceWatermark(59_998)).toEqual([])
    expect(op.advanceWatermark(59_999)).toEqual([
      { key: 's1', windowStart: 0, windowEnd: 60_000, result: 15 },
      { key: 's2', windowStart: 0, windowEnd: 60_000, result: 5 },
    ])
    expect(op.stats().windows).toBe(1)
  })

  it('allowed lateness: a late record within lateness re-fires its window; after end − 1 + lateness it goes to the side output', () => {
    // Pins lateness, re-firing and purging on one window.
    const op = new WindowOperator({ assigner: tumbling({ size: 10 }), aggregate: sum(), allowedLatenessMs: 5 })
    op.processBatch({ keys: ['k'], timestamps: Float64Array.of(3), values: [1] })
    expect(op.advanceWatermark(9)).toEqual([{ key: 'k', windowStart: 0, windowEnd: 10, result: 1 }])
    expect(op.processBatch({ keys: ['k', 'k'], timestamps: Float64Array.of(4, 5), values: [2, 3] }).results).toEqual([
      { key: 'k', windowStart: 0, windowEnd: 10, result: 6 },
    ])
    expect(op.advanceWatermark(14)).toEqual([])
    expect(op.stats().windows).toBe(0)
    expect(op.processBatch({ keys: ['k'], timestamps: Float64Array.of(9), values: [7] })).toEqual({
      results: [],
      late: [{ key: 'k', timestamp: 9, value: 7, row: 0 }],
    })
    expect(op.stats().lateRecords).toBe(1)
  })

  it('sessions merge when a record bridges them and fire on the merged end', () => {
    // Pins merging (touching windows merge; accumulators combine through merge).
    const op = new WindowOperator({ assigner: session({ gap: 10 }), aggregate: count() })
    op.processBatch({ keys: ['u', 'u'], timestamps: Float64Array.of(0, 25), values: [null, null] })
    expect(op.stats().windows).toBe(2)
    op.processBatch({ keys: ['u'], timestamps: Float64Array.of(12), values: [null] }) // [12,22) touches [0,10)? no: 10 < 12; touches [25,35)? 22 < 25: separate
    expect(op.stats().windows).toBe(3)
    op.processBatch({ keys: ['u'], timestamps: Float64Array.of(10), values: [null] }) // [10,20) touches [0,10) and [12,22)
    expect(op.stats().windows).toBe(2)
    expect(op.advanceWatermark(Infinity)).toEqual([
      { key: 'u', windowStart: 0, windowEnd: 22, result: 3 },
      { key: 'u', windowStart: 25, windowEnd: 35, result: 1 },
    ])
  })

  it('sliding windows with slide > size sample time: records in the gaps are dropped and counted, not late', () => {
    // Pins the documented choice for slide > size.
    const op = new WindowOperator({ assigner: sliding({ size: 5, slide: 10 }), aggregate: count() })
    op.processBatch({ keys: ['k', 'k', 'k'], timestamps: Float64Array.of(1, 7, 12), values: [0, 0, 0] })
    expect(op.advanceWatermark(Infinity)).toEqual([
      { key: 'k', windowStart: 0, windowEnd: 5, result: 1 },
      { key: 'k', windowStart: 10, windowEnd: 15, result: 1 },
    ])
    expect(op.stats()).toMatchObject({ droppedOutsideWindows: 1, lateRecords: 0 })
  })

  it('count windows (global windows + purging count trigger) match a per-key counter model', () => {
    // Random keys and sizes: every n-th record of a key emits the aggregate of that key's last n records.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(fc.array(recArb, { maxLength: 12 }), { maxLength: 12 }), fc.constantFrom(...AGGS), (n, batches, agg) => {
        const op = new WindowOperator({ assigner: globalWindows(), aggregate: builtIn[agg](), trigger: triggers.count(n, { purge: true }) })
        const actual: WindowResult<number>[] = []
        const expected: WindowResult<number>[] = []
        const pending = new Map<string, number[]>()
        for (const batch of batches) {
          actual.push(...op.processBatch({ keys: batch.map((r) => r.key), timestamps: Float64Array.from(batch.map((r) => r.ts)), values: batch.map((r) => r.value) }).results)
          for (const r of batch) {
            const values = [...(pending.get(r.key) ?? []), r.value]
            if (values.length === n) {
              expected.push({ key: r.key, windowStart: -Infinity, windowEnd: Infinity, result: aggregateOf(agg, values) })
              pending.delete(r.key)
            } else pending.set(r.key, values)
          }
        }
        expectSameResults(actual, expected, agg)
        expect(op.stats().windows).toBe(pending.size)
      }),
      { numRuns: 200 },
    )
  })

  it('a non-purging count trigger on tumbling windows fires every n records with the running aggregate, and never on time', () => {
    // Pins count firing without purge, and clean-up without a time firing.
    const op = new WindowOperator({ assigner: tumbling({ size: 100 }), aggregate: sum(), trigger: triggers.count(2) })
    const out = op.processBatch({ keys: ['k', 'k', 'k', 'k'], timestamps: Float64Array.of(1, 2, 3, 4), values: [1, 2, 3, 4] })
    expect(out.results.map((r) => r.result)).toEqual([3, 10])
    expect(op.advanceWatermark(Infinity)).toEqual([])
    expect(op.stats().windows).toBe(0)
  })

  it('a processing-time trigger fires updated windows at interval boundaries, and unreported updates at clean-up', () => {
    // Pins the processing-time trigger on a hand-run timeline.
    const op = new WindowOperator({ assigner: tumbling({ size: 10 }), aggregate: max(), trigger: triggers.processingTime(1000) })
    op.processBatch({ keys: ['k'], timestamps: Float64Array.of(1), values: [4] })
    expect(op.advanceProcessingTime(500)).toEqual([{ key: 'k', windowStart: 0, windowEnd: 10, result: 4 }])
    op.processBatch({ keys: ['k'], timestamps: Float64Array.of(2), values: [9] })
    expect(op.advanceProcessingTime(900)).toEqual([])
    expect(op.advanceProcessingTime(1000)).toEqual([{ key: 'k', windowStart: 0, windowEnd: 10, result: 9 }])
    expect(op.advanceProcessingTime(2500)).toEqual([])
    op.processBatch({ keys: ['k'], timestamps: Float64Array.of(3), values: [11] })
    expect(op.advanceWatermark(9)).toEqual([{ key: 'k', windowStart: 0, windowEnd: 10, result: 11 }])
    expect(op.stats().windows).toBe(0)
  })

  it('a user AggregateFunction with object accumulators works, including session merges', () => {
    // Proves the generic store path: accumulators are user objects combined by the user's merge.
    const collect: AggregateFunction<string, string[], string> = {
      createAccumulator: () => [],
      add: (acc, v) => [...acc, v],
      merge: (a, b) => [...a, ...b],
      getResult: (acc) => [...acc].sort().join(','),
    }
    const op = new WindowOperator({ assigner: session({ gap: 6 }), aggregate: collect })
    op.processBatch({ keys: ['k', 'k', 'k'], timestamps: Float64Array.of(0, 24, 12), values: ['x', 'y', 'z'] })
    expect(op.stats().windows).toBe(3)
    // [6,12) joins [0,6) and [12,18); [18,24) joins that and [24,30).
    op.processBatch({ keys: ['k', 'k'], timestamps: Float64Array.of(6, 18), values: ['w', 'v'] })
    expect(op.stats().windows).toBe(1)
    expect(op.advanceWatermark(Infinity)).toEqual([{ key: 'k', windowStart: 0, windowEnd: 30, result: 'v,w,x,y,z' }])
  })
})

describe('WindowOperator refusals', () => {
  it('refuses bad window, trigger and lateness options with errors naming the option', () => {
    // Each bad config throws a StreamConfigError whose option and message name the culprit.
    const cases: Array<[() => unknown, string]> = [
      [() => tumbling({ size: 0 }), 'size'],
      [() => tumbling({ size: -5 }), 'size'],
      [() => tumbling({ size: NaN }), 'size'],
      [() => tumbling({ size: 10, offset: 10 }), 'offset'],
      [() => sliding({ size: 10, slide: 0 }), 'slide'],
      [() => sliding({ size: 0, slide: 5 }), 'size'],
      [() => sliding({ size: 10, slide: 5, offset: -5 }), 'offset'],
      [() => session({ gap: 0 }), 'gap'],
      [() => session({ gap: -1 }), 'gap'],
      [() => triggers.count(0), 'trigger.count'],
      [() => triggers.count(1.5), 'trigger.count'],
      [() => triggers.processingTime(0), 'trigger.intervalMs'],
      [() => new WindowOperator({ assigner: tumbling({ size: 10 }), aggregate: sum(), allowedLatenessMs: -1 }), 'allowedLatenessMs'],
      [() => new WindowOperator({ assigner: globalWindows(), aggregate: sum() }), 'trigger'],
      [() => new WindowOperator({ assigner: session({ gap: 5 }), aggregate: sum(), trigger: triggers.count(3) }), 'trigger'],
      [() => new WindowOperator({ assigner: undefined as unknown as WindowAssigner, aggregate: sum() }), 'assigner'],
    ]
    for (const [make, option] of cases) {
      let error: unknown
      try {
        make()
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(StreamConfigError)
      expect((error as StreamConfigError).option).toBe(option)
      expect((error as Error).message.startsWith(`${option}:`)).toBe(true)
    }
  })

  it('refuses a malformed batch whole, changing no state', () => {
    // Mismatched columns, non-finite timestamps, keys that are neither strings nor numbers and non-numeric values for numeric aggregates are refused before any record applies.
    const op = new WindowOperator({ assigner: tumbling({ size: 10 }), aggregate: sum() })
    const bad = [
      { keys: ['a', 'b'], timestamps: Float64Array.of(1), values: [1] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, NaN), values: [1, 2] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, Infinity), values: [1, 2] },
      { keys: ['a', true as unknown as string], timestamps: Float64Array.of(1, 2), values: [1, 2] },
      { keys: ['a', NaN], timestamps: Float64Array.of(1, 2), values: [1, 2] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, 2), values: [1, '2' as unknown as number] },
      { keys: ['a'], timestamps: [1] as unknown as Float64Array, values: [1] },
    ]
    for (const batch of bad) expect(() => op.processBatch(batch)).toThrow(StreamInputError)
    expect(op.stats().windows).toBe(0)
    expect(() => op.advanceWatermark(NaN)).toThrow(StreamInputError)
  })
})
