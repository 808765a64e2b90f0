// Proves PaneWindowAggregator is a drop-in for WindowOperator on tumbling and
// sliding event-time windows with the built-in aggregates: on random
// out-of-order, late-laden streams both give deep-equal output at every step;
// snapshot/restore continues identically; memory stays bounded as keys rotate.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  avg,
  count,
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
} from '../../src/stream/index.js'
import {
  canUsePanes,
  createWindowAggregator,
  PaneWindowAggregator,
  PANE_TIMESTAMP_LIMIT,
  type WindowAggregator,
} from '../../src/stream/window/pane-aggregator.js'
import type { Key, KeyedBatch } from '../../src/stream/window/operator.js'
import { wasmMemoryBytes } from '../../src/wasm/panes.js'

type AggName = 'count' | 'sum' | 'min' | 'max' | 'avg'
const AGGS: AggName[] = ['count', 'sum', 'min', 'max', 'avg']
const builtIn: Record<AggName, () => AggregateFunction<number, any, number>> = { count, sum, min, max, avg }

type Spec = { kind: 'tumbling'; size: number; offset: number } | { kind: 'sliding'; size: number; slide: number; offset: number }

function assignerOf(spec: Spec): WindowAssigner {
  return spec.kind === 'tumbling' ? tumbling({ size: spec.size, offset: spec.offset }) : sliding({ size: spec.size, slide: spec.slide, offset: spec.offset })
}

interface Rec {
  key: Key
  ts: number
  value: number
}
type Step = { kind: 'batch'; records: Rec[] } | { kind: 'watermark'; watermark: number } | { kind: 'snapshot' }

function batchOf(records: Rec[], columnar: boolean): KeyedBatch<number> {
  const values = records.map((r) => r.value)
  return { keys: records.map((r) => r.key), timestamps: Float64Array.from(records.map((r) => r.ts)), values: columnar ? Float64Array.from(values) : values }
}

/**
 * Runs the pane aggregator and WindowOperator side by side, comparing every
 * call's output and the stats after it. A 'snapshot' step replaces the pane
 * aggregator by one restored from its snapshot.
 */
function runBoth(spec: Spec, agg: AggName, lateness: number, steps: Step[], columnar: boolean): { calls: number; results: number; late: number } {
  const options = () => ({ assigner: assignerOf(spec), aggregate: builtIn[agg](), allowedLatenessMs: lateness })
  let pane = new PaneWindowAggregator(options())
  const reference = new WindowOperator(options())
  let results = 0
  let late = 0
  try {
    for (const step of steps) {
      if (step.kind === 'batch') {
        const batch = batchOf(step.records, columnar)
        const expected = reference.processBatch(batch)
        expect(pane.processBatch(batch)).toEqual(expected)
        results += expected.results.length
        late += expected.late.length
      } else if (step.kind === 'watermark') {
        const expected = reference.advanceWatermark(step.watermark)
        expect(pane.advanceWatermark(step.watermark)).toEqual(expected)
        results += expected.length
      } else {
        const bytes = pane.snapshot()
        pane.dispose()
        pane = PaneWindowAggregator.restore(options(), bytes)
      }
      expect(pane.stats()).toEqual(reference.stats())
    }
    // End of input fires and purges everything.
    expect(pane.advanceWatermark(Infinity)).toEqual(reference.advanceWatermark(Infinity))
    expect(pane.stats()).toEqual(reference.stats())
    expect(pane.stats().windows).toBe(0)
  } finally {
    pane.dispose()
  }
  return { calls: steps.length, results, late }
}

