// The IoT job on a small hand-made input: the window rows in SQLite match a
// computation by hand, and the alerts (out of range, a z-score anomaly, a
// silent sensor) reach topic `alerts` and the dashboard channels. One
// partition and one record per batch make event time advance record by
// record, so which reading is late is fixed. Also the SQLite sink on its own:
// rows reach the table only with a checkpoint, or at the end of a bounded run.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { runJob } from '../../src/runtime/run-job.js'
import { openSensorMinuteSink, type SensorMinuteRow } from '../../src/connect/sqlite.js'
import iotJob, { type Alert, type IotJobParams } from '../../src/iot/job.js'
import type { Reading } from '../../src/iot/simulator.js'
import { readLastCheckpoint, sensorMinuteSink, type SensorMinuteWriter } from '../../src/iot/sqlite-sink.js'

const A = 'sensor-a'
const B = 'sensor-b'
const at = (sensorId: string, ts: number, value: number): Reading => ({ sensorId, ts, value, unit: '°C' })
const cycle = (i: number) => [20, 21, 22][i % 3]

/** The input, in the order it is produced (one partition: the order the job reads it). */
function input(): Reading[] {
  const out: Reading[] = [at(B, 1000, 10), at(B, 2000, 12)]
  // Minute 0: sensor-a reads 20, 21, 22, … every 2 s.
  for (let i = 0; i < 30; i++) out.push(at(A, i * 2000 + 500, cycle(i)))
  // Minute 1: the same, with a faulty spike (80, out of range) and an anomaly (30).
  for (let i = 0; i < 30; i++) {
    out.push(at(A, 60_000 + i * 2000 + 500, cycle(i)))
    if (i === 1) out.push(at(B, 58_000, 14)) // 4.5 s out of order: still on time for minute 0
    if (i === 5) out.push(at(A, 70_700, 80))
    if (i === 10) out.push(at(B, 5000, 99)) // minutes late: dropped by the windows, still alerted on
    if (i === 20) out.push(at(A, 100_700, 30))
  }
  // Minutes 2 and 3: sensor-a as in minute 0; sensor-b, silent since 58 s, reports again at 190 s.
  for (let i = 0; i < 40; i++) {
    out.push(at(A, 120_000 + i * 2000 + 500, cycle(i)))
    if (i === 34) out.push(at(B, 190_000, 15))
  }
  // Swap two neighbours: out of order by 2 s.
  const k = out.findIndex((r) => r.sensorId === A && r.ts === 80_500)
  ;[out[k], out[k + 1]] = [out[k + 1], out[k]]
  return out
}

/** By hand: each sensor's minutes, without the late reading. */
const EXPECTED_ROWS: SensorMinuteRow[] = [
  { sensor_id: A, window_start: 0, window_end: 60_000, avg: 21, min: 20, max: 22, count: 30 },
  { sensor_id: A, window_start: 60_000, window_end: 120_000, avg: (630 + 80 + 30) / 32, min: 20, max: 80, count: 32 },
  { sensor_id: A, window_start: 120_000, window_end: 180_000, avg: 21, min: 20, max: 22, count: 30 },
  { sensor_id: A, window_start: 180_000, window_end: 240_000, avg: 209 / 10, min: 20, max: 22, count: 10 },
  { sensor_id: B, window_start: 0, window_end: 60_000, avg: 12, min: 10, max: 14, count: 3 },
  { sensor_id: B, window_start: 180_000, window_end: 240_000, avg: 15, min: 15, max: 15, count: 1 },
]

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-iot-job-'))
  dirs.push(dir)
  return dir
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function readAll<V>(eddy: Eddy, topic: string): Promise<V[]> {
  const consumer = eddy.consumer<string, V>({ keyDeserializer: 'string', valueDeserializer: 'json', autoOffsetReset: 'earliest' })
  const ends = await eddy.admin.listOffsets(topic, 'latest')
  consumer.assign(ends.map((e) => ({ topic, partition: e.partition })))
  const out: V[] = []
  const total = ends.reduce((n, e) => n + e.offset, 0)
  while (out.length < total) {
    const records = await consumer.poll({ maxRecords: 1000, timeoutMs: 500 })
    if (records.length === 0) break
    out.push(...records.map((r) => r.value))
  }
  await consumer.close()
  return out
}

