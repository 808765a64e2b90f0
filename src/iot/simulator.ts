// The sensor simulator behind `npm start`: N temperature sensors sending JSON
// readings `{ sensorId, ts, value, unit }` to topic `sensors`, keyed by
// sensorId (so each sensor's readings stay in one partition, in order).
//
// Event time runs on a simulated clock, `timeScale` times faster than the wall
// clock: at the default 60, one wall second is one event-time minute, so the
// job's one-minute windows close about once a second. `ratePerSecond` is in
// wall-clock seconds (2000 readings/s = 2000 readings per event-time minute at
// scale 60).
//
// What makes the stream realistic (all drawn from one seeded PRNG):
// - each sensor has its own level, a slow daily-like wave (period: one
//   event-time hour), a faster drift and Gaussian noise of its own size — a
//   few sensors are much noisier than the rest. The sensors depend on the
//   seed only and their levels on event time only, so a simulator restarted
//   with the same seed carries on smoothly (the app keeps the seed in the
//   data directory);
// - readings arrive out of order: each one is delayed by a small random
//   network delay (up to `maxDelayMs` of event time, default 3 s), so its `ts`
//   is a little behind the readings sent just before it;
// - a few readings are late by minutes (`lateProbability`), as from a sensor
//   that buffered them while offline; the job's windows drop them as late;
// - occasional faulty spikes (`spikeProbability`): half far out of range, half
//   in range but far from the sensor's usual values;
// - sensors go silent now and then for a few event-time minutes.
//
// The readings of one `send` are in clock order (minus their delays), and
// successive sends never overlap, so in every partition a reading's `ts` is at
// most `maxDelayMs` behind the largest `ts` before it — except the late ones.
// A job with maxOutOfOrdernessMs > maxDelayMs therefore finds no reading late
// but those. On restart, `resumeClockFrom` reads where the topic got to and
// the clock carries on from there, so event time never goes back.
import type { Eddy } from '../eddy.js'
import type { Producer } from '../client/producer.js'
import { seededRandom } from '../random.js'

export interface Reading {
  sensorId: string
  /** Event time, ms since the epoch (on the simulated clock). */
  ts: number
  value: number
  unit: string
}

export interface SimulatorOptions {
  /** Topic to produce to (default 'sensors'). */
  topic?: string
  /** Number of sensors (default 50). */
  sensors?: number
  /** Readings per wall-clock second, over all sensors (default 2000). */
  ratePerSecond?: number
  /** Event-time ms per wall-clock ms (default 60: one wall second = one event-time minute). */
  timeScale?: number
  /** PRNG seed (default: random). The same seed gives the same sensors; with the same startTime too, the same readings at the same wall-clock pace. */
  seed?: number
  /** Event time the clock starts at (default: now, or where `resumeClockFrom` found the topic). */
  startTime?: number
  /** Largest network delay (event-time ms) of an on-time reading (default 3000). */
  maxDelayMs?: number
  /** Chance that a reading is late by 1–3 event-time minutes (default 0.0005; 0 for none). */
  lateProbability?: number
  /** Chance that a reading is a faulty spike (default 0.001). */
  spikeProbability?: number
  /** How often a sensor goes silent, per sensor and event-time minute (default 1/150; 0 for never). */
  silenceRatePerMinute?: number
  /** How often the simulator sends a batch, wall-clock ms (default 50). */
  tickMs?: number
  /** Producer options (default lingerMs 5, lz4 compression). */
  producer?: Record<string, unknown>
}

export interface SimulatorStats {
  /** Readings sent (and acknowledged). */
  produced: number
  /** Readings sent late by minutes. */
  late: number
  /** Faulty spikes sent. */
  spikes: number
  /** Sensors silent right now. */
  silent: number
  /** The simulated clock (event time, ms). */
  clock: number
}

export interface Simulator {
  readonly options: Required<Omit<SimulatorOptions, 'startTime' | 'seed' | 'producer'>> & { seed: number }
  stats(): SimulatorStats
  /** Stops producing; settles once the last batch is acknowledged. */
  stop(): Promise<void>
  /** Settles when the simulator stops (rejects if producing failed). */
  readonly done: Promise<void>
}

export const SENSOR_UNIT = '°C'
/** One event-time hour: the period of the sensors' slow wave. */
const WAVE_PERIOD_MS = 60 * 60_000
const MINUTE_MS = 60_000


