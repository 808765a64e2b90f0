// A job for checkpoint tests: keyed tumbling windows (Wasm panes) and a keyed
// One split: the process function's running totals depend on per-key arrival order, which is fixed only with one split.
// process function with state, over a rate-limited generator, into a sink
// that commits only with checkpoints (as a transactional database sink does).
import { agg, defineJob, sources, windows, type DataStream, type SinkSpec } from '../../../src/index.js'

/** A "database": what a sink committed, checkpoint by checkpoint (with the checkpoint's bytes, as a real sink stores them). */
export interface Store {
  commits: { id: number; bytes: Uint8Array; rows: unknown[] }[]
  /** Rows committed at the end of input. */
  final: unknown[]
  /** Set to simulate a crash: nothing more gets committed. */
  crashed: boolean
}

export const stores = new Map<string, Store>()

export function storeOf(name: string): Store {
  let store = stores.get(name)
  if (store === undefined) stores.set(name, (store = { commits: [], final: [], crashed: false }))
  return store
}

export function committedRows(store: Store): unknown[] {
  return [...store.commits.flatMap((c) => c.rows), ...store.final]
}

/** Buffers writes; a checkpoint commits them; close commits the rest (end of input). A crash loses the buffer. */
export function transactionalSink(name: string): SinkSpec<unknown> {
  return {
    kind: 'test-transactional',
    name: `sink(transactional ${name})`,
    runsIn: 'coordinator',
    open() {
      const store = storeOf(name)
      let buffer: unknown[] = []
      return {
        write(batch) {
          buffer.push(...batch.values)
        },
        async checkpoint(cp) {
          if (store.crashed) return
          store.commits.push({ id: cp.id, bytes: cp.bytes, rows: buffer })
          buffer = []
        },
        close() {
          if (!store.crashed) store.final.push(...buffer)
          buffer = []
        },
      }
    },
  }
}

/** The pipeline both checkpointed and recovery jobs run: per-sensor tumbling-window count and sum into `windowSink`, and a keyed running total (emitted every 5 s of event time) into `runningSink`. */
export function sensorPipeline(readings: DataStream<{ sensor: number; ts: number; value: number }>, windowSink: SinkSpec<any>, runningSink: SinkSpec<any>): void {
  readings
    .keyBy((r) => r.sensor)
    .window(windows.tumbling({ size: 10_000 }))
    .aggregate({ n: agg.count(), sum: agg.sum((r: { value: number }) => r.value) })
    .sink(windowSink)
  readings
    .keyBy((r) => r.sensor)
    .process<{ sensor: number; running: number; ts: number }>({
      processElement(r, ctx) {
        const total = ctx.state.value('total', 0)
        total.set(total.get() + r.value)
        if (r.ts % 5_000 === 0) ctx.emit({ sensor: r.sensor, running: total.get(), ts: r.ts })
      },
    })
    .sink(runningSink)
}

export default defineJob<{ count: number; rate: number; store: string }>({
  name: 'checkpointed',
  module: import.meta.url,
  build(env, params) {
    const readings = env.source(sources.generator({ generate: (i) => ({ sensor: i % 17, ts: i * 50, value: (i * 7) % 101 }), count: params.count, ratePerSecond: params.rate, timestamp: (r) => r.ts, batchSize: 200, splits: 1 }))
    sensorPipeline(readings, transactionalSink(params.store) as SinkSpec<any>, transactionalSink(`${params.store}-running`) as SinkSpec<any>)
  },
})
