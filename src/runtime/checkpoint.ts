// Checkpoint bytes: what a job needs to resume exactly where a checkpoint
// was taken. Version 1 is UTF-8 JSON (state blobs in base64):
//
//   { "format": "eddy/checkpoint", "version": 1, "job": name, "id": n,
//     "createdAt": ms, "parallelism": p, "maxParallelism": g,
//     "splits": [{ "node", "split", "position", "maxTimestamp" }],
//     "state":  [{ "task", "node", "bytes": base64 }],
//     "notRestored": [node ids whose state cannot be snapshotted yet] }
//
// A split's position is what its source reported after the last batch the
// job fully processed (a topic: the next offset); maxTimestamp restores its
// watermark. Operator state is each operator's own versioned snapshot.
// Readers refuse other formats and versions with a clear error.
import { StreamInputError } from '../stream/errors.js'
import type { TaskRestore } from './task.js'
import type { CheckpointMetrics } from './metrics.js'

export const CHECKPOINT_FORMAT = 'eddy/checkpoint'
export const CHECKPOINT_VERSION = 1

/** A completed checkpoint as the runtime hands it to sinks and callers. */
export interface Checkpoint {
  id: number
  bytes: Uint8Array
}

export interface CheckpointContent {
  job: string
  id: number
  createdAt: number
  parallelism: number
  maxParallelism: number
  splits: { node: number; split: number; position: number | undefined; maxTimestamp: number }[]
  state: { task: number; node: number; bytes: Uint8Array }[]
  notRestored: number[]
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export function encodeCheckpoint(content: CheckpointContent): Uint8Array {
  const json = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...content,
    splits: content.splits.map((s) => ({ ...s, maxTimestamp: Number.isFinite(s.maxTimestamp) ? s.maxTimestamp : null })),
    state: content.state.map((s) => ({ task: s.task, node: s.node, bytes: toBase64(s.bytes) })),
  }
  return new TextEncoder().encode(JSON.stringify(json))
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointContent {
  let json: any
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw new StreamInputError(`not a checkpoint: ${(error as Error).message}`)
  }
  if (json?.format !== CHECKPOINT_FORMAT) throw new StreamInputError(`not a checkpoint (format ${JSON.stringify(json?.format)}, expected "${CHECKPOINT_FORMAT}")`)
  if (json.version !== CHECKPOINT_VERSION) throw new StreamInputError(`checkpoint version ${json.version} is not supported (this build reads version ${CHECKPOINT_VERSION})`)
  if (!Array.isArray(json.splits) || !Array.isArray(json.state)) throw new StreamInputError('checkpoint is malformed: splits and state must be arrays')
  return {
    job: String(json.job),
    id: Number(json.id),
    createdAt: Number(json.createdAt),
    parallelism: Number(json.parallelism),
    maxParallelism: Number(json.maxParallelism),
    splits: json.splits.map((s: any) => ({ node: s.node, split: s.split, position: s.position ?? undefined, maxTimestamp: s.maxTimestamp ?? -Infinity })),
    state: json.state.map((s: any) => ({ task: s.task, node: s.node, bytes: fromBase64(s.bytes) })),
    notRestored: Array.isArray(json.notRestored) ? json.notRestored : [],
  }
}

/** The part of a checkpoint task `task` restores (same parallelism; rescaling goes through key groups, later). */
export function restoreFor(content: CheckpointContent, task: number): TaskRestore {
  return {
    splits: new Map(content.splits.map((s) => [`${s.node}/${s.split}`, { position: s.position, maxTimestamp: s.maxTimestamp }])),
    state: new Map(content.state.filter((s) => s.task === task).map((s) => [s.node, s.bytes])),
  }
}

/** One task's part of a checkpoint (Task.snapshot()). */
export interface TaskSnapshot {
  splits: CheckpointContent['splits']
  state: { node: number; bytes: Uint8Array }[]
  unsupported: number[]
}

/** How an executor quiesces its tasks for a checkpoint and lets them go again. */
export interface CheckpointParticipants {
  /** Stops every source split between batches and waits until nothing is in flight; then every task's snapshot. */
  pauseAndSnapshot(id: number): Promise<TaskSnapshot[]>
  /** Lets the sources go on. */
  resume(): void
  /** The coordinator-run sinks' two-phase commit. */
  commitSinks(checkpoint: Checkpoint): Promise<void>
}

/** Checkpoints kept in the metrics history. */
const CHECKPOINT_HISTORY = 20

/**
 * Numbers checkpoints, runs one at a time (on demand or on an interval),
 * assembles the tasks' parts into checkpoint bytes, has the sinks commit, and
 * keeps the history the metrics show. A failed checkpoint is recorded and
 * the job goes on.
 */
export class CheckpointCoordinator {
  readonly history: CheckpointMetrics[] = []
  private nextId: number
  private inProgress: Promise<Checkpoint> | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly job: { name: string; parallelism: number; maxParallelism: number },
    private readonly participants: CheckpointParticipants,
    restoredId = 0,
  ) {
    this.nextId = restoredId + 1
  }

  /** Takes one now (or joins the one in progress). */
  checkpoint(): Promise<Checkpoint> {
    this.inProgress ??= this.take().finally(() => (this.inProgress = undefined))
    return this.inProgress
  }

  /** Waits for a checkpoint in progress, if any. */
  async settled(): Promise<void> {
    await this.inProgress?.catch(() => {})
  }

  every(intervalMs: number | undefined, running: () => boolean): void {
    if (intervalMs === undefined) return
    this.timer = setInterval(() => {
      if (this.inProgress === undefined && running()) this.checkpoint().catch(() => {})
    }, intervalMs)
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  private async take(): Promise<Checkpoint> {
    const id = this.nextId++
    const startedAt = Date.now()
    const entry: CheckpointMetrics = { id, startedAt, durationMs: 0, bytes: 0, status: 'in-progress' }
    this.history.push(entry)
    if (this.history.length > CHECKPOINT_HISTORY) this.history.shift()
    try {
      const parts = await this.participants.pauseAndSnapshot(id)
      const content: CheckpointContent = { job: this.job.name, id, createdAt: startedAt, parallelism: this.job.parallelism, maxParallelism: this.job.maxParallelism, splits: [], state: [], notRestored: [] }
      parts.forEach((part, task) => {
        content.splits.push(...part.splits)
        content.state.push(...part.state.map((s) => ({ task, node: s.node, bytes: s.bytes })))
        for (const n of part.unsupported) if (!content.notRestored.includes(n)) content.notRestored.push(n)
      })
      const checkpoint: Checkpoint = { id, bytes: encodeCheckpoint(content) }
      await this.participants.commitSinks(checkpoint)
      entry.status = 'completed'
      entry.bytes = checkpoint.bytes.length
      return checkpoint
    } catch (error) {
      entry.status = 'failed'
      throw error
    } finally {
      entry.durationMs = Date.now() - startedAt
      this.participants.resume()
    }
  }
}