const specArb: fc.Arbitrary<Spec> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).chain((size) => fc.integer({ min: -(size - 1), max: size - 1 }).map((offset): Spec => ({ kind: 'tumbling', size, offset }))),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }))
    .chain(([size, slide]) => fc.integer({ min: -(slide - 1), max: slide - 1 }).map((offset): Spec => ({ kind: 'sliding', size, slide, offset }))),
  // Sizes that share a small gcd with the slide (many panes per window).
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 9 }))
    .chain(([g, a, b]) => fc.integer({ min: 0, max: g * b - 1 }).map((offset): Spec => ({ kind: 'sliding', size: g * a, slide: g * b, offset }))),
)
const latenessArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }), fc.double({ min: 0.25, max: 30, noNaN: true }))
const keyArb: fc.Arbitrary<Key> = fc.oneof(fc.constantFrom('a', 'b', 'c', 'ab', 'B', ''), fc.constantFrom(-3, 0, 1, 2, 10, 2.5))
const valueArb = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: -4000, max: 4000 }).map((x) => x / 4))

/** Random-time batches, each maybe followed by a watermark move (forward mostly, sometimes back or fractional). */
function stepsArb(tsArb: fc.Arbitrary<number>, withSnapshots: boolean): fc.Arbitrary<Step[]> {
  const recArb = fc.record({ key: keyArb, ts: tsArb, value: valueArb })
  const moveArb = fc.oneof(
    { arbitrary: fc.integer({ min: -5, max: 40 }), weight: 6 },
    { arbitrary: fc.double({ min: -2, max: 30, noNaN: true }), weight: 3 },
    { arbitrary: fc.constant(1000), weight: 1 },
  )
  return fc
    .array(fc.tuple(fc.array(recArb, { maxLength: 14 }), fc.option(moveArb, { nil: undefined }), withSnapshots ? fc.boolean() : fc.constant(false)), { maxLength: 25 })
    .map((items) => {
      const steps: Step[] = []
      let wm = -30
      for (const [records, move, snapshot] of items) {
        steps.push({ kind: 'batch', records })
        if (move !== undefined) {
          wm += move
          steps.push({ kind: 'watermark', watermark: wm })
        }
        if (snapshot) steps.push({ kind: 'snapshot' })
      }
      return steps
    })
}

