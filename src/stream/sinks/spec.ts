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
  /**
   * Two-phase commit, phase one (exactly-once sinks that do not store the
   * checkpoint themselves, e.g. a transactional topic sink): called while the
   * job is paused for checkpoint `checkpointId`. Make everything written since
   * the last checkpoint durable but not yet visible (flush an open
   * transaction), and return what phase two needs to make it visible — even
   * from another process after a crash (e.g. the transactional id, producer id
   * and epoch). The bytes are stored in the checkpoint.
   */
  prepare?(checkpointId: number): Uint8Array | Promise<Uint8Array>
  /**
   * Phase two: the checkpoint holding `prepared` is durable; make the prepared
   * output visible (commit the transaction). Must be idempotent.
   */
  commit?(checkpointId: number, prepared: Uint8Array): void | Promise<void>
  /**
   * On restore, before any write: the job resumes from checkpoint
   * `checkpointId`, whose prepared part for this sink was `prepared`. Finish
   * that commit if the crash came between the checkpoint being stored and
   * `commit` (idempotent: committed output must not appear twice), and discard
   * anything written after it (abort newer transactions, fence zombies).
   */
  recover?(checkpointId: number, prepared: Uint8Array | undefined): void | Promise<void>
  /** Task-run sinks: a structured-clonable value handed to the coordinator when the task ends (see sinks.fold). */
  result?(): unknown
}

/** The delivery guarantee a job runs under (see docs/checkpoints.md). */
export type DeliveryGuarantee = 'at-most-once' | 'at-least-once' | 'exactly-once'

export interface SinkContext {
  /** The embedded Eddy, when the job runs with one. */
  readonly eddy?: unknown
  /** Collected output of `sinks.collect()` sinks, by sink name. */
  readonly collected: Map<string, unknown[]>
  /**
   * The job's delivery guarantee (see docs/checkpoints.md). Under anything but
   * 'exactly-once' the runtime never calls prepare/commit, so a sink that
   * can write either way should write directly then.
   */
  readonly guarantee?: DeliveryGuarantee
  /** The running job's name (stable across restarts), e.g. to derive a transactional id. */
  readonly job?: string
}

export interface SinkSpec<T> {
  readonly kind: string
  readonly name: string
  /** Where `result()` values of task-run writers are collected (result.collected.get(collectName)). */
  readonly collectName?: string
  readonly runsIn: 'task' | 'coordinator'
  open(context: SinkContext): SinkWriter<T> | Promise<SinkWriter<T>>
}
