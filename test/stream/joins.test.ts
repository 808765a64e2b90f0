// Proves the window join and the interval join agree exactly (results in the
// documented order, late side outputs, counters) with brute-force references
// on random out-of-order, late-laden streams split into random batches with
// random watermark advances, including snapshot/restore at a random point; and
// pins worked examples, refusals and snapshot errors.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { StreamConfigError, StreamInputError } from '../../src/stream/errors.js'
import { globalWindows, session, sliding, tumbling, type WindowAssigner } from '../../src/stream/window/windows.js'
import { IntervalJoinOperator, type IntervalJoinOptions } from '../../src/stream/operators/interval-join.js'
import { toBatch, type Emitted, type Key } from '../../src/stream/operators/types.js'
import { WindowJoinOperator, type WindowJoinOptions } from '../../src/stream/operators/window-join.js'
import {
  intervalJoinReference,
  pair,
  windowJoinReference,
  windowsOf,
  type JoinWindowSpec,
  type JRec,
  type JStep,
  type StepOut,
} from './join-reference.js'

const keyArb = fc.constantFrom<Key>('a', 'b', 1, 2)
const recArb = fc.record({ key: keyArb, ts: fc.integer({ min: -20, max: 120 }) })

/**
 * Random left/right batches (unique values L0, R1, …), each maybe followed by
 * a watermark step (it can go backwards; lower ones must be ignored), ending
 * with the end-of-input watermark.
 */
const stepsArb: fc.Arbitrary<JStep[]> = fc
  .array(
    fc.tuple(fc.constantFrom<'left' | 'right'>('left', 'right'), fc.array(recArb, { maxLength: 8 }), fc.option(fc.integer({ min: -5, max: 25 }), { nil: undefined })),
    { maxLength: 24 },
  )
  .map((parts) => {
    const steps: JStep[] = []
    let wm = -25
    let n = 0
    for (const [kind, records, advance] of parts) {
      steps.push({ kind, records: records.map((r) => ({ ...r, value: `${kind === 'left' ? 'L' : 'R'}${n++}` })) })
      if (advance !== undefined) {
        wm += advance
        steps.push({ kind: 'watermark', watermark: wm })
      }
    }
    steps.push({ kind: 'watermark', watermark: Infinity })
    return steps
  })

const windowSpecArb: fc.Arbitrary<JoinWindowSpec> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).chain((size) => fc.integer({ min: -(size - 1), max: size - 1 }).map((offset): JoinWindowSpec => ({ kind: 'tumbling', size, offset }))),
  fc
    .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 50 }))
    .chain(([size, slide]) => fc.integer({ min: -(slide - 1), max: slide - 1 }).map((offset): JoinWindowSpec => ({ kind: 'sliding', size, slide, offset }))),
)
const latenessArb = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }))

function assignerOf(spec: JoinWindowSpec): WindowAssigner {
  return spec.kind === 'tumbling' ? tumbling({ size: spec.size, offset: spec.offset }) : sliding({ size: spec.size, slide: spec.slide, offset: spec.offset })
}

const batchOf = (records: JRec[]) => toBatch(records.map((r) => ({ key: r.key, timestamp: r.ts, value: r.value })))

interface Joiner {
  processLeft(batch: ReturnType<typeof batchOf>): { results: Emitted<string>[]; late: Emitted<string>[] }
  processRight(batch: ReturnType<typeof batchOf>): { results: Emitted<string>[]; late: Emitted<string>[] }
  advanceWatermark(wm: number): Emitted<string>[]
  snapshot(): Uint8Array
}

/** Runs a join over the steps; before step `restoreAt` it is snapshotted and replaced by a restored copy. */
function runJoin<J extends Joiner>(create: () => J, restore: (bytes: Uint8Array) => J, steps: JStep[], restoreAt = -1): { outs: StepOut[]; op: J } {
  let op = create()
  const outs: StepOut[] = []
  steps.forEach((step, i) => {
    if (i === restoreAt) op = restore(op.snapshot())
    if (step.kind === 'watermark') outs.push({ results: op.advanceWatermark(step.watermark), late: [] })
    else if (step.kind === 'left') outs.push(op.processLeft(batchOf(step.records)))
    else outs.push(op.processRight(batchOf(step.records)))
  })
  return { outs, op }
}

