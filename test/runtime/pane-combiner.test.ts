import { describe, expect, it } from 'vitest'
import { agg, windows } from '../../src/index.js'
import { paneCombiner } from '../../src/runtime/pane-combiner.js'
import type { Key } from '../../src/stream/dsl/graph.js'

// Reference: the windows a timestamp falls in, as a string, so records of one pane compare equal.
function windowsOf(assigner: ReturnType<typeof windows.sliding>, ts: number): string {
  const out = new Float64Array(2 * assigner.maxWindowsPerRecord)
  const n = assigner.assign(ts, out)
  return Array.from(out.subarray(0, 2 * n)).join(',')
}

describe('pane combiner: one partial per (key, pane), whatever order the records come in', () => {
  it('folds out-of-order records into exactly one group per key and set of windows, with the largest timestamp', () => {
    // Random keys and timestamps jumping back and forth across panes; the combined counts, per key and
    // set of windows, must equal a brute-force count, and no (key, pane) may appear twice.
    const assigner = windows.sliding({ size: 10, slide: 4 })
    const count = agg.count()
    const combine = paneCombiner(assigner, [{ name: undefined, select: undefined, fn: count.fn as never }])
    let seed = 7
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n
    const n = 5000
    const values = Array.from({ length: n }, (_, i) => ({ i }))
    const timestamps = Float64Array.from({ length: n }, () => random(60) - 20)
    const keys: Key[] = Array.from({ length: n }, () => (random(3) === 0 ? `k${random(5)}` : random(7)))
    const { batch, keys: groupKeys } = combine({ values, timestamps }, keys)

    const expected = new Map<string, { count: number; maxTs: number }>()
    for (let i = 0; i < n; i++) {
      const id = `${typeof keys[i]}:${keys[i]}|${windowsOf(assigner, timestamps[i])}`
      const e = expected.get(id) ?? { count: 0, maxTs: -Infinity }
      e.count++
      e.maxTs = Math.max(e.maxTs, timestamps[i])
      expected.set(id, e)
    }
    const got = new Map<string, { count: number; maxTs: number }>()
    for (let g = 0; g < groupKeys.length; g++) {
      const id = `${typeof groupKeys[g]}:${groupKeys[g]}|${windowsOf(assigner, batch.timestamps[g])}`
      expect(got.has(id)).toBe(false)
      got.set(id, { count: batch.values[g] as number, maxTs: batch.timestamps[g] })
    }
    expect(got).toEqual(expected)
  })

  it('groups number keys as a Map would (SameValueZero), int32 or not, across panes and batches', () => {
    // Int32 keys take the typed-array table, other keys a Map: -0 and 0 are one key, NaN is one key,
    // 2^31 and 2^31 - 1 differ, and a reused combiner starts every batch empty.
    const assigner = windows.tumbling({ size: 10 })
    const combine = paneCombiner(assigner, [{ name: undefined, select: undefined, fn: agg.count().fn as never }])
    const keys: Key[] = [0, -0, NaN, NaN, 2 ** 31, 2 ** 31 - 1, -(2 ** 31), -(2 ** 31) - 1, 1.5, 1.5, 7, 7, 7, '7']
    const timestamps = Float64Array.from(keys, (_, i) => (i % 2 === 0 ? 5 : 15))
    const values = keys.map(() => ({}))
    const countsOf = (out: ReturnType<typeof combine>) => out.keys.map((k, g) => `${typeof k}:${Object.is(k, -0) ? 0 : String(k)}@${out.batch.timestamps[g] < 10 ? 0 : 10}=${out.batch.values[g]}`).sort()
    const expected = ['number:0@0=1', 'number:0@10=1', 'number:NaN@0=1', 'number:NaN@10=1', 'number:2147483648@0=1', 'number:2147483647@10=1', 'number:-2147483648@0=1', 'number:-2147483649@10=1', 'number:1.5@0=1', 'number:1.5@10=1', 'number:7@0=2', 'number:7@10=1', 'string:7@10=1'].sort()
    expect(countsOf(combine({ values, timestamps }, keys))).toEqual(expected)
    expect(countsOf(combine({ values, timestamps }, keys))).toEqual(expected)
    // A bigger batch than before grows the table and still finds every key.
    const many = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 1000)
    const out = combine({ values: many.map(() => ({})), timestamps: new Float64Array(3000).fill(1) }, many)
    expect(out.keys.length).toBe(1000)
    expect((out.batch.values as number[]).every((c) => c === 3)).toBe(true)
  })

  it('folds runs of one key into its group, and starts a new group where a run crosses into another pane', () => {
    const assigner = windows.tumbling({ size: 10 })
    const combine = paneCombiner(assigner, [{ name: undefined, select: undefined, fn: agg.count().fn as never }])
    const keys: Key[] = ['a', 'a', 'a', 'b', 'b', 'a', 'a', 0, 0, 0, 0]
    const timestamps = Float64Array.of(1, 2, 12, 13, 3, 4, 14, 5, 6, 15, 7)
    const out = combine({ values: keys.map(() => ({})), timestamps }, keys)
    const counts = out.keys.map((k, g) => `${String(k)}@${out.batch.timestamps[g] < 10 ? 0 : 10}=${out.batch.values[g]}/max${out.batch.timestamps[g]}`).sort()
    expect(counts).toEqual(['0@0=3/max7', '0@10=1/max15', 'a@0=3/max4', 'a@10=2/max14', 'b@0=1/max3', 'b@10=1/max13'])
  })

  it('gives one object per group for named aggregates, fields in their order', () => {
    // Two named parts, one selecting a field: each group carries both accumulators by name.
    const assigner = windows.tumbling({ size: 100 })
    const combine = paneCombiner(assigner, [
      { name: 'n', select: undefined, fn: agg.count().fn as never },
      { name: 'top', select: (r: { v: number }) => r.v, fn: agg.max((v: number) => v).fn as never },
    ])
    const values = [{ v: 3 }, { v: 9 }, { v: 4 }, { v: 1 }]
    const { batch, keys } = combine({ values, timestamps: Float64Array.from([5, 150, 20, 160]) }, ['a', 'a', 'a', 'a'])
    expect(keys).toEqual(['a', 'a'])
    expect(Array.from(batch.timestamps)).toEqual([20, 160])
    expect(batch.values.map((v) => Object.keys(v as object))).toEqual([['n', 'top'], ['n', 'top']])
    expect((batch.values[0] as { n: number }).n).toBe(2)
    expect((batch.values[1] as { n: number }).n).toBe(2)
  })
})
