// What a sink is to the runtime. Sinks that only count (discard) run in the
// task thread; the rest run in the coordinator — the thread that called
// runJob — so a callback sees the caller's world (a dashboard, a database
// handle, the embedded Eddy) and batches from every task meet in one place.
import type { Key } from '../dsl/graph.js'

export interface SinkBatch<T> {
  values: T[]
  timestamps: Float64Array | number[]
  keys?: Key[]
}

export interface SinkWriter<T> {
  /** Writes a batch; a returned promise holds back the job (backpressure) until it settles. */
  write(batch: SinkBatch<T>): void | Promise<void>
  /** End of input: everything written must be durable when this settles. */
  close?(): void | Promise<void>
  /**
   * A checkpoint completed: everything written since the previous one must now
   * be committed together with `checkpoint` (its id and state bytes), so that
   * restoring the checkpoint and replaying its input neither loses nor
   * repeats this sink's output (two-phase commit; see docs/checkpoints.md).
   */
  checkpoint?(checkpoint: { id: number; bytes: Uint8Array }): Promise<void>
  /** Task-run sinks: a structured-clonable value handed to the coordinator when the task ends (see sinks.fold). */
  result?(): unknown
}

export interface SinkContext {
  /** The embedded Eddy, when the job runs with one. */
  readonly eddy?: unknown
  /** Collected output of `sinks.collect()` sinks, by sink name. */
  readonly collected: Map<string, unknown[]>
}

export interface SinkSpec<T> {
  readonly kind: string
  readonly name: string
  /** Where `result()` values of task-run writers are collected (result.collected.get(collectName)). */
  readonly collectName?: string
  readonly runsIn: 'task' | 'coordinator'
  open(context: SinkContext): SinkWriter<T> | Promise<SinkWriter<T>>
}
