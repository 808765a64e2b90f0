import { describe, expect, it } from 'vitest'
import { runJob } from '../../src/index.js'
import job, { reading, type Reading } from './jobs/windowed.job.js'

/** Brute force for the 'custom' sink: per (sensor % 7, 5 s window) the max-scoring reading and the count. */
function expectedCustom(count: number): string[] {
  const groups = new Map<string, { key: number; start: number; top: Reading; n: number }>()
  for (let i = 0; i < count; i++) {
    const r = reading(i)
    const key = r.sensor % 7
    const start = Math.floor(r.ts / 5_000) * 5_000
    const id = `${key}/${start}`
    const g = groups.get(id)
    const score = (x: Reading) => x.value * 1000 + x.sensor
    if (g === undefined) groups.set(id, { key, start, top: r, n: 1 })
    else {
      g.n++
      if (score(r) > score(g.top)) g.top = r
    }
  }
  return [...groups.values()].map((g) => JSON.stringify({ key: g.key, windowStart: g.start, windowEnd: g.start + 5_000, result: { top: g.top, n: g.n } })).sort()
}

const COUNT = 40_000

function canonical(records: unknown[]): string[] {
  return records.map((r) => JSON.stringify(r)).sort()
}

async function outputs(options: Parameters<typeof runJob>[1]) {
  const result = await runJob(job, { params: { count: COUNT }, ...options })
  return {
    windows: canonical(result.collected.get('windows') ?? []),
    late: canonical(result.collected.get('late') ?? []),
    filtered: canonical(result.collected.get('filtered') ?? []),
    tumbling: canonical(result.collected.get('tumbling') ?? []),
    custom: canonical(result.collected.get('custom') ?? []),
    sliding: canonical(result.collected.get('sliding') ?? []),
    metrics: result.metrics,
  }
}

/** Brute force for the 'sliding' sink: per (sensor % 11, 3 s window sliding by 1 s) count, sum and max. */
function expectedSliding(count: number): string[] {
  const groups = new Map<string, { key: number; start: number; n: number; sum: number; max: number }>()
  for (let i = 0; i < count; i++) {
    const r = reading(i)
    const key = r.sensor % 11
    for (let start = Math.floor(r.ts / 1_000) * 1_000; start > r.ts - 3_000; start -= 1_000) {
      const id = `${key}/${start}`
      const g = groups.get(id) ?? { key, start, n: 0, sum: 0, max: -Infinity }
      g.n++
      g.sum += r.value
      g.max = Math.max(g.max, r.value)
      groups.set(id, g)
    }
  }
  return [...groups.values()].map((g) => JSON.stringify({ key: g.key, windowStart: g.start, windowEnd: g.start + 3_000, result: { n: g.n, sum: g.sum, max: g.max } })).sort()
}

describe('executors give identical results', () => {
  it('inline p1, inline p4, workers p1, p2 and p4 agree', async () => {
    const reference = await outputs({ parallelism: 1, executor: 'inline' })
    expect(reference.windows.length).toBeGreaterThan(1000)
    expect(reference.late.length).toBeGreaterThan(100)
    expect(reference.filtered.length).toBeGreaterThan(1000)
    expect(reference.tumbling.length).toBeGreaterThan(100)
    expect(reference.custom.length).toBeGreaterThan(100)
    expect(reference.custom).toEqual(expectedCustom(COUNT))
    expect(reference.sliding).toEqual(expectedSliding(COUNT))
    for (const options of [
      { parallelism: 4, executor: 'inline' as const },
      { parallelism: 1, executor: 'workers' as const },
      { parallelism: 2, executor: 'workers' as const },
      { parallelism: 4, executor: 'workers' as const },
    ]) {
      const other = await outputs(options)
      expect(other.windows, JSON.stringify(options)).toEqual(reference.windows)
      expect(other.late, JSON.stringify(options)).toEqual(reference.late)
      expect(other.filtered, JSON.stringify(options)).toEqual(reference.filtered)
      expect(other.tumbling, JSON.stringify(options)).toEqual(reference.tumbling)
      expect(other.custom, JSON.stringify(options)).toEqual(reference.custom)
      expect(other.sliding, JSON.stringify(options)).toEqual(reference.sliding)
      expect(other.metrics.operators[0].recordsOut).toBe(COUNT)
    }
  }, 120_000)
})