function windowJoinOptions(spec: JoinWindowSpec, lateness: number): WindowJoinOptions<string, string, string> {
  return { assigner: assignerOf(spec), allowedLatenessMs: lateness, join: (l, r, key) => pair(l, r, key) }
}

function intervalOptions(lower: number, upper: number): IntervalJoinOptions<string, string, string> {
  return { lowerBoundMs: lower, upperBoundMs: upper, join: (l, r, key) => pair(l, r, key) }
}

describe('WindowJoinOperator against the brute-force reference', () => {
  it('same pairs in the documented order, same late side output and counters, with and without a snapshot/restore mid-stream', () => {
    // Random tumbling/sliding windows (incl. gaps), lateness and late-laden streams; restoring at a random step changes nothing.
    fc.assert(
      fc.property(windowSpecArb, latenessArb, stepsArb, fc.nat(), (spec, lateness, steps, at) => {
        const expected = windowJoinReference(spec, lateness, steps)
        const options = windowJoinOptions(spec, lateness)
        const plain = runJoin(() => new WindowJoinOperator(options), (b) => WindowJoinOperator.restore(options, b), steps)
        const restored = runJoin(() => new WindowJoinOperator(options), (b) => WindowJoinOperator.restore(options, b), steps, at % (steps.length + 1))
        expect(plain.outs).toEqual(expected.outs)
        expect(restored.outs).toEqual(expected.outs)
        expect(plain.op.stats()).toEqual({ watermark: Infinity, stateSize: 0, lateRecords: expected.late, windows: 0, droppedOutsideWindows: expected.dropped })
        expect(restored.op.stats()).toEqual(plain.op.stats())
      }),
      { numRuns: 300 },
    )
  })

  it('state stays bounded: after each watermark only windows not yet past end − 1 + lateness are held', () => {
    // Guards the purge: buffered entries all belong to live windows.
    fc.assert(
      fc.property(windowSpecArb, latenessArb, stepsArb, (spec, lateness, steps) => {
        const op = new WindowJoinOperator(windowJoinOptions(spec, lateness))
        for (const step of steps) {
          if (step.kind === 'watermark') op.advanceWatermark(step.watermark)
          else if (step.kind === 'left') op.processLeft(batchOf(step.records))
          else op.processRight(batchOf(step.records))
          const snapshot = JSON.parse(new TextDecoder().decode(op.snapshot()))
          const wm = op.watermark
          for (const [, , ts] of [...snapshot.left, ...snapshot.right]) {
            expect(windowsOf(spec, ts).some(([, end]) => end - 1 + lateness > wm)).toBe(true)
          }
          // stateSize counts (record, window) entries: each buffered record once per live window.
          const entries = [...snapshot.left, ...snapshot.right].reduce((n, [, , ts]) => n + windowsOf(spec, ts).filter(([, end]) => end - 1 + lateness > wm).length, 0)
          expect(op.stats().stateSize).toBe(entries)
        }
      }),
      { numRuns: 100 },
    )
  })

  it('the random streams really exercise late pairs, the late side output and gaps', () => {
    // Guards the property test against vacuity.
    const sample = fc.sample(fc.tuple(windowSpecArb, latenessArb, stepsArb), { numRuns: 300, seed: 11 })
    let latePairs = 0
    let late = 0
    let dropped = 0
    let fired = 0
    for (const [spec, lateness, steps] of sample) {
      const ref = windowJoinReference(spec, lateness, steps)
      steps.forEach((s, i) => {
        if (s.kind === 'watermark') fired += ref.outs[i].results.length
        else latePairs += ref.outs[i].results.length
      })
      late += ref.late
      dropped += ref.dropped
    }
    expect(fired).toBeGreaterThan(1000)
    expect(latePairs).toBeGreaterThan(30)
    expect(late).toBeGreaterThan(100)
    expect(dropped).toBeGreaterThan(20)
  })
})

