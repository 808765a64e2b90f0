// The IoT job behind `npm start`. It reads sensor readings
// `{ sensorId, ts, value, unit }` from topic `sensors` in event time (`ts`)
// and computes:
//
// - per sensor, one-minute tumbling windows with avg, min, max and count →
//   table sensor_minute of a SQLite file, committed with each checkpoint
//   (exactly once, see sqlite-sink.ts), and the dashboard's averages chart;
// - alerts, from a keyed process function holding each sensor's decaying
//   statistics: a reading out of range, a reading far from the sensor's
//   exponentially decaying mean (|z| above a threshold), a sensor silent for
//   minutes (an event-time timer) → topic `alerts` and the dashboard;
// - distinct sensors per minute (HyperLogLog, agg.approxDistinct) and the
//   noisiest sensors per minute (heavy hitters, agg.topK over the readings
//   that strayed from their sensor's mean) → the dashboard.
//
// Run it inline (the dashboard callback in params is a function).
import { agg, defineJob, sinks, sources, windows, type KeyedProcessFunction, type Key } from '../stream/index.js'
import { sensorMinuteRow, sensorMinuteSink } from './sqlite-sink.js'
import type { Reading } from './simulator.js'

export type { Reading } from './simulator.js'

/** Readings outside this range (°C) are faulty. */
export const RANGE_MIN = -10
export const RANGE_MAX = 45
/** |z| above this is an anomaly. */
export const Z_THRESHOLD = 5
/** Weight of a new reading in the decaying mean and variance (half-life ≈ 13.5 readings; the first readings weigh 1/n, a plain average). */
export const DECAY_ALPHA = 0.05
/** Readings a sensor's statistics need before z-scores count. */
export const WARMUP_READINGS = 20
/** The smallest standard deviation z-scores divide by (°C), so a very steady sensor does not alert on 0.1 °C. */
export const MIN_STDDEV = 0.25
/** A reading this far (°C) from its sensor's mean counts as noisy (the top-k ranks sensors by these). */
export const NOISE_BAND = 1.5
/** A sensor with no reading for this long (event time) is reported silent. */
export const SILENCE_MS = 2 * 60_000
/** Window size: one event-time minute. */
export const WINDOW_MS = 60_000
/** Default bound on out-of-order readings (the simulator's on-time readings are at most 3 s behind). */
export const MAX_OUT_OF_ORDERNESS_MS = 5000
/** Default idle timeout of a `sensors` partition (processing time). */
export const IDLE_TIMEOUT_MS = 5000
/** Noisiest sensors reported per minute. */
export const TOP_K = 5

export interface Alert {
  sensorId: string
  /** Event time of the reading (for a silent sensor: when it was found silent). */
  timestamp: number
  /** The reading (for a silent sensor: its last one). */
  value: number
  kind: 'range' | 'anomaly' | 'silent'
  reason: string
  /** The z-score, for anomalies. */
  z?: number
}

export interface IotJobParams {
  /** SQLite file for the sensor_minute rows; without it, no SQLite sink. */
  dbPath?: string
  /** Rows of sensor_minute no checkpoint committed when the job ends: 'write' them (default) or 'discard' them (a job that always resumes from its checkpoints). */
  atClose?: 'write' | 'discard'
  /** Called after each commit of sensor_minute rows. */
  onCommit?: (commit: { checkpointId: number; rows: number }) => void
  /** Read `sensors` only up to where it ends when the job starts (tests, replays). */
  bounded?: boolean
  /** Topic of readings (default 'sensors'). */
  sensorsTopic?: string
  /** Topic for alerts (default 'alerts'; '' for none). */
  alertsTopic?: string
  /** Default 5000. */
  maxOutOfOrdernessMs?: number
  /** A `sensors` partition with no reading for this long (ms of processing time) stops holding event time back (default 5000; 0: never). */
  idleTimeoutMs?: number
  /** Records per source batch (default 1024; 1 makes event time advance record by record, for tests). */
  batchSize?: number
  /** The dashboard: channels iot.averages, iot.alerts, iot.distinct, iot.topk (see docs/dashboard.md). */
  publish?: (channel: string, data: unknown) => void
  /** Also collect rows, alerts, distinct counts and the top-k in the job result (tests). */
  collect?: boolean
  [key: string]: unknown
}

/** Per-sensor state of the alert function. */
interface SensorStats {
  /** Readings folded into mean/variance since the last reset. */
  n: number
  mean: number
  variance: number
  /** Largest event time seen, and the reading at it. */
  last: number
  lastValue: number
  /** The pending silence timer, if any. */
  timer: number | null
  silent: boolean
}