describe('PaneWindowAggregator against WindowOperator', () => {
  for (const agg of AGGS) {
    it(`${agg}: deep-equal output at every step on random tumbling and sliding streams`, () => {
      // Random windows (offsets, slide not dividing size, slide > size gaps), lateness, keys (strings, numbers, both) and batches.
      fc.assert(
        fc.property(specArb, latenessArb, stepsArb(fc.integer({ min: -20, max: 300 }), false), fc.boolean(), (spec, lateness, steps, columnar) => {
          runBoth(spec, agg, lateness, steps, columnar)
        }),
        { numRuns: 300 },
      )
    })
  }

  it('fractional timestamps (offset 0) give the same windows as WindowOperator', () => {
    // With offset 0 WindowOperator's start arithmetic is exact for fractional times too.
    const spec0 = specArb.map((s): Spec => ({ ...s, offset: 0 }))
    const ts = fc.integer({ min: -80, max: 1200 }).map((x) => x / 4)
    fc.assert(
      fc.property(spec0, latenessArb, stepsArb(ts, false), fc.constantFrom(...AGGS), (spec, lateness, steps, agg) => {
        runBoth(spec, agg, lateness, steps, true)
      }),
      { numRuns: 200 },
    )
  })

  it('timestamps near ±2^52 and large windows stay exact', () => {
    // Large magnitudes exercise the exact-integer limits of pane and window indices.
    const base = fc.constantFrom(0, 1_700_000_000_000, PANE_TIMESTAMP_LIMIT - 5000, -PANE_TIMESTAMP_LIMIT + 5000)
    fc.assert(
      fc.property(
        base,
        fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 300 })),
        fc.integer({ min: 0, max: 299 }),
        fc.constantFrom(...AGGS),
        fc.array(fc.tuple(fc.array(fc.record({ key: keyArb, ts: fc.integer({ min: -3000, max: 3000 }), value: valueArb }), { maxLength: 12 }), fc.integer({ min: -100, max: 800 })), { maxLength: 12 }),
        (b, [size, slide], offset, agg, items) => {
          const steps: Step[] = []
          let wm = b - 4000
          for (const [records, move] of items) {
            steps.push({ kind: 'batch', records: records.map((r) => ({ ...r, ts: b + r.ts })) })
            wm += move
            steps.push({ kind: 'watermark', watermark: wm })
          }
          runBoth({ kind: 'sliding', size, slide, offset: offset % slide }, agg, 50, steps, true)
        },
      ),
      { numRuns: 100 },
    )
  })

  it('the random streams really exercise late records, re-firing, gaps and key order', () => {
    // Guards the property tests against vacuity.
    const sample = fc.sample(fc.tuple(specArb, latenessArb, stepsArb(fc.integer({ min: -20, max: 300 }), false)), { numRuns: 400, seed: 11 })
    let refires = 0
    let late = 0
    let dropped = 0
    let results = 0
    /** Adjacent results of one window where a number key precedes a string key (key order across types). */
    let mixedKeyOrder = 0
    for (const [spec, lateness, steps] of sample) {
      const op = new WindowOperator({ assigner: assignerOf(spec), aggregate: count(), allowedLatenessMs: lateness })
      const seen = new Set<string>()
      for (const step of steps) {
        if (step.kind !== 'batch' && step.kind !== 'watermark') continue
        const fired = step.kind === 'batch' ? op.processBatch(batchOf(step.records, true)).results : op.advanceWatermark(step.watermark)
        for (let i = 1; i < fired.length; i++) {
          if (fired[i].windowStart === fired[i - 1].windowStart && typeof fired[i - 1].key === 'number' && typeof fired[i].key === 'string') mixedKeyOrder++
        }
        for (const r of fired) {
          const id = `${typeof r.key}|${r.key}|${r.windowStart}`
          if (seen.has(id)) refires++
          seen.add(id)
        }
        results += fired.length
      }
      late += op.stats().lateRecords
      dropped += op.stats().droppedOutsideWindows
    }
    expect(refires).toBeGreaterThan(40)
    expect(late).toBeGreaterThan(500)
    expect(dropped).toBeGreaterThan(100)
    expect(results).toBeGreaterThan(2000)
    expect(mixedKeyOrder).toBeGreaterThan(100)
  })

  it('a record late for some of its sliding windows updates only the others', () => {
    // Worked example: size 10, slide 2, lateness 2; at W = 13 the record at 9 is late for [0,10) and [2,12)
    // (purged), re-fires [4,14) (fired, not purged) and is on time for [6,16) and [8,18).
    const make = () => ({ assigner: sliding({ size: 10, slide: 2 }), aggregate: count(), allowedLatenessMs: 2 })
    const pane = new PaneWindowAggregator(make())
    const op = new WindowOperator(make())
    for (const agg of [pane, op] as WindowAggregator<unknown, number>[]) {
      agg.processBatch({ keys: ['k'], timestamps: Float64Array.of(8), values: [0] })
      agg.advanceWatermark(13)
    }
    const batch = { keys: ['k'], timestamps: Float64Array.of(9), values: [0] }
    const out = pane.processBatch(batch)
    expect(out).toEqual(op.processBatch(batch))
    expect(out.late).toEqual([])
    expect(out.results).toEqual([{ key: 'k', windowStart: 4, windowEnd: 14, result: 2 }])
    expect(pane.advanceWatermark(Infinity)).toEqual(op.advanceWatermark(Infinity))
    pane.dispose()
  })

  it('big batches (more rows than one Wasm call takes) and many keys match too', () => {
    // 40k records over 3,000 keys in one batch cross the 32k-row limit of one Wasm call; windows then fire in several output chunks.
    const n = 40_000
    const keys: Key[] = []
    const timestamps = new Float64Array(n)
    const values = new Float64Array(n)
    let x = 12345
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      keys.push(x % 2 === 0 ? `user-${x % 3000}` : x % 3000)
      timestamps[i] = Math.floor(i / 4) + (x % 500) - 250
      values[i] = (x >>> 8) % 1000
    }
    for (const agg of ['count', 'max', 'avg'] as AggName[]) {
      const options = () => ({ assigner: sliding({ size: 1000, slide: 250, offset: 17 }), aggregate: builtIn[agg](), allowedLatenessMs: 300 })
      const pane = new PaneWindowAggregator(options())
      const op = new WindowOperator(options())
      const batch = { keys, timestamps, values }
      expect(pane.processBatch(batch)).toEqual(op.processBatch(batch))
      expect(pane.stats()).toEqual(op.stats())
      for (const wm of [2000, 2600, 9000]) expect(pane.advanceWatermark(wm)).toEqual(op.advanceWatermark(wm))
      expect(pane.processBatch(batch)).toEqual(op.processBatch(batch))
      expect(pane.advanceWatermark(Infinity)).toEqual(op.advanceWatermark(Infinity))
      expect(pane.stats()).toEqual(op.stats())
      pane.dispose()
    }
  })
})