describe('WindowJoinOperator worked examples', () => {
  it('tumbling 10 ms: pairs fire when the watermark reaches end − 1, stamped end − 1, ordered by window, key, left then right arrival', () => {
    // Pins the basic contract on hand-checked numbers.
    const op = new WindowJoinOperator<string, string, string>({ assigner: tumbling({ size: 10 }), join: (l, r, key, w) => `${l}${r}:${key}[${w.start},${w.end})` })
    expect(op.processLeft(toBatch([{ key: 'k', timestamp: 1, value: 'a' }, { key: 'k', timestamp: 12, value: 'b' }, { key: 'j', timestamp: 3, value: 'c' }, { key: 'k', timestamp: 4, value: 'd' }]))).toEqual({ results: [], late: [] })
    expect(op.processRight(toBatch([{ key: 'k', timestamp: 9, value: 'X' }, { key: 'j', timestamp: 0, value: 'Y' }, { key: 'k', timestamp: 2, value: 'Z' }, { key: 'k', timestamp: 15, value: 'W' }]))).toEqual({ results: [], late: [] })
    expect(op.advanceWatermark(8)).toEqual([])
    expect(op.advanceWatermark(9)).toEqual([
      { key: 'j', timestamp: 9, value: 'cY:j[0,10)' },
      { key: 'k', timestamp: 9, value: 'aX:k[0,10)' },
      { key: 'k', timestamp: 9, value: 'aZ:k[0,10)' },
      { key: 'k', timestamp: 9, value: 'dX:k[0,10)' },
      { key: 'k', timestamp: 9, value: 'dZ:k[0,10)' },
    ])
    expect(op.stats()).toMatchObject({ stateSize: 2, windows: 1 })
    expect(op.advanceWatermark(5)).toEqual([])
    expect(op.advanceWatermark(Infinity)).toEqual([{ key: 'k', timestamp: 19, value: 'bW:k[10,20)' }])
    expect(op.stats()).toEqual({ watermark: Infinity, stateSize: 0, lateRecords: 0, windows: 0, droppedOutsideWindows: 0 })
  })

  it('sliding windows: a pair is joined once per window the two records share', () => {
    // size 10, slide 5: ts 6 and 8 share [0,10) and [5,15).
    const op = new WindowJoinOperator<string, string, string>({ assigner: sliding({ size: 10, slide: 5 }), join: (l, r, _k, w) => `${l}${r}@${w.start}` })
    op.processLeft(toBatch([{ key: 1, timestamp: 6, value: 'l' }]))
    op.processRight(toBatch([{ key: 1, timestamp: 8, value: 'r' }, { key: 2, timestamp: 8, value: 'other key' }]))
    expect(op.advanceWatermark(Infinity)).toEqual([
      { key: 1, timestamp: 9, value: 'lr@0' },
      { key: 1, timestamp: 14, value: 'lr@5' },
    ])
  })

  it('allowed lateness: a late record adds only its new pairs at once; past end − 1 + lateness it goes to the late side output', () => {
    // Pins the exactly-once emission of late pairs (Flink would repeat the whole window).
    const op = new WindowJoinOperator<string, string, string>({ assigner: tumbling({ size: 10 }), allowedLatenessMs: 5, join: (l, r) => l + r })
    op.processLeft(toBatch([{ key: 'k', timestamp: 1, value: 'a' }]))
    op.processRight(toBatch([{ key: 'k', timestamp: 2, value: 'X' }]))
    expect(op.advanceWatermark(10)).toEqual([{ key: 'k', timestamp: 9, value: 'aX' }])
    expect(op.processLeft(toBatch([{ key: 'k', timestamp: 3, value: 'b' }]))).toEqual({ results: [{ key: 'k', timestamp: 9, value: 'bX' }], late: [] })
    expect(op.processRight(toBatch([{ key: 'k', timestamp: 4, value: 'Y' }, { key: 'k', timestamp: 5, value: 'Z' }])).results).toEqual([
      { key: 'k', timestamp: 9, value: 'aY' },
      { key: 'k', timestamp: 9, value: 'aZ' },
      { key: 'k', timestamp: 9, value: 'bY' },
      { key: 'k', timestamp: 9, value: 'bZ' },
    ])
    expect(op.advanceWatermark(14)).toEqual([])
    expect(op.stats()).toMatchObject({ stateSize: 0, windows: 0 })
    expect(op.processLeft(toBatch([{ key: 'k', timestamp: 9, value: 'too late' }]))).toEqual({ results: [], late: [{ key: 'k', timestamp: 9, value: 'too late' }] })
    expect(op.stats().lateRecords).toBe(1)
  })

  it('a sliding assigner with gaps drops records between windows (counted, not late)', () => {
    // size 5, slide 10: ts 7 is in no window.
    const op = new WindowJoinOperator<number, number, number>({ assigner: sliding({ size: 5, slide: 10 }), join: (l, r) => l + r })
    expect(op.processLeft(toBatch([{ key: 'k', timestamp: 7, value: 1 }]))).toEqual({ results: [], late: [] })
    expect(op.stats()).toMatchObject({ droppedOutsideWindows: 1, lateRecords: 0, stateSize: 0 })
  })

  it('refuses session and global windows, a missing join function and negative lateness', () => {
    // Config errors name the option.
    const join = (l: number, r: number) => l + r
    expect(() => new WindowJoinOperator({ assigner: session({ gap: 5 }), join })).toThrow(StreamConfigError)
    expect(() => new WindowJoinOperator({ assigner: session({ gap: 5 }), join })).toThrow(/assigner: a window join needs tumbling or sliding windows, got session/)
    expect(() => new WindowJoinOperator({ assigner: globalWindows(), join })).toThrow(/got global windows/)
    expect(() => new WindowJoinOperator({ assigner: tumbling({ size: 5 }), join: undefined as never })).toThrow(/join: is required/)
    expect(() => new WindowJoinOperator({ assigner: tumbling({ size: 5 }), join, allowedLatenessMs: -1 })).toThrow(/allowedLatenessMs/)
  })

  it('validates a whole batch before applying any of it, naming the field and index', () => {
    // A bad record in the middle leaves the operator untouched.
    const op = new WindowJoinOperator<number, number, number>({ assigner: tumbling({ size: 10 }), join: (l, r) => l + r })
    const bad = (keys: unknown[], timestamps: number[], values: unknown[]) => () => op.processLeft({ keys, timestamps, values } as never)
    expect(bad(['a', 'b', 'c'], [1, NaN, 3], [1, 2, 3])).toThrow(StreamInputError)
    expect(bad(['a', 'b', 'c'], [1, NaN, 3], [1, 2, 3])).toThrow('left batch.timestamps[1] is NaN')
    expect(bad(['a', {}, 'c'], [1, 2, 3], [1, 2, 3])).toThrow('left batch.keys[1] is a object; keys must be strings or finite numbers')
    expect(bad(['a', 'b'], [1, 2, 3], [1, 2, 3])).toThrow('columns differ in length: keys 2, timestamps 3, values 3')
    expect(() => op.processRight({ keys: ['a'], timestamps: [Infinity], values: [1] })).toThrow('right batch.timestamps[0] is Infinity')
    expect(() => op.advanceWatermark(NaN)).toThrow(StreamInputError)
    expect(op.stats()).toEqual({ watermark: -Infinity, stateSize: 0, lateRecords: 0, windows: 0, droppedOutsideWindows: 0 })
  })
})

