// The pieces under rescaling, on their own: the WindowOperator's snapshot
// (session windows, custom aggregates, count triggers) and selecting keys out
// of Wasm pane snapshots as bytes.
import { describe, expect, it } from 'vitest'
import { WindowOperator, type WindowOperatorOptions, type WindowResult } from '../../src/stream/window/operator.js'
import { PaneWindowAggregator, selectPaneSnapshot } from '../../src/stream/window/pane-aggregator.js'
import { count, max, sum, type AggregateFunction } from '../../src/stream/window/aggregate.js'
import { globalWindows, session, sliding, tumbling } from '../../src/stream/window/windows.js'
import { triggers } from '../../src/stream/window/triggers.js'
import type { Key } from '../../src/stream/dsl/graph.js'

interface Batch {
  keys: Key[]
  timestamps: Float64Array
  values: number[]
}

/** 40 batches of 50 records over 11 keys (numbers and strings), up to 600 ms out of order, with pauses that close sessions. */
const BATCHES: Batch[] = (() => {
  const out: Batch[] = []
  let x = 12345
  for (let b = 0; b < 40; b++) {
    const batch: Batch = { keys: [], timestamps: new Float64Array(50), values: [] }
    for (let i = 0; i < 50; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff
      const n = b * 50 + i
      batch.keys.push(n % 11 < 6 ? n % 11 : `k${n % 11}`)
      batch.timestamps[i] = n * 20 + Math.floor(n / 300) * 2_000 - (x % 600)
      batch.values.push(x % 1000)
    }
    out.push(batch)
  }
  return out
})()

interface Aggregator {
  processBatch(batch: { keys: ArrayLike<Key>; timestamps: Float64Array; values: ArrayLike<number> }): { results: WindowResult<unknown>[] }
  advanceWatermark(watermark: number): WindowResult<unknown>[]
}

/** Batch b with only the rows whose key `keep` accepts (what the task owning those keys receives). */
function pick(b: number, keep: (key: Key) => boolean): Batch {
  const batch = BATCHES[b]
  const rows = [...batch.keys.keys()].filter((r) => keep(batch.keys[r]))
  return { keys: rows.map((r) => batch.keys[r]), timestamps: Float64Array.from(rows, (r) => batch.timestamps[r]), values: rows.map((r) => batch.values[r]) }
}

/**
 * Feeds batches [from, to) (only the keys `keep` accepts), each followed by
 * the watermark 200 ms behind the largest timestamp of all records so far
 * (every task sees the same watermarks); returns every result.
 */
function feed(aggregator: Aggregator, from: number, to: number, keep: (key: Key) => boolean = () => true): unknown[] {
  const results: unknown[] = []
  let maxTs = -Infinity
  for (let b = 0; b < to; b++) {
    for (const t of BATCHES[b].timestamps) maxTs = Math.max(maxTs, t)
    if (b < from) continue
    results.push(...aggregator.processBatch(pick(b, keep)).results)
    results.push(...aggregator.advanceWatermark(maxTs - 200))
  }
  return results
}

const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()

/** A custom aggregate whose accumulator is plain data: the values seen, in order (so a lost or reordered value shows). */
const sequence: AggregateFunction<number, number[], string> = {
  createAccumulator: () => [],
  add: (acc, v) => [...acc, v],
  merge: (a, b) => [...a, ...b],
  getResult: (acc) => acc.join(','),
  portableAccumulator: true,
}