const formatC = (v: number) => `${Number(v.toFixed(1))} °C`

export function isReading(r: unknown): r is Reading {
  const x = r as Partial<Reading> | null
  return typeof x === 'object' && x !== null && typeof x.sensorId === 'string' && x.sensorId !== '' && typeof x.value === 'number' && Number.isFinite(x.value) && typeof x.ts === 'number' && Number.isFinite(x.ts)
}

/**
 * Alerts per sensor. The statistics are an exponentially decaying mean and
 * variance (EWMA with weight DECAY_ALPHA). A reading out of range is an alert
 * and is left out of them; a reading with |z| > Z_THRESHOLD is an anomaly and
 * enters them clipped to 3 standard deviations, so one spike neither inflates
 * the variance nor hides the next. After a silence the statistics restart.
 * Readings off the mean by more than NOISE_BAND go to side output 'noisy'.
 */
export const alertFunction: KeyedProcessFunction<Key, Reading, Alert> = {
  processElement(r, ctx) {
    const state = ctx.state.value<SensorStats>('stats')
    const s: SensorStats = state.get() ?? { n: 0, mean: 0, variance: 0, last: -Infinity, lastValue: r.value, timer: null, silent: false }
    if (r.ts - s.last > SILENCE_MS) {
      // Back from a silence (or new): the old level no longer applies.
      s.n = 0
      s.mean = 0
      s.variance = 0
    }
    if (r.ts >= s.last) {
      s.last = r.ts
      s.lastValue = r.value
    }
    s.silent = false
    if (s.timer === null) {
      s.timer = s.last + SILENCE_MS
      ctx.timers.registerEventTime(s.timer)
    }

    if (r.value < RANGE_MIN || r.value > RANGE_MAX) {
      const reason = r.value > RANGE_MAX ? `out of range: ${formatC(r.value)} above ${formatC(RANGE_MAX)}` : `out of range: ${formatC(r.value)} below ${formatC(RANGE_MIN)}`
      ctx.emit({ sensorId: r.sensorId, timestamp: r.ts, value: r.value, kind: 'range', reason })
      state.set(s)
      return
    }
    let update = r.value
    if (s.n >= WARMUP_READINGS) {
      const sd = Math.max(MIN_STDDEV, Math.sqrt(s.variance))
      const deviation = r.value - s.mean
      const z = deviation / sd
      if (Math.abs(z) > Z_THRESHOLD) {
        ctx.emit({ sensorId: r.sensorId, timestamp: r.ts, value: r.value, kind: 'anomaly', z: Math.round(z * 10) / 10, reason: `anomaly: z = ${z.toFixed(1)} (mean ${formatC(s.mean)}, σ ${sd.toFixed(2)})` })
        update = s.mean + Math.sign(deviation) * 3 * sd
      }
      if (Math.abs(deviation) > NOISE_BAND) ctx.output('noisy', { sensorId: r.sensorId })
    }
    // Weight 1/n while n is small (Welford's mean and variance), then DECAY_ALPHA.
    s.n++
    const alpha = Math.max(DECAY_ALPHA, 1 / s.n)
    const d = update - s.mean
    s.mean += alpha * d
    s.variance = (1 - alpha) * (s.variance + alpha * d * d)
    state.set(s)
  },
  onTimer(time, ctx) {
    // Input ended or the job was cancelled: the watermark jumped to the end; nobody fell silent.
    if (ctx.watermark === Infinity) return
    const state = ctx.state.value<SensorStats>('stats')
    const s = state.get()
    if (s === undefined) return
    s.timer = null
    if (s.last + SILENCE_MS <= time) {
      if (!s.silent) ctx.emit({ sensorId: String(ctx.key), timestamp: time, value: s.lastValue, kind: 'silent', reason: `silent: no reading for ${Math.round((time - s.last) / 60_000)} min` })
      s.silent = true
    } else {
      s.timer = s.last + SILENCE_MS
      ctx.timers.registerEventTime(s.timer)
    }
    state.set(s)
  },
}

type WindowOut<R> = { key: Key; windowStart: number; windowEnd: number; result: R }

