import { describe, expect, it } from 'vitest'
import { agg, runJob, StreamConfigError } from '../../src/index.js'
import job, { readings } from '../runtime/jobs/ties.job.js'

describe('agg.maxByWithTies', () => {
  const { fn } = agg.maxByWithTies((r: { id: number; v: number }) => r.v)

  it('keeps every record at the largest number, in arrival order, and merges partials by score', () => {
    let acc = fn.createAccumulator()
    for (const r of [{ id: 1, v: 3 }, { id: 2, v: 7 }, { id: 3, v: 7 }, { id: 4, v: -1 }]) acc = fn.add(acc, r)
    expect(fn.getResult(acc)).toEqual({ score: 7, records: [{ id: 2, v: 7 }, { id: 3, v: 7 }] })
    const other = fn.add(fn.createAccumulator(), { id: 5, v: 7 })
    expect(fn.merge(acc, other)).toEqual({ score: 7, records: [{ id: 2, v: 7 }, { id: 3, v: 7 }, { id: 5, v: 7 }] })
    expect(fn.merge(fn.add(fn.createAccumulator(), { id: 6, v: 9 }), acc).records).toEqual([{ id: 6, v: 9 }])
    expect(fn.getResult(fn.createAccumulator())).toEqual({ score: -Infinity, records: [] })
  })

  it('names a selector that is missing or returns no number', () => {
    expect(() => agg.maxByWithTies(undefined as never)).toThrow(StreamConfigError)
    expect(() => fn.add(fn.createAccumulator(), { id: 1, v: 'x' as never })).toThrow('agg.maxByWithTies: the selector must return a number, got string')
    expect(() => fn.add(fn.createAccumulator(), { id: 1, v: NaN })).toThrow('got NaN')
  })

  it('gives the same ties in a window at parallelism 1 and 2 (partials folded before the exchange)', async () => {
    // 3,000 readings with many tied values; per 1 s window, every reading at the window's max.
    const expected: string[] = []
    for (let start = 0; start < 30_000; start += 1000) {
      const inWindow = readings.filter((r) => r.ts >= start && r.ts < start + 1000)
      const max = Math.max(...inWindow.map((r) => r.v))
      for (const r of inWindow) if (r.v === max) expected.push(`${start}:${r.id}:${max}`)
    }
    for (const [parallelism, executor] of [[1, 'inline'], [2, 'workers']] as const) {
      const result = await runJob(job, { parallelism, executor })
      expect(((result.collected.get('out') ?? []) as string[]).slice().sort()).toEqual(expected.slice().sort())
    }
  })
})
