// Keyed event-time windows: the pane fast path (PaneWindowAggregator, Wasm)
// beside the general WindowOperator and beside the loop a developer would
// write by hand in plain TypeScript (Maps, one accumulator per key and window).
//
// One task = one whole stream: 1,000,000 records over 10,000 keys, 10 records
// per ms (100 s of event time), up to 500 ms out of order, in batches of
// 1,000, the watermark 1 s behind the largest timestamp after every batch,
// and the end-of-input watermark at the end. Every variant produces the same
// result objects in the same order (checked once before timing). Each task
// runs once per round, rounds interleave the variants, and the figure is the
// median over rounds (a whole stream takes up to seconds, too long for
// tinybench's minimum iteration count).
import { performance } from 'node:perf_hooks'
import { rateRow, type BenchRow } from '../lib.js'
import { avg, count, sliding, tumbling, WindowOperator, type WindowAssigner, type AggregateFunction } from '../../src/stream/index.js'
import { createWindowAggregator, PaneWindowAggregator, type WindowAggregator } from '../../src/stream/window/pane-aggregator.js'
import type { Key, WindowResult } from '../../src/stream/window/operator.js'

const RECORDS = 1_000_000
const KEYS = 10_000
const BATCH = 1_000
const RECORDS_PER_MS = 10
const DISORDER_MS = 500
const WATERMARK_LAG_MS = 1_000
const BASE_TS = 1_700_000_000_000
const ROUNDS = 5

interface Stream {
  keys: Key[][]
  timestamps: Float64Array[]
  values: Float64Array[]
  watermarks: number[]
}

function stream(numericKeys: boolean): Stream {
  const pool: Key[] = Array.from({ length: KEYS }, (_, i) => (numericKeys ? i * 7 + 3 : `sensor-${i.toString().padStart(5, '0')}`))
  const out: Stream = { keys: [], timestamps: [], values: [], watermarks: [] }
  let x = 0x9e3779b9
  let maxTs = -Infinity
  for (let from = 0; from < RECORDS; from += BATCH) {
    const keys: Key[] = new Array(BATCH)
    const timestamps = new Float64Array(BATCH)
    const values = new Float64Array(BATCH)
    for (let j = 0; j < BATCH; j++) {
      const i = from + j
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0
      keys[j] = pool[x % KEYS]
      timestamps[j] = BASE_TS + Math.floor(i / RECORDS_PER_MS) - ((x >>> 14) % DISORDER_MS)
      values[j] = (x >>> 8) % 1000
      if (timestamps[j] > maxTs) maxTs = timestamps[j]
    }
    out.keys.push(keys)
    out.timestamps.push(timestamps)
    out.values.push(values)
    out.watermarks.push(maxTs - WATERMARK_LAG_MS)
  }
  return out
}

/** Runs an aggregator over the stream; `sink` receives every result call's output. */
function runAggregator(agg: WindowAggregator<number, number>, s: Stream, sink: (results: WindowResult<number>[]) => void): void {
  for (let b = 0; b < s.keys.length; b++) {
    sink(agg.processBatch({ keys: s.keys[b], timestamps: s.timestamps[b], values: s.values[b] }).results)
    sink(agg.advanceWatermark(s.watermarks[b]))
  }
  sink(agg.advanceWatermark(Infinity))
  agg.dispose?.()
}

/**
 * The hand-written baseline: window start → Map(key → count, or key →
 * { sum, count } for avg); on each watermark, the fired windows in start
 * order, each window's keys sorted. Same semantics as the operator for this
 * in-bound stream (no allowed lateness: a record skips its windows that
 * have already fired).
 */
function runBaseline(kind: 'count' | 'avg', size: number, slide: number, s: Stream, sink: (results: WindowResult<number>[]) => void): void {
  const counts = new Map<number, Map<Key, number>>()
  const sums = new Map<number, Map<Key, { sum: number; count: number }>>()
  let watermark = -Infinity
  const byKey = (a: Key, b: Key) => (a < b ? -1 : a > b ? 1 : 0)
  const fire = (upTo: number) => {
    const results: WindowResult<number>[] = []
    const windows: Map<number, Map<Key, unknown>> = kind === 'count' ? counts : sums
    const due: number[] = []
    for (const start of windows.keys()) if (start + size - 1 <= upTo) due.push(start)
    due.sort((a, b) => a - b)
    for (const start of due) {
      if (kind === 'count') {
        const perKey = counts.get(start) as Map<Key, number>
        for (const key of [...perKey.keys()].sort(byKey)) results.push({ key, windowStart: start, windowEnd: start + size, result: perKey.get(key) as number })
      } else {
        const perKey = sums.get(start) as Map<Key, { sum: number; count: number }>
        for (const key of [...perKey.keys()].sort(byKey)) {
          const acc = perKey.get(key) as { sum: number; count: number }
          results.push({ key, windowStart: start, windowEnd: start + size, result: acc.sum / acc.count })
        }
      }
      windows.delete(start)
    }
    return results
  }
  for (let b = 0; b < s.keys.length; b++) {
    const keys = s.keys[b]
    const timestamps = s.timestamps[b]
    const values = s.values[b]
    for (let i = 0; i < keys.length; i++) {
      const t = timestamps[i]
      const key = keys[i]
      for (let start = t - (t % slide); start > t - size; start -= slide) {
        if (start + size - 1 <= watermark) continue
        if (kind === 'count') {
          let perKey = counts.get(start)
          if (perKey === undefined) counts.set(start, (perKey = new Map()))
          perKey.set(key, (perKey.get(key) ?? 0) + 1)
        } else {
          let perKey = sums.get(start)
          if (perKey === undefined) sums.set(start, (perKey = new Map()))
          const acc = perKey.get(key)
          if (acc === undefined) perKey.set(key, { sum: values[i], count: 1 })
          else {
            acc.sum += values[i]
            acc.count++
          }
        }
      }
    }
    sink([])
    if (s.watermarks[b] > watermark) {
      watermark = s.watermarks[b]
      sink(fire(watermark))
    }
  }
  sink(fire(Infinity))
}