export default defineJob<IotJobParams>({
  name: 'iot',
  module: import.meta.url,
  build(env, params) {
    const publish = params.publish
    const readings = env
      .source(
        sources.topic<Reading>(params.sensorsTopic ?? 'sensors', {
          format: 'json',
          // A record that is not a reading (say, typed into kcat) gets time 0, which moves no watermark, and is filtered out below.
          timestamp: (r) => (typeof r?.ts === 'number' && Number.isFinite(r.ts) ? r.ts : 0),
          maxOutOfOrdernessMs: params.maxOutOfOrdernessMs ?? MAX_OUT_OF_ORDERNESS_MS,
          bounded: params.bounded === true,
          batchSize: params.batchSize,
          // A partition no sensor writes to (or whose sensors are all silent) must not stop the windows.
          ...(params.idleTimeoutMs === 0 ? {} : { idleTimeoutMs: params.idleTimeoutMs ?? IDLE_TIMEOUT_MS }),
          onDecodeError: 'skip',
          name: 'source(topic sensors)',
        }),
      )
      .filter(isReading, 'filter(valid readings)')

    // Per sensor and minute: avg, min, max, count.
    const minutes = readings
      .keyBy((r) => r.sensorId, 'keyBy(sensorId)')
      .window(windows.tumbling({ size: WINDOW_MS }))
      .aggregate({ avg: agg.avg((r: Reading) => r.value), min: agg.min((r: Reading) => r.value), max: agg.max((r: Reading) => r.value), count: agg.count() })
    const rows = minutes.map(sensorMinuteRow, 'map(sensor_minute row)')
    if (params.dbPath !== undefined) rows.sink(sensorMinuteSink({ path: params.dbPath, atClose: params.atClose, onCommit: params.onCommit }))
    if (params.collect) rows.sink(sinks.collect('rows'))
    if (publish) {
      minutes.sink(
        sinks.callback<WindowOut<{ avg: number }>>(
          (batch) => {
            const byEnd = new Map<number, Record<string, number>>()
            for (const w of batch.values) {
              let sensors = byEnd.get(w.windowEnd)
              if (sensors === undefined) byEnd.set(w.windowEnd, (sensors = {}))
              sensors[String(w.key)] = Math.round(w.result.avg * 1000) / 1000
            }
            for (const [windowEnd, sensors] of [...byEnd].sort((a, b) => a[0] - b[0])) publish('iot.averages', { windowEnd, sensors })
          },
          { batch: true, name: 'sink(dashboard iot.averages)' },
        ),
      )
    }

    // Alerts, and the readings that strayed from their sensor's mean.
    const alerts = readings.keyBy((r) => r.sensorId, 'keyBy(sensorId)').process(alertFunction, 'process(alerts)')
    const alertsTopic = params.alertsTopic ?? 'alerts'
    if (alertsTopic !== '') alerts.sink(sinks.topic<Alert>(alertsTopic, { key: (a) => a.sensorId }))
    if (params.collect) alerts.sink(sinks.collect('alerts'))
    if (publish) {
      alerts.sink(
        sinks.callback<Alert>((a) => publish('iot.alerts', { sensorId: a.sensorId, timestamp: a.timestamp, value: a.value, reason: a.reason, kind: a.kind }), { name: 'sink(dashboard iot.alerts)' }),
      )
    }

    // The dashboard's sketches (nobody else reads them).
    if (!publish && !params.collect) return

    // Distinct sensors per minute (HyperLogLog) over every reading.
    const distinct = readings
      .keyBy(() => 'all', 'keyBy(all)')
      .window(windows.tumbling({ size: WINDOW_MS }))
      .aggregate({ estimate: agg.approxDistinct((r: Reading) => r.sensorId), readings: agg.count() })
      .map((w) => ({ timestamp: w.windowEnd, estimate: Math.round(w.result.estimate), readings: w.result.readings }), 'map(distinct)')
    if (params.collect) distinct.sink(sinks.collect('distinct'))
    if (publish) distinct.sink(sinks.callback((d) => publish('iot.distinct', d), { name: 'sink(dashboard iot.distinct)' }))

    // The noisiest sensors per minute: heavy hitters over the noisy readings.
    const noisiest = alerts
      .sideOutput<{ sensorId: string }>('noisy')
      .keyBy(() => 'all', 'keyBy(all)')
      .window(windows.tumbling({ size: WINDOW_MS }))
      .aggregate(agg.topK(TOP_K, (n: { sensorId: string }) => n.sensorId))
      .map((w) => ({ timestamp: w.windowEnd, items: w.result.map((e) => ({ key: String(e.key), count: e.count })) }), 'map(top-k)')
    if (params.collect) noisiest.sink(sinks.collect('noisiest'))
    if (publish) noisiest.sink(sinks.callback((t) => publish('iot.topk', t), { name: 'sink(dashboard iot.topk)' }))
  },
})
