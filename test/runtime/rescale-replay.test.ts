// Replay (the Kappa architecture): a new version of a job reads the same
// topic again — from the earliest offset, from a point in time, or from an
// older version's checkpoint at another parallelism — into new outputs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { agg, defineJob, Eddy, runJob, sinks, sources, startJob, windows } from '../../src/index.js'

const PARTITIONS = 2
const RECORDS = 4_000
type Click = { user: string; ts: number }
type Row = { key: string | number; windowStart: number; windowEnd: number; result: number }

let eddy: Eddy

beforeAll(async () => {
  eddy = await Eddy.open({ defaultPartitions: PARTITIONS })
  const producer = eddy.producer({ keySerializer: 'string', valueSerializer: 'string' })
  const messages = Array.from({ length: RECORDS }, (_, i) => {
    const click: Click = { user: `u${i % 13}`, ts: i * 5 }
    return { key: click.user, value: JSON.stringify(click), timestamp: click.ts, partition: i % PARTITIONS }
  })
  await producer.send({ topic: 'clicks', messages })
  await producer.flush()
})

afterAll(async () => {
  await eddy?.close()
})

/** Clicks per user per second, from the topic (read to its end as it is when the job starts) into a collect sink. */
const clicksPerSecond = defineJob<{ startFrom?: 'earliest' | { timestamp: number }; out: string }>({
  name: 'clicks-per-second',
  build(env, params) {
    env
      .source(sources.topic<Click>('clicks', { startFrom: params.startFrom, bounded: true, timestamp: (c) => c.ts }))
      .keyBy((c) => c.user)
      .window(windows.tumbling({ size: 1000 }))
      .aggregate(agg.count())
      .sink(sinks.collect(params.out))
  },
})

const sorted = (rows: unknown[]) => (rows as Row[]).map((r) => JSON.stringify(r)).sort()

describe('replay from a topic', () => {
  it('from the earliest offset and from a timestamp: the timestamp run gives exactly the windows from that time on', async () => {
    const all = (await runJob(clicksPerSecond, { eddy, params: { startFrom: 'earliest', out: 'all' } })).collected.get('all') as Row[]
    expect(all.reduce((n, r) => n + r.result, 0)).toBe(RECORDS)
    const fromTime = (await runJob(clicksPerSecond, { eddy, params: { startFrom: { timestamp: 12_000 }, out: 'late' } })).collected.get('late') as Row[]
    expect(fromTime.length).toBeGreaterThan(0)
    expect(sorted(fromTime)).toEqual(sorted(all.filter((r) => r.windowStart >= 12_000)))
  })

  it('refuses a timestamp that is not a number', () => {
    expect(() => sources.topic('clicks', { startFrom: { timestamp: Number.NaN } })).toThrow(/startFrom.timestamp: must be a finite number/)
  })

  it("v2 (another filter, new outputs, parallelism 2) resumed from v1's checkpoint at parallelism 1 continues v1: v1 before + v2 after = v2 from scratch", async () => {
    // The topic grows in two halves; v1 (unbounded) reads the first half, is checkpointed there and stopped.
    const producer = eddy.producer({ keySerializer: 'string', valueSerializer: 'string' })
    const half = (from: number) =>
      Array.from({ length: RECORDS / 2 }, (_, j) => {
        const click: Click = { user: `u${(from + j) % 13}`, ts: (from + j) * 5 }
        return { key: click.user, value: JSON.stringify(click), timestamp: click.ts, partition: (from + j) % PARTITIONS }
      })
    await producer.send({ topic: 'growing', messages: half(0) })
    await producer.flush()
    const v1Rows: Row[] = []
    const v1 = await startJob(growingJob, { eddy, params: { version: 1, rows: v1Rows } })
    while ((v1.metrics().operators[0]?.recordsOut ?? 0) < RECORDS / 2) await new Promise((resolve) => setTimeout(resolve, 10))
    const checkpoint = await v1.checkpoint()
    await v1.cancel()
    await v1.done.catch(() => {})
    expect(v1Rows.length).toBeGreaterThan(0)

    await producer.send({ topic: 'growing', messages: half(RECORDS / 2) })
    await producer.flush()
    const v2Rows: Row[] = []
    await runJob(growingJob, { eddy, parallelism: 2, executor: 'inline', params: { version: 2, rows: v2Rows, bounded: true }, restore: checkpoint })
    const scratch: Row[] = []
    await runJob(growingJob, { eddy, params: { version: 2, rows: scratch, bounded: true } })
    expect(v2Rows.length).toBeGreaterThan(0)
    expect(v1Rows.filter(keptByV2).length).toBeLessThan(v1Rows.length)
    expect(sorted([...v1Rows.filter(keptByV2), ...v2Rows])).toEqual(sorted(scratch))
  })
})

/** v2 keeps only windows with at least 16 clicks (a user gets 15 or 16 a second). */
const keptByV2 = (w: Row) => w.result >= 16

/** Version 1 or 2 of a job over the growing topic, writing into the array it is given (inline executor: same thread). */
const growingJob = defineJob<{ version: 1 | 2; rows: Row[]; bounded?: boolean }>({
  name: 'growing-clicks',
  build(env, params) {
    const counts = env
      .source(sources.topic<Click>('growing', { bounded: params.bounded === true, timestamp: (c) => c.ts }))
      .keyBy((c) => c.user)
      .window(windows.tumbling({ size: 1000 }))
      .aggregate(agg.count())
    const out = params.version === 2 ? counts.filter(keptByV2, 'at least 20') : counts
    out.sink(sinks.callback((row: Row) => void params.rows.push(row), { name: `rows v${params.version}` }))
  },
})