describe('choosing the fast path', () => {
  it('canUsePanes accepts tumbling/sliding + event time + built-ins, and nothing else', () => {
    // The runtime's switch: every condition is checked.
    const slidingWindows = sliding({ size: 10_000, slide: 2_000 })
    expect(canUsePanes(slidingWindows, count())).toBe(true)
    expect(canUsePanes(tumbling({ size: 60_000, offset: -5_000 }), avg(), triggers.eventTime())).toBe(true)
    expect(canUsePanes(sliding({ size: 5, slide: 1_000 }), min())).toBe(true)
    expect(canUsePanes(session({ gap: 10 }), count())).toBe(false)
    expect(canUsePanes(slidingWindows, count(), triggers.count(3))).toBe(false)
    expect(canUsePanes(slidingWindows, count(), triggers.processingTime(100))).toBe(false)
    expect(canUsePanes(slidingWindows, { ...sum(), builtin: undefined })).toBe(false)
    const collect: AggregateFunction<number, number[], number> = { createAccumulator: () => [], add: (a, v) => [...a, v], merge: (a, b) => [...a, ...b], getResult: (a) => a.length }
    expect(canUsePanes(slidingWindows, collect)).toBe(false)
    expect(canUsePanes(tumbling({ size: 1.5 }), sum())).toBe(false)
    expect(canUsePanes(sliding({ size: 10, slide: 2.5 }), sum())).toBe(false)
    expect(canUsePanes(tumbling({ size: 2 ** 41 }), sum())).toBe(false)
    // An assigner that claims to be tumbling but assigns differently is not trusted.
    const liar: WindowAssigner = { ...tumbling({ size: 10 }), assign: (t, out) => ((out[0] = t), (out[1] = t + 10), 1) }
    expect(canUsePanes(liar, sum())).toBe(false)
  })

  it('createWindowAggregator picks the pane aggregator when it can and WindowOperator otherwise', () => {
    const fast = createWindowAggregator({ assigner: sliding({ size: 10, slide: 5 }), aggregate: sum() })
    expect(fast).toBeInstanceOf(PaneWindowAggregator)
    fast.dispose?.()
    const general = createWindowAggregator({ assigner: session({ gap: 5 }), aggregate: sum() })
    expect(general).toBeInstanceOf(WindowOperator)
    const counted = createWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: sum(), trigger: triggers.count(2) })
    expect(counted).toBeInstanceOf(WindowOperator)
    expect(() => createWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: sum(), allowedLatenessMs: -1 })).toThrow(StreamConfigError)
  })

  it('the constructor refuses what it cannot do, naming the option', () => {
    const cases: Array<[() => unknown, string]> = [
      [() => new PaneWindowAggregator({ assigner: session({ gap: 5 }), aggregate: sum() }), 'assigner'],
      [() => new PaneWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: { ...sum(), builtin: undefined } }), 'aggregate'],
      [() => new PaneWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: sum(), trigger: triggers.count(2) }), 'trigger'],
      [() => new PaneWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: sum(), allowedLatenessMs: -1 }), 'allowedLatenessMs'],
      [() => new PaneWindowAggregator({ assigner: undefined as unknown as WindowAssigner, aggregate: sum() }), 'assigner'],
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
    }
  })

  it('refuses a malformed batch whole, changing no state, like WindowOperator', () => {
    const pane = new PaneWindowAggregator({ assigner: tumbling({ size: 10 }), aggregate: sum() })
    pane.processBatch({ keys: ['a'], timestamps: Float64Array.of(1), values: [1] })
    const bad = [
      { keys: ['a', 'b'], timestamps: Float64Array.of(1), values: [1] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, NaN), values: [1, 2] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, Infinity), values: [1, 2] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, 2 ** 53), values: [1, 2] },
      { keys: ['a', NaN], timestamps: Float64Array.of(1, 2), values: [1, 2] },
      { keys: ['a', null as unknown as string], timestamps: Float64Array.of(1, 2), values: [1, 2] },
      { keys: ['a', 'b'], timestamps: Float64Array.of(1, 2), values: [1, '2' as unknown as number] },
      { keys: ['a'], timestamps: [1] as unknown as Float64Array, values: [1] },
    ]
    for (const batch of bad) expect(() => pane.processBatch(batch)).toThrow(StreamInputError)
    expect(() => pane.processBatch(bad[6])).toThrow(/batch\.values\[1\] is a string; this aggregate needs numbers/)
    expect(pane.stats()).toEqual({ watermark: -Infinity, windows: 1, lateRecords: 0, droppedOutsideWindows: 0 })
    expect(() => pane.advanceWatermark(NaN)).toThrow(StreamInputError)
    expect(pane.advanceWatermark(Infinity)).toEqual([{ key: 'a', windowStart: 0, windowEnd: 10, result: 1 }])
    pane.dispose()
    expect(() => pane.stats()).toThrow(/disposed/)
  })

  it('count takes values of any type and hands them back untouched in the late side output', () => {
    const pane = new PaneWindowAggregator<unknown>({ assigner: tumbling({ size: 10 }), aggregate: count() })
    const value = { any: 'thing' }
    pane.advanceWatermark(20)
    const out = pane.processBatch({ keys: [7, 'x'], timestamps: Float64Array.of(3, 25), values: [value, null] })
    expect(out.late).toEqual([{ key: 7, timestamp: 3, value, row: 0 }])
    expect(out.late[0].value).toBe(value)
    expect(pane.advanceWatermark(Infinity)).toEqual([{ key: 'x', windowStart: 20, windowEnd: 30, result: 1 }])
    pane.dispose()
  })
})

