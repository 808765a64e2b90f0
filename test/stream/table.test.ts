// Proves Table's upsert/tombstone/changelog semantics against a Map model and
// on worked examples; proves the stream-table join (current-table and
// temporal) agrees exactly with a brute-force reference on random late-laden
// streams, with snapshot/restore at a random point; and proves the temporal
// join's output does not depend on how its inputs are batched, interleaved or
// watermarked when nothing is late.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { StreamConfigError, StreamInputError } from '../../src/stream/errors.js'
import { StreamTableJoinOperator, Table, type ChangelogEntry, type StreamTableJoinOptions } from '../../src/stream/operators/table.js'
import { toBatch, type Key } from '../../src/stream/operators/types.js'
import { streamTableReference, tableJoin, type JRec, type JStep, type StepOut, type TRec } from './join-reference.js'

type TStep = { kind: 'stream'; records: JRec[] } | { kind: 'table'; records: TRec[] } | { kind: 'watermark'; watermark: number }

const keyArb = fc.constantFrom<Key>('a', 'b', 1)
const tsArb = fc.integer({ min: -20, max: 120 })

const tableBatch = (records: Array<{ key: Key; ts: number; value: string | null | undefined }>) =>
  toBatch(records.map((r) => ({ key: r.key, timestamp: r.ts, value: r.value })))