describe('WindowOperator snapshots', () => {
  const cases: Record<string, () => WindowOperatorOptions<number, any, unknown>> = {
    'session windows, custom aggregate, allowed lateness': () => ({ assigner: session({ gap: 150 }), aggregate: sequence, allowedLatenessMs: 100 }),
    'session windows, max': () => ({ assigner: session({ gap: 150 }), aggregate: max() }),
    'sliding windows, custom aggregate': () => ({ assigner: sliding({ size: 400, slide: 100 }), aggregate: sequence, allowedLatenessMs: 50 }),
    'global windows with a count trigger': () => ({ assigner: globalWindows(), aggregate: sum(), trigger: triggers.count(7) }),
    'tumbling windows, count': () => ({ assigner: tumbling({ size: 300 }), aggregate: count() }),
  }
  for (const [name, options] of Object.entries(cases)) {
    it(`${name}: snapshot mid-stream and restore gives the uninterrupted results`, () => {
      const uninterrupted = new WindowOperator(options())
      const expected = [...feed(uninterrupted, 0, 40), ...uninterrupted.advanceWatermark(Infinity)]
      const first = new WindowOperator(options())
      const before = feed(first, 0, 17)
      const bytes = first.snapshot()
      expect(bytes).toBeInstanceOf(Uint8Array)
      const restored = WindowOperator.restore(options(), bytes!)
      const after = [...feed(restored, 17, 40), ...restored.advanceWatermark(Infinity)]
      expect(before.length).toBeGreaterThan(0)
      expect(after.length).toBeGreaterThan(0)
      expect(sorted([...before, ...after])).toEqual(sorted(expected))
      expect(restored.stats()).toEqual(uninterrupted.stats())
    })
  }

  it('has no snapshot when a custom accumulator is not declared plain data', () => {
    const op = new WindowOperator({ assigner: session({ gap: 150 }), aggregate: { ...sequence, portableAccumulator: undefined } })
    feed(op, 0, 3)
    expect(op.snapshot()).toBeUndefined()
  })

  it('refuses a snapshot of other windows, naming both', () => {
    const op = new WindowOperator({ assigner: session({ gap: 150 }), aggregate: max() })
    feed(op, 0, 3)
    expect(() => WindowOperator.restore({ assigner: tumbling({ size: 300 }), aggregate: max() }, op.snapshot()!)).toThrow(/taken with session windows, these options have tumbling windows/)
  })
})

describe('selecting keys out of pane snapshots', () => {
  const options = { assigner: tumbling({ size: 200 }), aggregate: sum(), allowedLatenessMs: 0 }
  const isEven = (key: Key) => (typeof key === 'number' ? key % 2 === 0 : key.length % 2 === 0)

  it("new tasks take their keys out of two old tasks' snapshots: together they give the uninterrupted results, late records counted once", () => {
    const uninterrupted = new PaneWindowAggregator<number>(options)
    const expected = [...feed(uninterrupted, 0, 40), ...uninterrupted.advanceWatermark(Infinity)]
    // Two old tasks: one holds the even keys, the other the odd ones.
    const oldEven = new PaneWindowAggregator<number>(options)
    const oldOdd = new PaneWindowAggregator<number>(options)
    const before = [...feed(oldEven, 0, 20, isEven), ...feed(oldOdd, 0, 20, (k) => !isEven(k))]
    const snapshots = [oldEven.snapshot(), oldOdd.snapshot()]
    // Three new tasks, split by another rule, each selecting out of both old snapshots.
    const part = (key: Key) => (typeof key === 'number' ? key : key.charCodeAt(1)) % 3
    const after: unknown[] = []
    let late = 0
    for (let task = 0; task < 3; task++) {
      const keep = (key: Key) => part(key) === task
      const restored = PaneWindowAggregator.restore<number>(options, selectPaneSnapshot(snapshots, keep, [task === 0, task === 1]))
      after.push(...feed(restored, 20, 40, keep), ...restored.advanceWatermark(Infinity))
      late += restored.stats().lateRecords
    }
    expect(before.length).toBeGreaterThan(0)
    expect(after.length).toBeGreaterThan(0)
    expect(sorted([...before, ...after])).toEqual(sorted(expected))
    expect(late).toBe(uninterrupted.stats().lateRecords)
    expect(late).toBeGreaterThan(0)
  })

  it('refuses snapshots of different windows, and bytes that are not a pane snapshot', () => {
    const one = new PaneWindowAggregator<number>(options)
    const other = new PaneWindowAggregator<number>({ ...options, assigner: tumbling({ size: 600 }) })
    expect(() => selectPaneSnapshot([one.snapshot(), other.snapshot()], () => true, [true, false])).toThrow(/snapshot 1 describes other windows or another aggregate than snapshot 0/)
    expect(() => selectPaneSnapshot([new Uint8Array(80).fill(0x7b)], () => true, [true])).toThrow(/not a pane aggregator snapshot/)
  })
})