describe('IntervalJoinOperator against the brute-force reference', () => {
  const boundsArb = fc.integer({ min: -30, max: 30 }).chain((lower) => fc.integer({ min: 0, max: 40 }).map((width) => [lower, lower + width] as const))

  it('same pairs in the documented order, same late side output, with and without a snapshot/restore mid-stream; state drains at end of input', () => {
    // Random bounds (negative, zero-width, positive) over random late-laden streams.
    fc.assert(
      fc.property(boundsArb, stepsArb, fc.nat(), ([lower, upper], steps, at) => {
        const expected = intervalJoinReference(lower, upper, steps)
        const options = intervalOptions(lower, upper)
        const plain = runJoin(() => new IntervalJoinOperator(options), (b) => IntervalJoinOperator.restore(options, b), steps)
        const restored = runJoin(() => new IntervalJoinOperator(options), (b) => IntervalJoinOperator.restore(options, b), steps, at % (steps.length + 1))
        expect(plain.outs).toEqual(expected.outs)
        expect(restored.outs).toEqual(expected.outs)
        expect(plain.op.stats()).toEqual({ watermark: Infinity, stateSize: 0, lateRecords: expected.late, bufferedLeft: 0, bufferedRight: 0 })
        expect(restored.op.stats()).toEqual(plain.op.stats())
      }),
      { numRuns: 300 },
    )
  })

  it('keeps only records that can still match something to come', () => {
    // After each watermark W: every buffered left has ts + upper > W, every buffered right ts − lower > W.
    fc.assert(
      fc.property(boundsArb, stepsArb, ([lower, upper], steps) => {
        const op = new IntervalJoinOperator(intervalOptions(lower, upper))
        for (const step of steps.slice(0, -1)) {
          if (step.kind === 'watermark') op.advanceWatermark(step.watermark)
          else if (step.kind === 'left') op.processLeft(batchOf(step.records))
          else op.processRight(batchOf(step.records))
          const s = JSON.parse(new TextDecoder().decode(op.snapshot()))
          const wm = op.watermark
          for (const [, , ts] of s.left) expect(ts + upper).toBeGreaterThan(wm)
          for (const [, , ts] of s.right) expect(ts - lower).toBeGreaterThan(wm)
        }
      }),
      { numRuns: 150 },
    )
  })

  it('the random streams really produce pairs and late records', () => {
    // Guards the property test against vacuity.
    const sample = fc.sample(fc.tuple(boundsArb, stepsArb), { numRuns: 200, seed: 5 })
    let pairs = 0
    let late = 0
    for (const [[lower, upper], steps] of sample) {
      const ref = intervalJoinReference(lower, upper, steps)
      pairs += ref.outs.reduce((n, o) => n + o.results.length, 0)
      late += ref.late
    }
    expect(pairs).toBeGreaterThan(300)
    expect(late).toBeGreaterThan(200)
  })
})