interface SensorModel {
  id: string
  base: number
  amplitude: number
  phase: number
  driftAmplitude: number
  driftPeriod: number
  driftPhase: number
  sigma: number
  /** Event time until which the sensor sends nothing. */
  silentUntil: number
}

/** Sensor ids: sensor-01 … sensor-50 (zero-padded to the width of the count, at least 2). */
export function sensorId(index: number, count: number): string {
  return `sensor-${String(index + 1).padStart(Math.max(2, String(count).length), '0')}`
}

function checkPositive(name: string, value: number, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new RangeError(`simulator ${name} must be a ${integer ? 'positive integer' : 'positive number'}, got ${String(value)}`)
  }
  return value
}

function checkProbability(name: string, value: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new RangeError(`simulator ${name} must be a probability from 0 to 1, got ${String(value)}`)
  return value
}

/** Starts producing readings to the topic (which should exist; auto-creation gives it the broker's default partitions). */
export function startSimulator(eddy: Eddy, options: SimulatorOptions = {}): Simulator {
  const resolved = {
    topic: options.topic ?? 'sensors',
    sensors: checkPositive('sensors', options.sensors ?? 50, true),
    ratePerSecond: checkPositive('ratePerSecond', options.ratePerSecond ?? 2000),
    timeScale: checkPositive('timeScale', options.timeScale ?? 60),
    seed: (options.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0,
    maxDelayMs: options.maxDelayMs ?? 3000,
    lateProbability: checkProbability('lateProbability', options.lateProbability ?? 0.0005),
    spikeProbability: checkProbability('spikeProbability', options.spikeProbability ?? 0.001),
    silenceRatePerMinute: checkProbability('silenceRatePerMinute', options.silenceRatePerMinute ?? 1 / 150),
    tickMs: checkPositive('tickMs', options.tickMs ?? 50),
  }
  if (!(resolved.maxDelayMs >= 0)) throw new RangeError(`simulator maxDelayMs must be >= 0, got ${String(resolved.maxDelayMs)}`)
  // The sensors come from the seed alone, so a restarted simulator with the same seed has the same
  // sensors (levels, waves, noise); the draws of a run come from the seed and where its clock starts.
  const sensorRandom = seededRandom(resolved.seed)
  const sensors: SensorModel[] = Array.from({ length: resolved.sensors }, (_, i) => {
    // About one sensor in eight is a noisy one.
    const noisy = sensorRandom() < 0.125
    return {
      id: sensorId(i, resolved.sensors),
      base: 16 + sensorRandom() * 10,
      amplitude: 1 + sensorRandom() * 3,
      phase: sensorRandom() * 2 * Math.PI,
      driftAmplitude: 0.2 + sensorRandom() * 0.8,
      driftPeriod: (5 + sensorRandom() * 10) * MINUTE_MS,
      driftPhase: sensorRandom() * 2 * Math.PI,
      sigma: noisy ? 1.5 + sensorRandom() * 1.5 : 0.1 + sensorRandom() * 0.5,
      silentUntil: -Infinity,
    }
  })
  const wallStart = Date.now()
  const clockStart = options.startTime ?? wallStart
  const random = seededRandom((resolved.seed ^ Math.floor(clockStart / 1000)) >>> 0)
  const gaussian = () => {
    // Box–Muller
    const u = 1 - random()
    const v = random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  const producer: Producer = eddy.producer({ lingerMs: 5, compression: 'lz4', keySerializer: 'string', valueSerializer: 'json', ...options.producer })
  const clockAt = (wall: number) => clockStart + (wall - wallStart) * resolved.timeScale
  let lastWall = wallStart
  let carry = 0
  const counts = { produced: 0, late: 0, spikes: 0 }
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined

  function readingsFor(from: number, to: number, n: number): { key: string; value: Reading }[] {
    const span = to - from
    // Silence: each sensor may go quiet during this stretch of event time.
    const minutes = span / MINUTE_MS
    for (const s of sensors) {
      if (s.silentUntil > from) continue
      if (random() < resolved.silenceRatePerMinute * minutes) s.silentUntil = to + (2 + random() * 8) * MINUTE_MS
    }
    const talking = sensors.filter((s) => s.silentUntil <= from)
    const out: { key: string; value: Reading }[] = []
    if (talking.length === 0) return out
    for (let i = 0; i < n; i++) {
      const s = talking[Math.floor(random() * talking.length)]
      const at = from + ((i + random()) / n) * span
      // Level, slow wave, drift (a function of event time, so it carries on across restarts), noise.
      let value = s.base + s.amplitude * Math.sin((2 * Math.PI * at) / WAVE_PERIOD_MS + s.phase) + s.driftAmplitude * Math.sin((2 * Math.PI * at) / s.driftPeriod + s.driftPhase) + gaussian() * s.sigma
      if (random() < resolved.spikeProbability) {
        counts.spikes++
        // A faulty reading: far out of range, or in range but far from the usual.
        value += random() < 0.5 ? (random() < 0.8 ? 1 : -1) * (40 + random() * 30) : (random() < 0.5 ? 1 : -1) * (8 + random() * 6)
      }
      let delay = Math.min(resolved.maxDelayMs, -Math.log(1 - random()) * resolved.maxDelayMs * 0.1)
      if (random() < resolved.lateProbability) {
        counts.late++
        delay = (1 + random() * 2) * MINUTE_MS
      }
      out.push({ key: s.id, value: { sensorId: s.id, ts: Math.floor(at - delay), value: Math.round(value * 100) / 100, unit: SENSOR_UNIT } })
    }
    return out
  }

  async function loop(): Promise<void> {
    try {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve
          timer = setTimeout(resolve, resolved.tickMs)
        })
        wake = undefined
        if (stopped) break
        const now = Date.now()
        // After a stall (a paused process, a slow disk) send at most one second's worth.
        const due = Math.min(resolved.ratePerSecond, (resolved.ratePerSecond * (now - lastWall)) / 1000 + carry)
        const n = Math.floor(due)
        carry = due - n
        const from = clockAt(lastWall)
        const to = clockAt(now)
        lastWall = now
        const records = readingsFor(from, to, n)
        if (records.length === 0) continue
        await producer.send(resolved.topic, records)
        counts.produced += records.length
      }
    } finally {
      await producer.flush().catch(() => {})
      await producer.close().catch(() => {})
    }
  }

  const done = loop()
  done.catch(() => {})
  return {
    options: resolved,
    stats: () => ({ ...counts, silent: sensors.filter((s) => s.silentUntil > clockAt(Date.now())).length, clock: clockAt(Date.now()) }),
    async stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
      wake?.()
      await done
    },
    done,
  }
}

