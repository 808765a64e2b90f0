// The soak's job: keyed event-time windows over the soak's readings, every
// result written twice — to a SQLite table through sinks.sqlite and to topic
// soak-windows through sinks.topic — both exactly once under the job's
// guarantee 'exactly-once' (two-phase commit with the checkpoints).
//
// Per sensor: tumbling 10 s windows and sliding 20 s windows every 10 s, each
// with count, sum, avg, min and max, as rows of one table keyed by
// (kind, sensor, window_start) and as JSON records keyed by sensor. One SQLite
// sink for both window kinds, so one transaction commits all the rows of a
// checkpoint (see child.ts, src/connect/sqlite-upsert.ts and
// src/stream/sinks/transactional-topic-writer.ts).
//
// `paceRecordsPerSecond` holds the job back (a sink that waits after each
// input batch, backpressure): the soak needs the job to be running, not
// finished, when it is killed.
import { agg, defineJob, sinks, sources, windows, type Key } from '../stream/index.js'
import { sqliteSink } from '../connect/sqlite-upsert.js'
import type { SinkSpec } from '../stream/sinks/spec.js'
import { INPUT_TOPIC, JITTER_MS, OUTPUT_TOPIC, type Reading } from './input.js'

export const TABLE = 'soak_windows'
export const TUMBLING_MS = 10_000
export const SLIDING_SIZE_MS = 20_000
export const SLIDING_SLIDE_MS = 10_000
/** Above the input's jitter: no reading is ever late. */
export const WATERMARK_BOUND_MS = JITTER_MS * 2
/** Records per source batch: small, so a kill can land anywhere and progress is smooth under the pace. */
export const SOURCE_BATCH = 16

export interface WindowRow {
  kind: 'tumbling' | 'sliding'
  sensor: string
  window_start: number
  window_end: number
  count: number
  sum: number
  avg: number
  min: number
  max: number
}

export const WINDOW_COLUMNS = {
  kind: 'TEXT',
  sensor: 'TEXT',
  window_start: 'INTEGER',
  window_end: 'INTEGER',
  count: 'INTEGER',
  sum: 'INTEGER',
  avg: 'REAL',
  min: 'INTEGER',
  max: 'INTEGER',
} as const
export const WINDOW_KEY = ['kind', 'sensor', 'window_start']

export interface SoakJobParams {
  /** The SQLite file of the results (and of the id of the checkpoint they belong to). */
  dbPath: string
  /** Input records per second at most (0: as fast as it goes). */
  paceRecordsPerSecond: number
  [key: string]: unknown
}

type Stats = { count: number; sum: number; avg: number; min: number; max: number }
type WindowOut = { key: Key; windowStart: number; windowEnd: number; result: Stats }

const rowOf = (kind: WindowRow['kind']) => (w: WindowOut): WindowRow => ({ kind, sensor: String(w.key), window_start: w.windowStart, window_end: w.windowEnd, ...w.result })

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const NOTHING = new Uint8Array(0)

/**
 * Holds the job back to `recordsPerSecond`: each batch's write settles after
 * the time the batch is worth. It outputs nothing, so its part in a two-phase
 * checkpoint is empty (an exactly-once job accepts only sinks that take part).
 */
function paceSink(recordsPerSecond: number): SinkSpec<Reading> {
  return {
    kind: 'pace',
    name: 'sink(pace)',
    runsIn: 'coordinator',
    open: () => {
      // The task keeps several writes in flight: chained, their waits add up instead of overlapping.
      let tail = Promise.resolve()
      return {
        write: (batch) => {
          if (recordsPerSecond > 0) return (tail = tail.then(() => sleep((batch.values.length / recordsPerSecond) * 1000)))
        },
        prepare: () => NOTHING,
        commit: () => {},
        recover: () => {},
      }
    },
  }
}

export default defineJob<SoakJobParams>({
  name: 'soak',
  module: import.meta.url,
  build(env, params) {
    const readings = env.source(
      sources.topic<Reading>(INPUT_TOPIC, { format: 'json', timestamp: (r) => r.ts, maxOutOfOrdernessMs: WATERMARK_BOUND_MS, bounded: true, batchSize: SOURCE_BATCH, name: 'source(topic soak-readings)' }),
    )
    const stats = () => ({ count: agg.count(), sum: agg.sum((r: Reading) => r.value), avg: agg.avg((r: Reading) => r.value), min: agg.min((r: Reading) => r.value), max: agg.max((r: Reading) => r.value) })
    const bySensor = () => readings.keyBy((r) => r.sensor, 'keyBy(sensor)')
    const tumbling = bySensor().window(windows.tumbling({ size: TUMBLING_MS })).aggregate(stats()).map(rowOf('tumbling'), 'map(tumbling row)')
    const sliding = bySensor().window(windows.sliding({ size: SLIDING_SIZE_MS, slide: SLIDING_SLIDE_MS })).aggregate(stats()).map(rowOf('sliding'), 'map(sliding row)')
    const results = tumbling.union(sliding)
    results.sink(sqliteSink<WindowRow>({ path: params.dbPath, table: TABLE, key: WINDOW_KEY, columns: WINDOW_COLUMNS }))
    results.sink(sinks.topic<WindowRow>(OUTPUT_TOPIC, { key: (r) => r.sensor }))

    // Always in the graph (a restored job must have the operators its checkpoint has state for), idle at pace 0.
    readings.sink(paceSink(params.paceRecordsPerSecond))
  },
})