describe('IntervalJoinOperator worked examples', () => {
  it("Flink's picture: between(−2, +1) joins each orange l with greens in [l − 2, l + 1], stamped max(l, r)", () => {
    // Hand-checked: left 0, 2, 3, 4 and right 0, 1, 6, 7 on one key.
    const op = new IntervalJoinOperator<number, number, string>({ lowerBoundMs: -2, upperBoundMs: 1, join: (l, r) => `${l}-${r}` })
    expect(op.processLeft(toBatch([0, 2, 3, 4].map((t) => ({ key: 'k', timestamp: t, value: t })))).results).toEqual([])
    expect(op.processRight(toBatch([0, 1, 6, 7].map((t) => ({ key: 'k', timestamp: t, value: t }))))).toEqual({
      results: [
        { key: 'k', timestamp: 0, value: '0-0' },
        { key: 'k', timestamp: 2, value: '2-0' },
        { key: 'k', timestamp: 1, value: '0-1' },
        { key: 'k', timestamp: 2, value: '2-1' },
        { key: 'k', timestamp: 3, value: '3-1' },
      ],
      late: [],
    })
  })

  it('drops and counts records at or behind the watermark and cleans buffers as the watermark passes', () => {
    // Pins lateness (ts <= W) and clean-up points (left: ts + upper <= W, right: ts − lower <= W).
    const op = new IntervalJoinOperator<string, string, string>({ lowerBoundMs: 0, upperBoundMs: 10, join: (l, r) => l + r })
    op.processLeft(toBatch([{ key: 'k', timestamp: 5, value: 'a' }]))
    op.processRight(toBatch([{ key: 'k', timestamp: 8, value: 'X' }]))
    expect(op.stats()).toMatchObject({ bufferedLeft: 1, bufferedRight: 1 })
    op.advanceWatermark(8) // right 8 − 0 <= 8: no future left can reach it
    expect(op.stats()).toMatchObject({ bufferedLeft: 1, bufferedRight: 0 })
    expect(op.processLeft(toBatch([{ key: 'k', timestamp: 8, value: 'late' }]))).toEqual({ results: [], late: [{ key: 'k', timestamp: 8, value: 'late' }] })
    expect(op.processRight(toBatch([{ key: 'k', timestamp: 15, value: 'Y' }])).results).toEqual([{ key: 'k', timestamp: 15, value: 'aY' }])
    op.advanceWatermark(15) // left 5 + 10 <= 15
    expect(op.stats()).toEqual({ watermark: 15, stateSize: 0, lateRecords: 1, bufferedLeft: 0, bufferedRight: 0 })
  })

  it('refuses bad bounds and a missing join function', () => {
    // Config errors name the option.
    const join = () => 0
    expect(() => new IntervalJoinOperator({ lowerBoundMs: 5, upperBoundMs: 1, join })).toThrow(/lowerBoundMs: must be <= upperBoundMs/)
    expect(() => new IntervalJoinOperator({ lowerBoundMs: NaN, upperBoundMs: 1, join })).toThrow(StreamConfigError)
    expect(() => new IntervalJoinOperator({ lowerBoundMs: 0, upperBoundMs: Infinity, join })).toThrow(/upperBoundMs/)
    expect(() => new IntervalJoinOperator({ lowerBoundMs: 0, upperBoundMs: 1, join: 'x' as never })).toThrow(/join: is required/)
  })
})