interface Case {
  name: string
  assigner: () => WindowAssigner
  aggregate: () => AggregateFunction<number, any, number>
  kind: 'count' | 'avg'
  size: number
  slide: number
  target?: string
}

const CASES: Case[] = [
  { name: 'sliding 10 s / 2 s count per key', assigner: () => sliding({ size: 10_000, slide: 2_000 }), aggregate: count, kind: 'count', size: 10_000, slide: 2_000, target: '>= 2x' },
  { name: 'tumbling 10 s avg per key', assigner: () => tumbling({ size: 10_000 }), aggregate: avg, kind: 'avg', size: 10_000, slide: 10_000 },
]

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`windows bench sanity check failed: ${message}`)
}

/** Checks that every variant gives identical results, once, outside the timing. */
function checkSame(c: Case, s: Stream): number {
  const collect = (run: (sink: (r: WindowResult<number>[]) => void) => void) => {
    const all: WindowResult<number>[] = []
    run((r) => {
      for (const x of r) all.push(x)
    })
    return all
  }
  const pane = collect((sink) => runAggregator(createWindowAggregator({ assigner: c.assigner(), aggregate: c.aggregate() }), s, sink))
  const operator = collect((sink) => runAggregator(new WindowOperator({ assigner: c.assigner(), aggregate: c.aggregate() }), s, sink))
  const baseline = collect((sink) => runBaseline(c.kind, c.size, c.slide, s, sink))
  check(pane.length === operator.length && pane.length === baseline.length, `${c.name}: ${pane.length} / ${operator.length} / ${baseline.length} results`)
  for (let i = 0; i < pane.length; i++) {
    const a = pane[i]
    for (const b of [operator[i], baseline[i]]) {
      check(a.key === b.key && a.windowStart === b.windowStart && a.windowEnd === b.windowEnd && a.result === b.result, `${c.name}: result ${i} differs`)
    }
  }
  return pane.length
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  const streams = { string: stream(false), number: stream(true) }
  for (const c of CASES) {
    check(createWindowAggregator({ assigner: c.assigner(), aggregate: c.aggregate() }) instanceof PaneWindowAggregator, `${c.name} does not take the pane path`)
    const results = checkSame(c, streams.string)
    let sink = 0
    const count = (r: WindowResult<number>[]) => {
      sink += r.length
    }
    const tasks: Record<string, () => void> = {
      pane: () => runAggregator(createWindowAggregator({ assigner: c.assigner(), aggregate: c.aggregate() }), streams.string, count),
      paneNumberKeys: () => runAggregator(createWindowAggregator({ assigner: c.assigner(), aggregate: c.aggregate() }), streams.number, count),
      operator: () => runAggregator(new WindowOperator({ assigner: c.assigner(), aggregate: c.aggregate() }), streams.string, count),
      baseline: () => runBaseline(c.kind, c.size, c.slide, streams.string, count),
      baselineNumberKeys: () => runBaseline(c.kind, c.size, c.slide, streams.number, count),
    }
    const times: Record<string, number[]> = {}
    for (const name of Object.keys(tasks)) tasks[name]() // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, task] of Object.entries(tasks)) {
        const start = performance.now()
        task()
        ;(times[name] ??= []).push(performance.now() - start)
      }
    }
    check(sink === (ROUNDS + 1) * results * 5, `${c.name}: tasks produced ${sink} results`)
    const rate = (name: string) => RECORDS / (median(times[name]) / 1000)
    const spread = (name: string) => `${Math.min(...times[name]).toFixed(0)}–${Math.max(...times[name]).toFixed(0)} ms`
    console.log(`${c.name}: ${results} results per stream; run times ${Object.keys(tasks).map((n) => `${n} ${spread(n)}`).join(', ')}`)
    rows.push(
      rateRow(`${c.name}, 1M records, 10k string keys`, 'records/s', rate('pane'), rate('baseline'), 'hand-written TS Map loop', c.target),
      rateRow(`${c.name}, 1M records, 10k string keys`, 'records/s', rate('pane'), rate('operator'), 'WindowOperator'),
      rateRow(`${c.name}, 1M records, 10k number keys`, 'records/s', rate('paneNumberKeys'), rate('baselineNumberKeys'), 'hand-written TS Map loop'),
    )
  }
  return rows
}
