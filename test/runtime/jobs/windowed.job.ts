// A test job used to compare executors and parallelisms. Two sources:
// - a single-split stream with records far behind their split's watermark:
//   with one split, which records are late depends only on that split, so
//   late output is the same at any parallelism;
// - a generator split across tasks whose disorder stays within the bound, so
//   no record is late however the splits interleave.
import { agg, defineJob, sinks, sources, windows } from '../../../src/index.js'

export interface Reading {
  sensor: number
  ts: number
  value: number
}

export function reading(i: number): Reading {
  const jitter = (i * 7919) % 400
  return { sensor: (i * 31) % 50, ts: i * 10 + jitter, value: ((i * 2654435761) >>> 0) % 1000 }
}

/** Every 97th reading is 20 s late. */
export function lateLaden(i: number): Reading {
  const r = reading(i)
  if (i % 97 === 0 && i > 500) r.ts -= 20_000
  return r
}

export default defineJob<{ count: number }>({
  name: 'windowed-test',
  module: import.meta.url,
  build(env, params) {
    const single = env.source(sources.generator({ generate: lateLaden, count: params.count, splits: 1, timestamp: (r: Reading) => r.ts, maxOutOfOrdernessMs: 500, batchSize: 512 }))
    const windowed = single
      .keyBy((r) => r.sensor)
      .window(windows.sliding({ size: 2_000, slide: 500 }))
      .allowedLateness(1_000)
      .aggregate({ n: agg.count(), sum: agg.sum((r: Reading) => r.value), max: agg.max((r: Reading) => r.value) })
    windowed.sink(sinks.collect('windows'))
    windowed.sideOutput('late').sink(sinks.collect('late'))

    const spread = env.source(sources.generator({ generate: reading, count: params.count, timestamp: (r: Reading) => r.ts, maxOutOfOrdernessMs: 500, batchSize: 256 }))
    spread
      .keyBy((r) => `sensor-${r.sensor % 13}`)
      .window(windows.tumbling({ size: 5_000 }))
      .aggregate({ avg: agg.avg((r: Reading) => r.value), min: agg.min((r: Reading) => r.value) })
      .sink(sinks.collect('tumbling'))
    // A custom aggregate over a tumbling window: pre-aggregated per batch before the exchange.
    spread
      .keyBy((r) => r.sensor % 7)
      .window(windows.tumbling({ size: 5_000 }))
      .aggregate({ top: agg.maxBy((r: Reading) => r.value * 1000 + r.sensor), n: agg.of({ createAccumulator: () => 0, add: (a: number) => a + 1, merge: (a: number, b: number) => a + b, getResult: (a: number) => a, portableAccumulator: true }) })
      .sink(sinks.collect('custom'))
    // Built-in count/sum/max over sliding windows: pre-aggregated per pane before the exchange.
    spread
      .keyBy((r) => r.sensor % 11)
      .window(windows.sliding({ size: 3_000, slide: 1_000 }))
      .aggregate({ n: agg.count(), sum: agg.sum((r: Reading) => r.value), max: agg.max((r: Reading) => r.value) })
      .sink(sinks.collect('sliding'))
    spread
      .filter((r) => r.value % 10 === 0)
      .map((r) => ({ sensor: r.sensor, v: r.value }))
      .sink(sinks.collect('filtered'))
  },
})