describe('join snapshots', () => {
  const bytes = (object: unknown) => new TextEncoder().encode(JSON.stringify(object))

  it('reject garbage, another operator, an unknown version and malformed content with clear errors', () => {
    // Every restore path refuses what it cannot read, before building anything.
    const wj = windowJoinOptions({ kind: 'tumbling', size: 10, offset: 0 }, 0)
    const ij = intervalOptions(0, 5)
    const good = JSON.parse(new TextDecoder().decode(new WindowJoinOperator(wj).snapshot()))
    expect(good).toMatchObject({ format: 'eddy/windowJoin', version: 1, watermark: '-Infinity' })
    expect(() => WindowJoinOperator.restore(wj, Uint8Array.of(0xff, 0xfe))).toThrow(/snapshot is not in eddy\/windowJoin format \(not UTF-8 JSON/)
    expect(() => WindowJoinOperator.restore(wj, bytes([1, 2]))).toThrow(/not a JSON object/)
    expect(() => WindowJoinOperator.restore(wj, new IntervalJoinOperator(ij).snapshot())).toThrow('snapshot has format "eddy/intervalJoin"; expected "eddy/windowJoin"')
    expect(() => WindowJoinOperator.restore(wj, bytes({ ...good, version: 2 }))).toThrow('eddy/windowJoin snapshot version 2 is not supported (this build reads version 1)')
    expect(() => WindowJoinOperator.restore(wj, bytes({ ...good, left: [[0, 'k', 'x', 'v']] }))).toThrow('snapshot is malformed: left[0][2] is "x"')
    expect(() => WindowJoinOperator.restore(wj, 'nope' as never)).toThrow(StreamInputError)
    const igood = JSON.parse(new TextDecoder().decode(new IntervalJoinOperator(ij).snapshot()))
    expect(() => IntervalJoinOperator.restore(ij, bytes({ ...igood, version: 0 }))).toThrow(/version 0 is not supported/)
    expect(() => IntervalJoinOperator.restore(ij, bytes({ ...igood, watermark: null }))).toThrow('snapshot is malformed: watermark is null')
    expect(() => IntervalJoinOperator.restore(intervalOptions(0, 6), new IntervalJoinOperator(ij).snapshot())).toThrow(/restore it with the same bounds/)
  })
})
