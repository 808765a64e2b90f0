import { describe, expect, it } from 'vitest'
import { agg, defineJob, runJob, sinks, sources, windows } from '../../src/index.js'

const job = defineJob({
  name: 'micro-batch',
  build(env) {
    const readings = env.source(sources.generator({ generate: (i) => ({ k: i % 5, v: i }), count: 3000, ratePerSecond: 15_000, batchSize: 100 }))
    readings
      .keyBy((r) => r.k)
      .window(windows.tumbling({ size: 500 }))
      .aggregate(agg.sum((r: { v: number }) => r.v))
      .sink(sinks.collect('sums'))
    readings.sink(sinks.callback((batch) => void batchSizes.push(batch.values.length), { batch: true }))
  },
})
const batchSizes: number[] = []

describe('micro-batch trigger', () => {
  it('processes what arrived in each interval as one batch, with the same results as continuous execution', async () => {
    const continuous = await runJob(job)
    const continuousBatches = batchSizes.splice(0)
    const micro = await runJob(job, { microBatchMs: 50 })
    const microBatches = batchSizes.splice(0)
    const order = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()
    expect(order(micro.collected.get('sums')!)).toEqual(order(continuous.collected.get('sums')!))
    // Continuous: batches of at most the source's batch size; micro-batches: about rate × interval (750) per batch.
    expect(Math.max(...continuousBatches)).toBeLessThanOrEqual(100)
    expect(Math.max(...microBatches)).toBeGreaterThan(300)
    expect(microBatches.length).toBeLessThan(continuousBatches.length)
  }, 20_000)

  it('refuses a bad interval', async () => {
    await expect(runJob(job, { microBatchMs: 0 })).rejects.toThrow(/microBatchMs: must be a number of ms > 0/)
  })
})