describe('snapshot and restore', () => {
  it('a restored aggregator continues exactly like the original (random snapshot points)', () => {
    fc.assert(
      fc.property(specArb, latenessArb, stepsArb(fc.integer({ min: -20, max: 300 }), true), fc.constantFrom(...AGGS), (spec, lateness, steps, agg) => {
        runBoth(spec, agg, lateness, steps, true)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps the watermark, counters, string and number keys', () => {
    const options = () => ({ assigner: sliding({ size: 10, slide: 5 }), aggregate: avg(), allowedLatenessMs: 5 })
    const pane = new PaneWindowAggregator(options())
    pane.processBatch({ keys: ['é→🙂', 42, 'b'], timestamps: Float64Array.of(1, 2, 13), values: [1, 2, 3] })
    pane.advanceWatermark(9)
    pane.processBatch({ keys: ['late'], timestamps: Float64Array.of(-10), values: [1] })
    const restored = PaneWindowAggregator.restore(options(), pane.snapshot())
    expect(restored.stats()).toEqual(pane.stats())
    expect(restored.watermark).toBe(9)
    expect(restored.advanceWatermark(Infinity)).toEqual(pane.advanceWatermark(Infinity))
    expect(PaneWindowAggregator.restore(options(), pane.snapshot()).stats()).toEqual(pane.stats())
    pane.dispose()
    restored.dispose()
  })

  it('refuses corrupt bytes, another version, a wrong length or other options with a clear message', () => {
    const options = () => ({ assigner: tumbling({ size: 10 }), aggregate: sum() })
    const pane = new PaneWindowAggregator(options())
    pane.processBatch({ keys: ['a', 1, 'a'], timestamps: Float64Array.of(1, 12, 13), values: [1, 2, 3] })
    const good = pane.snapshot()
    const goodView = new DataView(good.buffer)
    const keyOfNode = (i: number) => goodView.getUint32(80 + 32 * i + 24, true)
    // A second node of node 0's key (in another pane).
    const twin = [1, 2].find((i) => keyOfNode(i) === keyOfNode(0)) as number
    pane.dispose()
    const patched = (edit: (view: DataView) => void) => {
      const copy = good.slice()
      edit(new DataView(copy.buffer))
      return copy
    }
    const cases: Array<[Uint8Array, RegExp]> = [
      [good.subarray(0, 40), /shorter than its 80-byte header/],
      [good.subarray(0, good.length - 1), /bytes but its header describes/],
      [Uint8Array.from([...good, 0]), /bytes but its header describes/],
      [patched((v) => v.setUint16(4, 2, true)), /version 2 is not supported/],
      [patched((v) => v.setUint32(0, 0x12345678, true)), /not a pane aggregator snapshot/],
      [patched((v) => v.setFloat64(8, 20, true)), /window size 20, these options have 10/],
      [patched((v) => v.setUint8(6, 0)), /aggregate code 0/],
      [patched((v) => v.setUint32(80 + 24, 7, true)), /node 0 names key 7 of 2/],
      [patched((v) => v.setUint8(80 + 3 * 32, 7)), /key 0 has tag 7/],
      [patched((v) => v.setFloat64(80 + 8, 0, true)), /node 0 has count 0/],
      [patched((v) => v.setFloat64(80, 0.5, true)), /node 0 has pane 0.5/],
      [patched((v) => v.setFloat64(80 + 32 * twin, v.getFloat64(80, true), true)), /node \d repeats an earlier \(key, pane\)/],
      [patched((v) => v.setUint32(80 + 32 * (3 - twin) + 24, keyOfNode(0), true)), /key \d has no accumulator/],
    ]
    for (const [bytes, message] of cases) {
      expect(() => PaneWindowAggregator.restore(options(), bytes)).toThrow(StreamInputError)
      expect(() => PaneWindowAggregator.restore(options(), bytes)).toThrow(message)
    }
    const restored = PaneWindowAggregator.restore(options(), good)
    expect(restored.advanceWatermark(Infinity)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, result: 1 },
      { key: 1, windowStart: 10, windowEnd: 20, result: 2 },
      { key: 'a', windowStart: 10, windowEnd: 20, result: 3 },
    ])
    restored.dispose()
  })
})

describe('restoring keys', () => {
  it('round-trips ASCII, non-ASCII and number keys, and names a repeated, non-UTF-8 or overcounted key table', () => {
    const options = () => ({ assigner: tumbling({ size: 10 }), aggregate: sum(), allowedLatenessMs: 0 })
    const pane = new PaneWindowAggregator(options())
    const keys = ['ab', 'cd', 'é', 'ü日本', 'k'.repeat(40), 7]
    pane.processBatch({ keys, timestamps: new Float64Array(keys.length).fill(1), values: keys.map((_, i) => i + 1) })
    const good = pane.snapshot()
    pane.dispose()
    // With headroom, the same bytes after that many free ones (a caller frames them in place).
    const reopened = PaneWindowAggregator.restore(options(), good)
    const plain = reopened.snapshot()
    const roomy = reopened.snapshot(8)
    expect(roomy.length).toBe(plain.length + 8)
    expect(roomy.subarray(8)).toEqual(plain)
    reopened.dispose()
    const restored = PaneWindowAggregator.restore(options(), good)
    expect(new Map(restored.advanceWatermark(Infinity).map((r) => [r.key, r.result]))).toEqual(new Map(keys.map((k, i) => [k, i + 1])))
    restored.dispose()
    // The key table follows the header (80 bytes) and the nodes (32 bytes each); 'ab' is its first key: tag, u32 length, bytes.
    const table = 80 + 32 * keys.length
    const patched = (edit: (bytes: Uint8Array, view: DataView) => void) => {
      const copy = good.slice()
      edit(copy, new DataView(copy.buffer))
      return copy
    }
    const cases: Array<[Uint8Array, RegExp]> = [
      [patched((b) => b.set([0x63, 0x64], table + 5)), /key 1 \(cd\) appears twice/],
      [patched((b) => (b[table + 5] = 0xff)), /key 0 is not valid UTF-8/],
      [patched((_, v) => v.setUint32(68, 1e9, true)), /claims 1000000000 keys/],
    ]
    for (const [bytes, message] of cases) expect(() => PaneWindowAggregator.restore(options(), bytes)).toThrow(message)
  })
})

describe('memory', () => {
  it('freeing and reusing key indices of rotating keys keeps results identical', () => {
    // 12 phases of 2,500 keys (strings and numbers alternating), 10% of records from the previous phase,
    // so keys go idle, come back, get freed and have their indices reused.
    const options = () => ({ assigner: sliding({ size: 300, slide: 100, offset: 7 }), aggregate: max(), allowedLatenessMs: 50 })
    const pane = new PaneWindowAggregator(options())
    const op = new WindowOperator(options())
    let x = 99
    const rand = (n: number) => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0
      return (x >>> 8) % n
    }
    const keyOf = (phase: number, i: number): Key => (phase % 2 === 0 ? `k${phase}-${i}` : phase * 10_000 + i)
    let t = 0
    for (let phase = 0; phase < 12; phase++) {
      for (let b = 0; b < 10; b++) {
        const records: Rec[] = []
        for (let i = 0; i < 1000; i++) {
          const previous = phase > 0 && rand(10) === 0
          records.push({ key: keyOf(previous ? phase - 1 : phase, rand(2500)), ts: t + rand(200) - 100, value: rand(1000) })
          t += 0.1
        }
        const batch = batchOf(records, true)
        expect(pane.processBatch(batch)).toEqual(op.processBatch(batch))
        expect(pane.advanceWatermark(t - 120)).toEqual(op.advanceWatermark(t - 120))
        expect(pane.stats()).toEqual(op.stats())
      }
    }
    expect(pane.advanceWatermark(Infinity)).toEqual(op.advanceWatermark(Infinity))
    pane.dispose()
  })


  it('stays bounded over a million records as 10k keys rotate', () => {
    // 10 phases of 100k records (1 ms apart) over a fresh set of 10,000 keys each; the watermark follows 100 ms behind.
    const pane = new PaneWindowAggregator({ assigner: sliding({ size: 10_000, slide: 2_000 }), aggregate: sum() })
    const batchSize = 10_000
    const timestamps = new Float64Array(batchSize)
    const values = new Float64Array(batchSize).fill(1)
    const memoryAfterPhase: number[] = []
    let fired = 0
    for (let phase = 0; phase < 10; phase++) {
      const pool = Array.from({ length: 10_000 }, (_, i) => (phase % 2 === 0 ? `p${phase}:${i}` : phase * 1e6 + i))
      const keys: Key[] = new Array(batchSize)
      for (let b = 0; b < 100_000 / batchSize; b++) {
        const first = phase * 100_000 + b * batchSize
        for (let i = 0; i < batchSize; i++) {
          timestamps[i] = first + i
          keys[i] = pool[(i * 7919) % 10_000]
        }
        pane.processBatch({ keys, timestamps, values })
        fired += pane.advanceWatermark(first + batchSize - 100).length
        // Live windows: keys of at most two phases, each in at most ~6 open windows.
        expect(pane.stats().windows).toBeLessThanOrEqual(2 * 10_000 * 6)
      }
      memoryAfterPhase.push(wasmMemoryBytes())
    }
    expect(fired).toBeGreaterThan(400_000)
    // Known keys (live, idle and recycled) stay bounded too (white-box: the key table is private).
    expect((pane as unknown as { keyIndex: Map<Key, number> }).keyIndex.size).toBeLessThanOrEqual(3 * 20_000 + 2 * 4096)
    // Wasm memory stops growing once the first phases have sized the structures.
    expect(memoryAfterPhase[9]).toBe(memoryAfterPhase[3])
    pane.advanceWatermark(Infinity)
    expect(pane.stats().windows).toBe(0)
    expect(pane.snapshot().length).toBe(80)
    pane.dispose()
  })
})