describe('the IoT job', () => {
  it('writes each sensor-minute to SQLite and raises range, anomaly and silence alerts', async () => {
    const eddy = await Eddy.open()
    try {
      await eddy.admin.createTopic('sensors', { partitions: 1 })
      await eddy.admin.createTopic('alerts', { partitions: 1 })
      const producer = eddy.producer({ keySerializer: 'string', valueSerializer: 'json' })
      await producer.send('sensors', input().map((r) => ({ key: r.sensorId, value: r })))
      // Something that is not a reading (say, typed into kcat) is skipped.
      await producer.send('sensors', [{ key: 'x', value: { hello: 'world' } }])
      await producer.close()

      const dbPath = join(tempDir(), 'iot.db')
      const published: { channel: string; data: any }[] = []
      const params: IotJobParams = { dbPath, bounded: true, batchSize: 1, collect: true, publish: (channel, data) => published.push({ channel, data }) }
      const result = await runJob(iotJob, { eddy, params, executor: 'inline' })

      const sink = openSensorMinuteSink(dbPath)
      try {
        expect(sink.rows()).toEqual(EXPECTED_ROWS)
      } finally {
        sink.close()
      }

      const expectedAlerts: Partial<Alert>[] = [
        { sensorId: A, timestamp: 70_700, value: 80, kind: 'range' },
        { sensorId: B, timestamp: 5000, value: 99, kind: 'range' },
        { sensorId: A, timestamp: 100_700, value: 30, kind: 'anomaly' },
        { sensorId: B, timestamp: 178_000, value: 14, kind: 'silent' },
      ]
      const alerts = await readAll<Alert>(eddy, 'alerts')
      expect(alerts.map(({ sensorId, timestamp, value, kind }) => ({ sensorId, timestamp, value, kind }))).toEqual(expectedAlerts)
      expect(alerts[0].reason).toBe('out of range: 80 °C above 45 °C')
      expect(alerts[2].reason).toMatch(/^anomaly: z = \d+\.\d/)
      expect(alerts[2].z).toBeGreaterThan(5)
      expect(alerts[3].reason).toBe('silent: no reading for 2 min')

      // The dashboard got the same: alerts, averages per window, distinct sensors, the noisiest sensors.
      const on = (channel: string) => published.filter((p) => p.channel === channel).map((p) => p.data)
      expect(on('iot.alerts').map((a) => [a.sensorId, a.timestamp, a.value, a.kind])).toEqual(expectedAlerts.map((a) => [a.sensorId, a.timestamp, a.value, a.kind]))
      const averages = new Map<number, Record<string, number>>()
      for (const d of on('iot.averages')) averages.set(d.windowEnd, { ...averages.get(d.windowEnd), ...d.sensors })
      expect(Object.fromEntries(averages)).toEqual({
        60000: { [A]: 21, [B]: 12 },
        120000: { [A]: 23.125 },
        180000: { [A]: 21 },
        240000: { [A]: 20.9, [B]: 15 },
      })
      expect(on('iot.distinct').map((d) => [d.timestamp, d.estimate])).toEqual([
        [60_000, 2],
        [120_000, 1],
        [180_000, 1],
        [240_000, 2],
      ])
      // Only the anomaly strayed more than 1.5 °C from its sensor's mean.
      expect(on('iot.topk')).toEqual([{ timestamp: 120_000, items: [{ key: A, count: 1 }] }])

      const window = result.metrics.operators.find((o) => o.kind === 'window' && o.name.includes('avg'))!
      expect(window.lateRecords).toBe(1)
      expect(result.collected.get('rows')).toHaveLength(EXPECTED_ROWS.length)
    } finally {
      await eddy.close()
    }
  })
})

describe('the sensor_minute sink', () => {
  const row = (sensor: string, start: number, value: number): SensorMinuteRow => ({ sensor_id: sensor, window_start: start, window_end: start + 60_000, avg: value, min: value, max: value, count: 1 })
  const batch = (rows: SensorMinuteRow[]) => ({ values: rows, timestamps: rows.map((r) => r.window_end - 1) })

  it('commits buffered rows with each checkpoint, in one transaction, and drops the rest at the end when asked', async () => {
    const path = join(tempDir(), 'iot.db')
    const commits: { checkpointId: number; rows: number }[] = []
    const writer = (await sensorMinuteSink({ path, atClose: 'discard', onCommit: (c) => commits.push(c) }).open({ collected: new Map() })) as SensorMinuteWriter
    writer.write(batch([row('s1', 0, 1), row('s2', 0, 2)]))
    expect(writer.buffered).toBe(2)
    const peek = () => {
      const sink = openSensorMinuteSink(path)
      try {
        return { rows: sink.rows().map((r) => `${r.sensor_id}@${r.window_start}=${r.avg}`), checkpoint: sink.lastCheckpoint()?.checkpointId }
      } finally {
        sink.close()
      }
    }
    expect(peek()).toEqual({ rows: [], checkpoint: undefined })
    await writer.checkpoint({ id: 1, bytes: new Uint8Array([1, 2, 3]) })
    expect(peek()).toEqual({ rows: ['s1@0=1', 's2@0=2'], checkpoint: 1 })
    expect(readLastCheckpoint(path)).toMatchObject({ id: 1, bytes: new Uint8Array([1, 2, 3]) })

    // A replayed window replaces its row; a checkpoint id that is not newer is refused (rows kept).
    writer.write(batch([row('s1', 0, 1.5), row('s1', 60_000, 3)]))
    await expect(writer.checkpoint({ id: 1, bytes: new Uint8Array([9]) })).rejects.toThrow(/checkpoint 1 is not newer than checkpoint 1/)
    expect(writer.buffered).toBe(2)
    await writer.checkpoint({ id: 2, bytes: new Uint8Array([4]) })
    expect(peek()).toEqual({ rows: ['s1@0=1.5', 's1@60000=3', 's2@0=2'], checkpoint: 2 })
    expect(commits).toEqual([
      { checkpointId: 1, rows: 2 },
      { checkpointId: 2, rows: 2 },
    ])

    // What no checkpoint committed is not written at the end ('discard').
    writer.write(batch([row('s3', 0, 9)]))
    await writer.close?.()
    expect(peek()).toEqual({ rows: ['s1@0=1.5', 's1@60000=3', 's2@0=2'], checkpoint: 2 })

    // 'write' (the default, for bounded runs) keeps it.
    const bounded = (await sensorMinuteSink({ path }).open({ collected: new Map() })) as SensorMinuteWriter
    bounded.write(batch([row('s3', 0, 9)]))
    await bounded.close?.()
    expect(peek()).toEqual({ rows: ['s1@0=1.5', 's1@60000=3', 's2@0=2', 's3@0=9'], checkpoint: 2 })
  })
})
