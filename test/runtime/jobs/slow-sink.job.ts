// An endless fast source into a deliberately slow sink (5 ms per batch):
// backpressure must throttle the source.
import { defineJob, sinks, sources } from '../../../src/index.js'

export default defineJob({
  name: 'slow-sink',
  module: import.meta.url,
  build(env) {
    env
      .source(sources.generator({ generate: (i) => ({ id: i, payload: 'x'.repeat(200) }), batchSize: 256 }))
      .keyBy((r) => r.id % 64)
      .map((r) => ({ id: r.id, size: r.payload.length }))
      .sink(sinks.callback(() => new Promise<void>((resolve) => setTimeout(resolve, 5)), { batch: true }))
  },
})