describe('Table', () => {
  it('upserts, tombstones and the changelog: one entry per change, with the previous value', () => {
    // Pins the changelog on a hand-run sequence (null and undefined both delete; no-op records produce nothing).
    const table = new Table<string>()
    expect(
      table.upsert(
        tableBatch([
          { key: 'a', ts: 1, value: 'A1' },
          { key: 1, ts: 2, value: 'N1' },
          { key: 'a', ts: 3, value: 'A2' },
          { key: 'b', ts: 4, value: null }, // absent: no change
          { key: 'a', ts: 5, value: 'A2' }, // same value: no change
          { key: 1, ts: 6, value: undefined },
          { key: '1', ts: 7, value: 'S1' }, // '1' is not 1
        ]),
      ),
    ).toEqual([
      { key: 'a', timestamp: 1, value: 'A1', previous: undefined },
      { key: 1, timestamp: 2, value: 'N1', previous: undefined },
      { key: 'a', timestamp: 3, value: 'A2', previous: 'A1' },
      { key: 1, timestamp: 6, value: undefined, previous: 'N1' },
      { key: '1', timestamp: 7, value: 'S1', previous: undefined },
    ])
    expect(table.size).toBe(2)
    expect(table.get('a')).toBe('A2')
    expect(table.timestampOf('a')).toBe(5)
    expect(table.has(1)).toBe(false)
    expect(table.get(1)).toBeUndefined()
    expect([...table]).toEqual([
      ['a', 'A2'],
      ['1', 'S1'],
    ])
    expect([...table.keys()]).toEqual(['a', '1'])
    expect([...table.values()]).toEqual(['A2', 'S1'])
    expect(table.stats()).toEqual({ watermark: -Infinity, stateSize: 2, lateRecords: 0, changes: 5 })
  })

  it('a custom equals decides what counts as a change', () => {
    // Objects compared by a field: an equal upsert is not a change.
    const table = new Table<{ v: number; note: string }>({ equals: (a, b) => a.v === b.v })
    table.upsert(toBatch([{ key: 'k', timestamp: 1, value: { v: 1, note: 'x' } }]))
    expect(table.upsert(toBatch([{ key: 'k', timestamp: 2, value: { v: 1, note: 'y' } }]))).toEqual([])
    expect(table.upsert(toBatch([{ key: 'k', timestamp: 3, value: { v: 2, note: 'z' } }]))).toHaveLength(1)
    expect(() => new Table({ equals: 5 as never })).toThrow(StreamConfigError)
  })

  it('agrees with a Map model on random upserts and tombstones, and survives snapshot/restore', () => {
    // The changelog is exactly the sequence of real changes; the final contents match the model.
    const recArb = fc.record({ key: keyArb, ts: tsArb, value: fc.option(fc.constantFrom('x', 'y', 'z'), { nil: null }) })
    fc.assert(
      fc.property(fc.array(fc.array(recArb, { maxLength: 10 }), { maxLength: 10 }), fc.nat(), (batches, at) => {
        let table = new Table<string>()
        const model = new Map<Key, string>()
        batches.forEach((records, i) => {
          if (i === at % (batches.length + 1)) table = Table.restore(undefined, table.snapshot())
          const expected: ChangelogEntry<string>[] = []
          for (const r of records) {
            const previous = model.get(r.key)
            if (r.value === null) {
              if (previous === undefined) continue
              model.delete(r.key)
              expected.push({ key: r.key, timestamp: r.ts, value: undefined, previous })
            } else if (previous !== r.value) {
              model.set(r.key, r.value)
              expected.push({ key: r.key, timestamp: r.ts, value: r.value, previous })
            }
          }
          expect(table.upsert(tableBatch(records))).toEqual(expected)
        })
        expect(new Map(table)).toEqual(model)
        expect(table.size).toBe(model.size)
      }),
      { numRuns: 200 },
    )
  })

  it('validates a whole batch before applying any of it', () => {
    // A bad timestamp at index 1 leaves the table empty.
    const table = new Table<string>()
    expect(() => table.upsert({ keys: ['a', 'b'], timestamps: [1, Number.NaN], values: ['x', 'y'] })).toThrow('table batch.timestamps[1] is NaN')
    expect(() => table.upsert({ keys: ['a', null], timestamps: [1, 2], values: ['x', 'y'] } as never)).toThrow('table batch.keys[1] is null')
    expect(table.size).toBe(0)
  })

  it('restores exactly (rows, timestamps, insertion order) and rejects bad snapshots', () => {
    // Round trip, then the error paths.
    const table = new Table<{ n: number }>()
    table.upsert(toBatch([{ key: 2, timestamp: 5, value: { n: 2 } }, { key: 'a', timestamp: 6, value: { n: 1 } }]))
    table.advanceWatermark(10)
    const copy = Table.restore<{ n: number }>(undefined, table.snapshot())
    expect([...copy]).toEqual([...table])
    expect(copy.timestampOf(2)).toBe(5)
    expect(copy.stats()).toEqual(table.stats())
    const json = JSON.parse(new TextDecoder().decode(table.snapshot()))
    expect(json).toEqual({ format: 'eddy/table', version: 1, watermark: 10, changes: 2, rows: [[2, 5, { n: 2 }], ['a', 6, { n: 1 }]] })
    const bytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o))
    expect(() => Table.restore(undefined, bytes({ ...json, version: 7 }))).toThrow('eddy/table snapshot version 7 is not supported (this build reads version 1)')
    expect(() => Table.restore(undefined, bytes({ ...json, rows: [[2, 5, null]] }))).toThrow('snapshot is malformed: rows[0][2] is null')
    expect(() => Table.restore(undefined, new Uint8Array([1, 2, 3]))).toThrow(StreamInputError)
  })
})

/** Random stream and table batches (values S0, T1, …; a quarter of table values are tombstones) with random watermarks, ending at +∞. */
const stepsArb: fc.Arbitrary<TStep[]> = fc
  .array(
    fc.tuple(
      fc.constantFrom<'stream' | 'table'>('stream', 'table'),
      fc.array(fc.record({ key: keyArb, ts: tsArb, tomb: fc.integer({ min: 0, max: 3 }) }), { maxLength: 8 }),
      fc.option(fc.integer({ min: -5, max: 25 }), { nil: undefined }),
    ),
    { maxLength: 24 },
  )
  .map((parts) => {
    const steps: TStep[] = []
    let wm = -25
    let n = 0
    for (const [kind, records, advance] of parts) {
      if (kind === 'stream') steps.push({ kind, records: records.map((r) => ({ key: r.key, ts: r.ts, value: `S${n++}` })) })
      else steps.push({ kind, records: records.map((r) => ({ key: r.key, ts: r.ts, value: r.tomb === 0 ? null : `T${n++}` })) })
      if (advance !== undefined) {
        wm += advance
        steps.push({ kind: 'watermark', watermark: wm })
      }
    }
    steps.push({ kind: 'watermark', watermark: Infinity })
    return steps
  })