/**
 * Where event time got to in a topic of readings: the largest `ts` among the
 * last `tail` records of each partition (undefined for an empty topic). A
 * restarted simulator starts its clock just after it.
 */
export async function resumeClockFrom(eddy: Eddy, topic = 'sensors', tail = 1000): Promise<number | undefined> {
  if (!eddy.admin.listTopics().includes(topic)) return undefined
  const ends = await eddy.admin.listOffsets(topic, 'latest')
  const starts = await eddy.admin.listOffsets(topic, 'earliest')
  let latest: number | undefined
  const consumer = eddy.consumer<Uint8Array, Uint8Array>({ keyDeserializer: 'bytes', valueDeserializer: 'bytes', autoOffsetReset: 'earliest' })
  try {
    for (const { partition, offset: end } of ends) {
      const start = starts.find((s) => s.partition === partition)?.offset ?? 0
      if (end <= start) continue
      const tp = { topic, partition }
      consumer.assign([tp])
      consumer.seek(tp, Math.max(start, end - tail))
      for (let position = Math.max(start, end - tail); position < end; ) {
        const records = await consumer.poll({ maxRecords: 1000, timeoutMs: 200 })
        if (records.length === 0) break
        for (const r of records) {
          position = r.offset + 1
          const ts = tsOf(r.value)
          if (ts !== undefined && (latest === undefined || ts > latest)) latest = ts
        }
      }
    }
  } finally {
    await consumer.close()
  }
  return latest
}

const decoder = new TextDecoder()

function tsOf(bytes: Uint8Array | null): number | undefined {
  if (bytes === null) return undefined
  try {
    const ts = (JSON.parse(decoder.decode(bytes)) as Partial<Reading>)?.ts
    return typeof ts === 'number' && Number.isFinite(ts) ? ts : undefined
  } catch {
    return undefined
  }
}
