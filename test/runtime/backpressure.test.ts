import { describe, expect, it } from 'vitest'
import { startJob } from '../../src/index.js'
import job from './jobs/slow-sink.job.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('backpressure: a slow sink slows the source and memory stays flat', () => {
  for (const [executor, parallelism] of [['inline', 1], ['workers', 2]] as const) {
    it(`${executor} p${parallelism}`, async () => {
      const handle = await startJob(job, { executor, parallelism })
      while (handle.metrics().operators.length === 0 || handle.metrics().operators.at(-1)!.recordsIn === 0) await sleep(100)
      await sleep(500)
      const samples: { produced: number; written: number; queue: number; heap: number }[] = []
      for (let i = 0; i < 6; i++) {
        await sleep(500)
        const m = handle.metrics()
        const source = m.operators[0]
        const sink = m.operators.at(-1)!
        samples.push({ produced: source.recordsOut, written: sink.recordsIn, queue: m.operators.reduce((a, o) => a + o.queueDepth, 0), heap: process.memoryUsage().heapUsed })
      }
      await handle.cancel()
      const last = samples.at(-1)!
      // The source is held to the sink's pace: what is produced but not yet written stays within the queues' bounds.
      expect(last.written).toBeGreaterThan(0)
      expect(last.produced - last.written).toBeLessThan(40 * 256)
      // The sink takes one batch of 256 per 5 ms at best (~51k records/s): over the window sampled, the
      // source advanced by no more than the sink could take plus the bounded queues.
      const advanced = last.produced - samples[0].produced
      expect(advanced).toBeLessThan(3 * 52_000 + 40 * 256)
      for (const s of samples) expect(s.queue).toBeLessThanOrEqual(40)
      // Heap (this thread: coordinator + inline tasks) does not grow with time.
      expect(last.heap - samples[0].heap).toBeLessThan(64 * 1024 * 1024)
    }, 30_000)
  }
})