function joinOptions(mode: 'inner' | 'left', temporal: boolean): StreamTableJoinOptions<string, string, string> {
  return { mode, temporal, join: (s, t, key) => tableJoin(s, t, key) }
}

/** Runs the operator over the steps (snapshot/restore before step `restoreAt`); one StepOut per step (table steps: no output). */
function runStreamTable(options: StreamTableJoinOptions<string, string, string>, steps: TStep[], restoreAt = -1) {
  let op = new StreamTableJoinOperator(options)
  const outs: StepOut[] = []
  steps.forEach((step, i) => {
    if (i === restoreAt) op = StreamTableJoinOperator.restore(options, op.snapshot())
    if (step.kind === 'watermark') outs.push({ results: op.advanceWatermark(step.watermark), late: [] })
    else if (step.kind === 'stream') outs.push(op.processStream(toBatch(step.records.map((r) => ({ key: r.key, timestamp: r.ts, value: r.value })))))
    else {
      op.processTable(tableBatch(step.records))
      outs.push({ results: [], late: [] })
    }
  })
  return { outs, op }
}

describe('StreamTableJoinOperator against the brute-force reference', () => {
  for (const temporal of [false, true]) {
    for (const mode of ['inner', 'left'] as const) {
      it(`${temporal ? 'temporal' : 'current-table'} ${mode} join: same results in the documented order and same late side output, across a snapshot/restore`, () => {
        // Random late-laden streams; the table side includes tombstones and out-of-order updates.
        fc.assert(
          fc.property(stepsArb, fc.nat(), (steps, at) => {
            const expected = streamTableReference(mode, temporal, steps as JStep[])
            const options = joinOptions(mode, temporal)
            const plain = runStreamTable(options, steps)
            const restored = runStreamTable(options, steps, at % (steps.length + 1))
            expect(plain.outs).toEqual(expected.outs)
            expect(restored.outs).toEqual(expected.outs)
            expect(new Map(plain.op.table)).toEqual(expected.current)
            expect(new Map(restored.op.table)).toEqual(expected.current)
            const stats = plain.op.stats()
            expect(stats).toMatchObject({ watermark: Infinity, lateRecords: expected.late, pendingStream: 0, tableSize: expected.current.size })
            // At end of input at most one version (the latest, not a tombstone) is kept per key.
            expect(stats.versions).toBeLessThanOrEqual(temporal ? 3 : 0)
            expect(restored.op.stats()).toEqual(stats)
          }),
          { numRuns: 200 },
        )
      })
    }
  }

  it('the random streams exercise late stream records, late table updates, tombstones and misses', () => {
    // Guards the property tests against vacuity.
    const sample = fc.sample(stepsArb, { numRuns: 200, seed: 3 })
    let late = 0
    let lateTable = 0
    let hits = 0
    let misses = 0
    for (const steps of sample) {
      const ref = streamTableReference('left', true, steps as JStep[])
      late += ref.late
      for (const out of ref.outs) for (const r of out.results) (r.value.includes('*-@') ? misses++ : hits++)
      lateTable += runStreamTable(joinOptions('left', true), steps).op.stats().lateTableUpdates
    }
    expect(late).toBeGreaterThan(100)
    expect(lateTable).toBeGreaterThan(100)
    expect(hits).toBeGreaterThan(300)
    expect(misses).toBeGreaterThan(300)
  })

  it('temporal join: the output does not depend on batching, interleaving or watermark timing when nothing is late', () => {
    // Two random merges of the same stream and table inputs (each input's own order kept), cut into random
    // batches, with watermarks only ever below every record still to come, give identical output.
    const inputArb = fc.record({
      stream: fc.array(fc.record({ key: keyArb, ts: tsArb }), { maxLength: 30 }),
      table: fc.array(fc.record({ key: keyArb, ts: tsArb, tomb: fc.integer({ min: 0, max: 3 }) }), { maxLength: 30 }),
    })
    const scheduleArb = fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 6 }), fc.boolean(), fc.integer({ min: 0, max: 10 })), { minLength: 1, maxLength: 40 })
    fc.assert(
      fc.property(inputArb, scheduleArb, scheduleArb, fc.constantFrom<'inner' | 'left'>('inner', 'left'), (input, first, second, mode) => {
        const stream: JRec[] = input.stream.map((r, i) => ({ key: r.key, ts: r.ts, value: `S${i}` }))
        const table: TRec[] = input.table.map((r, i) => ({ key: r.key, ts: r.ts, value: r.tomb === 0 ? null : `T${i}` }))
        const run = (schedule: typeof first) => {
          const steps: TStep[] = []
          let s = 0
          let t = 0
          let wm = -Infinity
          for (let i = 0; s < stream.length || t < table.length; i++) {
            const [pickStream, size, advance, slack] = schedule[i % schedule.length]
            if ((pickStream && s < stream.length) || t >= table.length) {
              steps.push({ kind: 'stream', records: stream.slice(s, s + size) })
              s += size
            } else {
              steps.push({ kind: 'table', records: table.slice(t, t + size) })
              t += size
            }
            const remaining = [...stream.slice(s), ...table.slice(t)].map((r) => r.ts)
            const safe = (remaining.length === 0 ? 200 : Math.min(...remaining)) - 1 - slack
            if (advance && safe > wm) steps.push({ kind: 'watermark', watermark: (wm = safe) })
          }
          steps.push({ kind: 'watermark', watermark: Infinity })
          const { outs, op } = runStreamTable(joinOptions(mode, true), steps)
          expect(op.stats()).toMatchObject({ lateRecords: 0, lateTableUpdates: 0 })
          return outs.flatMap((o) => o.results)
        }
        expect(run(second)).toEqual(run(first))
      }),
      { numRuns: 300 },
    )
  })
})

