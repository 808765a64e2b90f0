// Messages between the coordinator and its worker tasks, and between tasks.
// Batches always travel as encoded ArrayBuffers in the transfer list.
import type { MessagePort } from 'node:worker_threads'
import type { JobParams } from '../stream/dsl/job.js'

export interface TaskInit {
  module: string
  jobName: string
  params: JobParams
  task: number
  parallelism: number
  maxParallelism: number
  splitCounts: [number, number][]
  /** The coordinator's end of the control channel. */
  control: MessagePort
  /** peers[t]: the channel to task t (null for this task). */
  peers: (MessagePort | null)[]
  /** In-flight batches per peer before the sender waits. */
  credits: number
  microBatchMs?: number
  /** Default 'at-least-once'. */
  guarantee?: import('./task.js').DeliveryGuarantee
  /** On a restore or restart: the checkpoint resumed from and this task's sinks' prepared bytes, for recover(). */
  recoverSinks?: { checkpointId: number; prepared: [number, Uint8Array[]][] }
  /** This task's part of a checkpoint to resume from. */
  restore?: { splits: [string, { position: number | undefined; maxTimestamp: number }][]; state: [number, Uint8Array][] }
}

export type ToCoordinator =
  | { type: 'sink'; id: number; node: number; buffer: ArrayBuffer }
  | { type: 'sinkClose'; id: number; node: number }
  | { type: 'next'; id: number; node: number; split: number; splits: number; max: number; from?: number }
  | { type: 'closeSplit'; node: number; split: number }
  | { type: 'metrics'; metrics: import('./metrics.js').OperatorMetrics[] }
  /** Reply to pause and counts: this task's sources are parked; peer messages sent to and received from each task so far. */
  | { type: 'paused'; sent: number[]; received: number[] }
  | { type: 'snapshot'; part: import('./checkpoint.js').TaskSnapshot }
  | { type: 'committed' }
  | { type: 'error'; message: string }
  /** The start handshake is done: the task reads its sources now. */
  | { type: 'running' }

export type ToTask =
  | { type: 'reply'; id: number; error?: string; buffer?: ArrayBuffer | null; position?: number }
  /** Stop reading; `abort` (another task failed): end without closing sinks. */
  | { type: 'cancel'; abort?: boolean }
  /** Checkpoint: park the sources between batches, then report counters. */
  | { type: 'pause' }
  /** Report counters again (the coordinator waits until no peer message is in flight). */
  | { type: 'counts' }
  /** Snapshot this task; with twoPhase, its task-run sinks prepare for checkpoint `id` first. */
  | { type: 'snapshot'; id: number; twoPhase: boolean }
  /** Checkpoint `id` is durable: task-run sinks commit what they prepared. Answered with 'committed'. */
  | { type: 'commit'; id: number }
  | { type: 'resume' }

export type PeerMessage =
  | { kind: 'batch'; node: number; channel: number; buffer: ArrayBuffer }
  | { kind: 'watermark'; node: number; channel: number; watermark: number }
  | { kind: 'end'; node: number; channel: number }
  | { kind: 'ack' }
  /** Sent once after Task.start(): everything this task sent at start precedes it. */
  | { kind: 'started' }
