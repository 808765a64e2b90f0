// A job for rescaling tests: every kind of keyed state the runtime
// checkpoints — tumbling and sliding windows on the Wasm panes, session
// windows and a custom aggregate on the WindowOperator, a keyed process
// function with value and map state and event-time timers, a window join —
// over one deterministic source that can stop at a given record and wait
// there (so a checkpoint is taken at a known position, in any thread), into
// sinks that commit only with checkpoints. Variant 'v2' is a compatible
// change: a map before the keyBy and a filter after the tumbling window
// (which shift every node id), and new sinks.
import { agg, defineJob, windows, type AggregateFunction, type SinkSpec, type SourceSpec } from '../../../src/index.js'
import { transactionalSink } from './checkpointed.job.js'

export interface Reading {
  user: string
  n: number
  ts: number
  v: number
}

/** Record i: 23 users in turn, 10 ms apart, with a 1 s pause every 400 records (so sessions close). */
export function reading(i: number): Reading {
  return { user: `u${i % 23}`, n: i, ts: i * 10 + Math.floor(i / 400) * 1000, v: (i * 7919) % 1000 }
}

/** Reads records 0 … count − 1; at `pauseAt` it stops and returns empty batches ("nothing yet") until cancelled. */
function pausableSource(count: number, pauseAt: number, name = 'readings'): SourceSpec<Reading> {
  return {
    kind: 'test-pausable',
    name: `source(${name})`,
    runsIn: 'task',
    maxOutOfOrdernessMs: 0,
    batchSize: 100,
    timestamp: (r) => r.ts,
    splits: () => 1,
    open(_split, _splits, _context, from = 0) {
      let next = from
      return {
        async next(max) {
          if (next >= count) return null
          if (next >= pauseAt) {
            await new Promise((resolve) => setTimeout(resolve, 5))
            return { values: [], timestamps: [] }
          }
          const end = Math.min(count, pauseAt, next + max)
          const values: Reading[] = []
          for (let i = next; i < end; i++) values.push(reading(i))
          next = end
          return { values, timestamps: values.map((r) => r.ts), position: next }
        },
      }
    },
  }
}

/** A custom aggregate (not a built-in, so no Wasm panes): the spread of the values; its accumulator is plain data. */
export const spread: AggregateFunction<Reading, { lo: number; hi: number; count: number }, { spread: number; count: number }> = {
  createAccumulator: () => ({ lo: Number.MAX_VALUE, hi: -Number.MAX_VALUE, count: 0 }),
  add: (acc, r) => ({ lo: Math.min(acc.lo, r.v), hi: Math.max(acc.hi, r.v), count: acc.count + 1 }),
  merge: (a, b) => ({ lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi), count: a.count + b.count }),
  getResult: (acc) => ({ spread: acc.hi - acc.lo, count: acc.count }),
  portableAccumulator: true,
}

export const SINKS = ['tumbling', 'sliding', 'session', 'custom', 'sketches', 'combined', 'process', 'join', 'interval', 'table'] as const

export default defineJob<{ count: number; pauseAt: number; store: string; variant?: 'v1' | 'v2' }>({
  name: 'rescale',
  module: import.meta.url,
  build(env, params) {
    const v2 = params.variant === 'v2'
    const sink = (name: string) => transactionalSink(`${params.store}${v2 ? '-v2' : ''}-${name}`) as SinkSpec<any>
    let readings = env.source(pausableSource(params.count, params.pauseAt))
    if (v2) readings = readings.map((r) => ({ ...r }), 'copy')
    const byUser = readings.keyBy((r) => r.user)

    const tumbling = byUser.window(windows.tumbling({ size: 1000 })).aggregate({ n: agg.count(), sum: agg.sum((r: Reading) => r.v) })
    ;(v2 ? tumbling.filter((w) => w.result.n % 2 === 0, 'even') : tumbling).sink(sink('tumbling'))
    byUser.window(windows.sliding({ size: 2000, slide: 500 })).aggregate(agg.max((r: Reading) => r.v)).sink(sink('sliding'))
    byUser.window(windows.session({ gap: 300 })).aggregate({ n: agg.count(), top: agg.max((r: Reading) => r.v) }).sink(sink('session'))
    byUser.window(windows.tumbling({ size: 1500 })).aggregate(spread).sink(sink('custom'))
    // Sketch aggregates (Wasm sketches checkpointed as their own bytes) beside a built-in, as the IoT job's windows are; quantiles stay exact at this window size.
    byUser
      .window(windows.tumbling({ size: 2500 }))
      .aggregate({
        distinct: agg.approxDistinct((r: Reading) => r.v % 37),
        top: agg.topK(2, (r: Reading) => r.v % 5),
        median: agg.quantiles([0.5], (r: Reading) => r.v),
        recent: agg.decayingAvg(1000, (r: Reading) => ({ value: r.v, timestamp: r.ts })),
        n: agg.count(),
      })
      .sink(sink('sketches'))
    // A keyBy feeding only a window of a mergeable custom aggregate: records are pre-aggregated before the exchange.
    readings
      .keyBy((r) => r.user, 'byUserAlone')
      .window(windows.tumbling({ size: 700 }))
      .aggregate(spread)
      .sink(sink('combined'))

    // Per key and 500 ms bucket: how many records and their sum, emitted by an event-time timer at the bucket's end.
    byUser
      .process<{ user: string; bucket: number; count: number; sum: number; seen: number }>({
        processElement(r, ctx) {
          const bucket = Math.floor(r.ts / 500) * 500
          const counts = ctx.state.map<number, number>('counts')
          counts.set(bucket, (counts.get(bucket) ?? 0) + 1)
          const sums = ctx.state.map<number, number>('sums')
          sums.set(bucket, (sums.get(bucket) ?? 0) + r.v)
          const seen = ctx.state.value('seen', 0)
          seen.set(seen.get() + 1)
          ctx.timers.registerEventTime(bucket + 499)
        },
        onTimer(time: number, ctx) {
          const bucket = time - 499
          const counts = ctx.state.map<number, number>('counts')
          const sums = ctx.state.map<number, number>('sums')
          ctx.emit({ user: String(ctx.key), bucket, count: counts.get(bucket) ?? 0, sum: sums.get(bucket) ?? 0, seen: 0 })
          counts.delete(bucket)
          sums.delete(bucket)
        },
      })
      .uid('bucket-counts')
      .sink(sink('process'))

    const left = readings.filter((r) => r.n % 2 === 0, 'even').keyBy((r) => r.user)
    const right = readings.filter((r) => r.n % 3 === 0, 'threes').keyBy((r) => r.user)
    left
      .join(right)
      .window(windows.tumbling({ size: 1000 }))
      .apply((l: Reading, r: Reading, key) => ({ user: key, l: l.n, r: r.n }))
      .sink(sink('join'))
    left
      .intervalJoin(right)
      .between(-25, 25)
      .process((l: Reading, r: Reading, key) => ({ user: key, l: l.n, r: r.n }))
      .sink(sink('interval'))

    // A second source read as a table (latest "level" per user), joined as of each record's event time.
    const levels = env.table(pausableSource(params.count, params.pauseAt, 'levels'), (r: Reading) => r.user)
    byUser
      .filter((r) => r.n % 4 === 1, 'some')
      .keyBy((r) => r.user)
      .joinTable(levels, (r: Reading, level: Reading | undefined, key) => ({ user: key, n: r.n, level: level?.n ?? null }))
      .sink(sink('table'))
  },
})
