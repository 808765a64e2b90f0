// What a source is to the runtime. A source is split (topic partitions,
// generator residues mod n, one split for an array); each split has one reader
// in exactly one task, and each split has its own watermark (bounded
// out-of-orderness over its own records), combined by minimum in the task.
import type { Key } from '../dsl/graph.js'

/** A batch of records as sources and operators pass them around: columns of equal length. */
export interface SourceBatch<T> {
  values: T[]
  /** Event time (ms) per record. */
  timestamps: Float64Array | number[]
  /** Record keys where the source has them (topics). */
  keys?: Key[]
  /** Position after this batch (checkpoints record it; a topic gives the next offset). */
  position?: number
}

export interface SourceReader<T> {
  /** The next batch of at most `maxRecords`, or null at end of input. An empty batch means "nothing yet". */
  next(maxRecords: number): SourceBatch<T> | null | Promise<SourceBatch<T> | null>
  close?(): void | Promise<void>
}

/** What the thread that opens a reader offers it. */
export interface SourceContext {
  /** The embedded Eddy (coordinator-run sources only). */
  readonly eddy?: unknown
  /** Wall clock (ms); injected so tests can control it. */
  nowMs(): number
}

export interface SourceSpec<T> {
  readonly kind: string
  readonly name: string
  /** Where the reader runs: in the task thread, or in the coordinator (which ships its batches to the task). */
  readonly runsIn: 'task' | 'coordinator'
  /** Called once in the coordinator before `splits` (a topic looks up its partition count). */
  prepare?(context: SourceContext): Promise<void>
  /** Number of splits for a job with `parallelism` tasks (split s runs in task s mod parallelism). */
  splits(parallelism: number): number | Promise<number>
  /** Opens split `split`; `from` is a position a checkpoint recorded (SourceBatch.position), to resume after. */
  open(split: number, splits: number, context: SourceContext, from?: number): SourceReader<T> | Promise<SourceReader<T>>
  /** Event time of a record; absent: the source's own timestamps. */
  readonly timestamp?: (value: T, sourceTimestamp: number) => number
  /** Watermark = (largest timestamp seen in the split) − this − 1. */
  readonly maxOutOfOrdernessMs: number
  /** A split silent for this long (processing time) stops holding the watermark back. */
  readonly idleTimeoutMs?: number
  /** Records per batch the runtime asks for. */
  readonly batchSize?: number
}
