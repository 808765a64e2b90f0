// Per 1 s window, every reading at the window's largest value (agg.maxByWithTies over one constant key).
import { agg, defineJob, sinks, sources, windows } from '../../../src/index.js'

export const readings = Array.from({ length: 3000 }, (_, i) => ({ id: i, v: (i * 7919) % 97, ts: i * 10 }))

export default defineJob({
  name: 'ties',
  module: import.meta.url,
  build(env) {
    env
      .source(sources.fromArray(readings, { timestamp: (r) => r.ts }))
      .keyBy(() => 0)
      .window(windows.tumbling({ size: 1000 }))
      .aggregate(agg.maxByWithTies((r: { id: number; v: number }) => r.v))
      .flatMap((w) => w.result.records.map((r) => `${w.windowStart}:${r.id}:${w.result.score}`))
      .sink(sinks.collect('out'))
  },
})
