import { describe, expect, it } from 'vitest'
import { agg, defineJob, runJob, sinks, sources, windows } from '../../src/index.js'

interface Reading {
  sensor: string
  ts: number
  value: number
}

const readings: Reading[] = []
for (let i = 0; i < 2000; i++) readings.push({ sensor: `s${i % 7}`, ts: i * 100 + ((i * 37) % 500), value: (i * 13) % 100 })

const job = defineJob({
  name: 'iot-avg',
  build(env) {
    env
      .source(sources.fromArray(readings, { timestamp: (r) => r.ts, maxOutOfOrdernessMs: 1000 }))
      .filter((r) => r.value >= 0)
      .keyBy((r) => r.sensor)
      .window(windows.tumbling({ size: 10_000 }))
      .aggregate({ avg: agg.avg((r: Reading) => r.value), n: agg.count(), max: agg.max((r: Reading) => r.value) })
      .sink(sinks.collect('out'))
  },
})

function expected() {
  const m = new Map<string, { sum: number; n: number; max: number; start: number; key: string }>()
  for (const r of readings) {
    const start = Math.floor(r.ts / 10_000) * 10_000
    const id = `${r.sensor}@${start}`
    const e = m.get(id) ?? { sum: 0, n: 0, max: -Infinity, start, key: r.sensor }
    e.sum += r.value
    e.n++
    e.max = Math.max(e.max, r.value)
    m.set(id, e)
  }
  return [...m.values()].map((e) => ({ key: e.key, windowStart: e.start, windowEnd: e.start + 10_000, result: { avg: e.sum / e.n, n: e.n, max: e.max } }))
}

const order = (a: any, b: any) => a.windowStart - b.windowStart || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

describe('runJob inline', () => {
  it('computes keyed tumbling window aggregates', async () => {
    const result = await runJob(job)
    const out = result.collected.get('out') as any[]
    expect(out.slice().sort(order)).toEqual(expected().sort(order))
    const metrics = result.metrics
    expect(metrics.status).toBe('finished')
    expect(metrics.operators[0].recordsOut).toBe(readings.length)
  })

  it('gives the same output with 3 inline tasks', async () => {
    const one = (await runJob(job)).collected.get('out') as any[]
    const three = (await runJob(job, { parallelism: 3, executor: 'inline' })).collected.get('out') as any[]
    expect(three.slice().sort(order)).toEqual(one.slice().sort(order))
  })
})