describe('StreamTableJoinOperator worked examples', () => {
  it('current-table join: a stream record sees the table as it is when it arrives; later table updates do not re-trigger it', () => {
    // Kafka Streams' stream-table semantics, inner and left.
    const inner = new StreamTableJoinOperator<number, string, string>({ mode: 'inner', join: (s, t) => `${s}:${t}` })
    const left = new StreamTableJoinOperator<number, string, string>({ mode: 'left', join: (s, t) => `${s}:${t ?? 'none'}` })
    for (const op of [inner, left]) {
      op.processTable(toBatch([{ key: 'u1', timestamp: 100, value: 'Alice' }]))
      op.processTable(toBatch([{ key: 'u2', timestamp: 100, value: 'Bob' }, { key: 'u2', timestamp: 101, value: null }]))
    }
    const clicks = toBatch([{ key: 'u1', timestamp: 50, value: 1 }, { key: 'u2', timestamp: 200, value: 2 }])
    expect(inner.processStream(clicks)).toEqual({ results: [{ key: 'u1', timestamp: 50, value: '1:Alice' }], late: [] })
    expect(left.processStream(clicks).results).toEqual([
      { key: 'u1', timestamp: 50, value: '1:Alice' },
      { key: 'u2', timestamp: 200, value: '2:none' },
    ])
    expect(left.processTable(toBatch([{ key: 'u2', timestamp: 300, value: 'Bob again' }]))).toEqual([
      { key: 'u2', timestamp: 300, value: 'Bob again', previous: undefined },
    ])
    expect(left.advanceWatermark(Infinity)).toEqual([])
    expect(left.table.get('u2')).toBe('Bob again')
  })

  it('temporal join: each stream record meets the table version as of its own timestamp, once the watermark passes it', () => {
    // Currency rates: the order at 15 gets the rate set at 10, not the one set at 20 that arrived first.
    const op = new StreamTableJoinOperator<number, number, number>({ temporal: true, mode: 'left', join: (amount, rate) => amount * (rate ?? Number.NaN) })
    op.processTable(toBatch([{ key: 'EUR', timestamp: 20, value: 3 }, { key: 'EUR', timestamp: 10, value: 2 }]))
    expect(op.processStream(toBatch([{ key: 'EUR', timestamp: 25, value: 1 }, { key: 'EUR', timestamp: 15, value: 100 }, { key: 'EUR', timestamp: 5, value: 7 }]))).toEqual({ results: [], late: [] })
    expect(op.table.get('EUR')).toBe(2) // the current table follows arrival order
    expect(op.advanceWatermark(19)).toEqual([
      { key: 'EUR', timestamp: 5, value: Number.NaN },
      { key: 'EUR', timestamp: 15, value: 200 },
    ])
    expect(op.stats()).toMatchObject({ pendingStream: 1, versions: 2 })
    op.processTable(toBatch([{ key: 'EUR', timestamp: 18, value: 99 }])) // behind the watermark: not used
    op.processTable(toBatch([{ key: 'EUR', timestamp: 25, value: 4 }])) // same timestamp as the order: used
    expect(op.advanceWatermark(30)).toEqual([{ key: 'EUR', timestamp: 25, value: 4 }])
    expect(op.processStream(toBatch([{ key: 'EUR', timestamp: 30, value: 1 }]))).toEqual({ results: [], late: [{ key: 'EUR', timestamp: 30, value: 1 }] })
    expect(op.stats()).toEqual({ watermark: 30, stateSize: 2, lateRecords: 1, lateTableUpdates: 1, tableSize: 1, versions: 1, pendingStream: 0 })
  })

  it('temporal join: a tombstone ends the match, and purged versions keep state bounded', () => {
    // Versions older than the latest one at or before the watermark are dropped; a deleted key keeps none.
    const op = new StreamTableJoinOperator<string, string, string>({ temporal: true, join: (s, t) => s + t })
    for (let t = 0; t < 100; t++) op.processTable(toBatch([{ key: 'k', timestamp: t, value: `v${t}` }]))
    op.processTable(toBatch([{ key: 'k', timestamp: 100, value: null }]))
    op.processStream(toBatch([{ key: 'k', timestamp: 99, value: 'a' }, { key: 'k', timestamp: 100, value: 'b' }]))
    expect(op.stats().versions).toBe(101)
    expect(op.advanceWatermark(99)).toEqual([{ key: 'k', timestamp: 99, value: 'av99' }])
    expect(op.stats().versions).toBe(2)
    expect(op.advanceWatermark(100)).toEqual([])
    expect(op.stats()).toMatchObject({ versions: 0, tableSize: 0, stateSize: 0 })
  })

  it('refuses bad options and snapshots of the other mode', () => {
    // Config errors name the option; restore checks the temporal flag and the version.
    const join = (s: string) => s
    expect(() => new StreamTableJoinOperator({ join: undefined as never })).toThrow(/join: is required/)
    expect(() => new StreamTableJoinOperator({ join, mode: 'outer' as never })).toThrow(/mode: must be 'inner' or 'left'/)
    const snap = new StreamTableJoinOperator({ join, temporal: true }).snapshot()
    expect(() => StreamTableJoinOperator.restore({ join }, snap)).toThrow(/temporal: the snapshot was taken with temporal: true/)
    const json = JSON.parse(new TextDecoder().decode(snap))
    expect(() => StreamTableJoinOperator.restore({ join, temporal: true }, new TextEncoder().encode(JSON.stringify({ ...json, version: 2 })))).toThrow(
      'eddy/streamTableJoin snapshot version 2 is not supported (this build reads version 1)',
    )
    expect(() => StreamTableJoinOperator.restore({ join, temporal: true }, new Table().snapshot())).toThrow('snapshot has format "eddy/table"; expected "eddy/streamTableJoin"')
  })
})
