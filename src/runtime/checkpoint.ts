// Checkpoint bytes: what a job needs to resume exactly where a checkpoint
// was taken.
//
// Version 2 (written now) is a small JSON manifest and the state blobs as
// raw bytes (no base64), framed so that a torn or rotten file is recognised
// before anything in it is trusted:
//
//   offset 0      8 bytes  magic "EDDYCKP2" (ASCII)
//   offset 8      u32 LE   manifest length M
//   offset 12     u32 LE   CRC-32C of bytes 16 .. end (blob length, manifest, blobs)
//   offset 16     u32 LE   blob section length B (the whole is 20 + M + B bytes)
//   offset 20     manifest, UTF-8 JSON:
//     { "format": "eddy/checkpoint", "version": 2, "job": name, "id": n,
//       "createdAt": ms, "parallelism": p, "maxParallelism": g,
//       "savepoint": bool,
//       "splits": [{ "node", "split", "position", "maxTimestamp" }],
//       "state":  [{ "task", "node", "offset", "length" }],
//       "prepared": [{ "node", "task": t | null, "offset", "length" }],
//       "notRestored": [node ids whose state cannot be snapshotted yet],
//       "operators": [{ "node", "uid", "kind" }] }   (stateful operators' uids, see rescale.ts)
//   offset 20+M   blobs: each state and prepared entry's bytes at its offset
//
// Version 1 is bare JSON with the blobs in base64 (no frame, no `savepoint`,
// no `prepared`); it is still read.
//
// A split's position is what its source reported after the last batch the
// job fully processed (a topic: the next offset); maxTimestamp restores its
// watermark. Operator state is each operator's own versioned snapshot.
// `prepared` holds what each two-phase-commit sink returned from prepare()
// (task null: a coordinator-run sink). Readers refuse other formats and
// versions with a clear error.
import { StreamInputError } from '../stream/errors.js'
import { crc32c as wasmCrc32c } from '../hash.js'
import type { TaskRestore } from './task.js'
import type { CheckpointMetrics } from './metrics.js'
import { regroupForTask, type OperatorIdentity } from './rescale.js'
import { fromBase64 } from '../base64.js'

export const CHECKPOINT_FORMAT = 'eddy/checkpoint'
export const CHECKPOINT_VERSION = 2
/** Versions this build reads. */
const READABLE_VERSIONS = [1, 2]
const FRAME_MAGIC = 'EDDYCKP2'
const FRAME_HEADER_BYTES = 20

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
  /** Taken on demand as a savepoint (never deleted by a store's retention). */
  savepoint?: boolean
  /** Two-phase-commit sinks' prepare() results; task undefined: a coordinator-run sink. */
  prepared?: { node: number; task?: number; bytes: Uint8Array }[]
  /** Stateful operators' stable ids (rescale.ts matches state to a changed job by them); absent in older checkpoints. */
  operators?: OperatorIdentity[]
}

export function encodeCheckpoint(content: CheckpointContent): Uint8Array {
  // Lay the blobs out one after another; the manifest records where each is.
  const blobs: Uint8Array[] = []
  let blobBytes = 0
  const place = (bytes: Uint8Array) => {
    const at = { offset: blobBytes, length: bytes.length }
    blobs.push(bytes)
    blobBytes += bytes.length
    return at
  }
  const manifest = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...content,
    savepoint: content.savepoint === true,
    splits: content.splits.map((s) => ({ ...s, maxTimestamp: Number.isFinite(s.maxTimestamp) ? s.maxTimestamp : null })),
    state: content.state.map((s) => ({ task: s.task, node: s.node, ...place(s.bytes) })),
    prepared: (content.prepared ?? []).map((p) => ({ node: p.node, task: p.task ?? null, ...place(p.bytes) })),
  }
  const json = new TextEncoder().encode(JSON.stringify(manifest))
  const out = new Uint8Array(FRAME_HEADER_BYTES + json.length + blobBytes)
  for (let i = 0; i < FRAME_MAGIC.length; i++) out[i] = FRAME_MAGIC.charCodeAt(i)
  const view = new DataView(out.buffer)
  view.setUint32(8, json.length, true)
  view.setUint32(16, blobBytes, true)
  out.set(json, FRAME_HEADER_BYTES)
  let at = FRAME_HEADER_BYTES + json.length
  for (const blob of blobs) {
    out.set(blob, at)
    at += blob.length
  }
  view.setUint32(12, crc32c(out.subarray(16)), true)
  return out
}

/** Version 2: the manifest and the blob section, after checking length and checksum. Undefined for other bytes (version 1 is bare JSON). */
function unframe(bytes: Uint8Array): { manifest: Uint8Array; blobs: Uint8Array } | undefined {
  const magic = String.fromCharCode(...bytes.subarray(0, FRAME_MAGIC.length))
  if (magic !== FRAME_MAGIC) return undefined
  if (bytes.length < FRAME_HEADER_BYTES) throw new StreamInputError(`checkpoint is torn: ${bytes.length} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const manifestBytes = view.getUint32(8, true)
  const blobBytes = view.getUint32(16, true)
  const total = FRAME_HEADER_BYTES + manifestBytes + blobBytes
  if (bytes.length !== total) throw new StreamInputError(`checkpoint is torn: its header announces ${total} bytes, ${bytes.length} are present`)
  const expected = view.getUint32(12, true)
  const actual = crc32c(bytes.subarray(16))
  if (actual !== expected) throw new StreamInputError(`checkpoint is corrupt: CRC-32C of its contents is ${hex(actual)}, the header says ${hex(expected)}`)
  return { manifest: bytes.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + manifestBytes), blobs: bytes.subarray(FRAME_HEADER_BYTES + manifestBytes) }
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`

/** Bytes handed to the Wasm CRC kernel per call (its scratch region grows to this once). */
const CRC_CHUNK_BYTES = 1 << 16

/** CRC-32C (Castagnoli) of a whole checkpoint, through the Wasm kernel in 64 KiB steps (about twice the speed of a JS table loop). */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0
  for (let at = 0; at < bytes.length; at += CRC_CHUNK_BYTES) crc = wasmCrc32c(bytes.subarray(at, at + CRC_CHUNK_BYTES), crc)
  return crc >>> 0
}

export function decodeCheckpoint(bytes: Uint8Array): CheckpointContent {
  let json: any
  let blobs: Uint8Array | undefined
  try {
    const framed = unframe(bytes)
    blobs = framed?.blobs
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(framed?.manifest ?? bytes))
  } catch (error) {
    if (error instanceof StreamInputError) throw error
    throw new StreamInputError(`not a checkpoint: ${(error as Error).message}`)
  }
  if (json?.format !== CHECKPOINT_FORMAT) throw new StreamInputError(`not a checkpoint (format ${JSON.stringify(json?.format)}, expected "${CHECKPOINT_FORMAT}")`)
  if (!READABLE_VERSIONS.includes(json.version)) throw new StreamInputError(`checkpoint version ${json.version} is not supported (this build reads versions ${READABLE_VERSIONS.join(' and ')})`)
  if (json.version === 2 && blobs === undefined) throw new StreamInputError('checkpoint version 2 must be framed (it starts with "EDDYCKP2")')
  if (!Array.isArray(json.splits) || !Array.isArray(json.state)) throw new StreamInputError('checkpoint is malformed: splits and state must be arrays')
  // Version 2 entries point into the blob section (copied out, so the state does not pin the whole file); version 1 carries base64.
  const blob = (entry: any): Uint8Array => {
    if (blobs === undefined) return fromBase64(entry.bytes)
    const { offset, length } = entry
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > blobs.length) {
      throw new StreamInputError(`checkpoint is malformed: a blob at ${offset} of ${length} bytes lies outside the ${blobs.length}-byte blob section`)
    }
    return blobs.slice(offset, offset + length)
  }
  return {
    job: String(json.job),
    id: Number(json.id),
    createdAt: Number(json.createdAt),
    parallelism: Number(json.parallelism),
    maxParallelism: Number(json.maxParallelism),
    splits: json.splits.map((s: any) => ({ node: s.node, split: s.split, position: s.position ?? undefined, maxTimestamp: s.maxTimestamp ?? -Infinity })),
    state: json.state.map((s: any) => ({ task: s.task, node: s.node, bytes: blob(s) })),
    notRestored: Array.isArray(json.notRestored) ? json.notRestored : [],
    savepoint: json.savepoint === true,
    prepared: Array.isArray(json.prepared) ? json.prepared.map((p: any) => ({ node: p.node, task: p.task ?? undefined, bytes: blob(p) })) : [],
    operators: Array.isArray(json.operators) ? json.operators.map((o: any) => ({ node: Number(o.node), uid: String(o.uid), kind: o.kind })) : undefined,
  }
}

/**
 * The part of a checkpoint task `task` of `parallelism` restores. At another
 * parallelism than the checkpoint's, keyed state is regrouped by key group
 * (rescale.ts). Node ids are the content's: prepareRestore (rescale.ts) first
 * maps a checkpoint onto a changed job's operators by uid.
 */
export function restoreFor(content: CheckpointContent, task: number, parallelism = content.parallelism): TaskRestore {
  return {
    // Split positions are per (source, split), whichever task now reads the split.
    splits: new Map(content.splits.map((s) => [`${s.node}/${s.split}`, { position: s.position, maxTimestamp: s.maxTimestamp }])),
    state: parallelism === content.parallelism ? new Map(content.state.filter((s) => s.task === task).map((s) => [s.node, s.bytes])) : regroupForTask(content, task, parallelism),
  }
}

/** One task's part of a checkpoint (Task.snapshot(), plus its task-run sinks' prepare() results). */
export interface TaskSnapshot {
  splits: CheckpointContent['splits']
  state: { node: number; bytes: Uint8Array }[]
  unsupported: number[]
  prepared?: { node: number; bytes: Uint8Array }[]
}

/** How an executor quiesces its tasks for a checkpoint and lets them go again. */
export interface CheckpointParticipants {
  /** Stops every source split between batches and waits until nothing is in flight; then every task's snapshot (task-run sinks prepared when `twoPhase`). */
  pauseAndSnapshot(id: number, twoPhase: boolean): Promise<TaskSnapshot[]>
  /** Phase one for the coordinator-run sinks that have prepare(). */
  prepareSinks(id: number): Promise<{ node: number; bytes: Uint8Array }[]>
  /** Lets the sources go on. */
  resume(): void
  /**
   * True when some coordinator-run sink stores checkpoints itself
   * (`checkpoint(cp)`): it commits everything written before the call, so the
   * sources must stay parked until it has run.
   */
  sinksCommitWithCheckpoint(): boolean
  /** Phase two in the coordinator: sinks that store the checkpoint themselves (`checkpoint(cp)`), then commit() of the prepared ones. */
  commitSinks(checkpoint: Checkpoint, content: CheckpointContent, twoPhase: boolean): Promise<void>
  /** Phase two in the tasks: each task-run sink commits what it prepared for checkpoint `id`. */
  commitTaskSinks(id: number): Promise<void>
}

/** A checkpoint request: a periodic one, or a savepoint (optionally leaving the job paused so it can be cancelled with nothing processed after it). */
export interface CheckpointRequest {
  savepoint?: boolean
  /** Do not resume the sources after a successful checkpoint (stop-with-savepoint). */
  keepPaused?: boolean
  /** Another durable write (the savepoint file) before the sinks commit. */
  write?: (checkpoint: Checkpoint) => Promise<void>
}

export interface CheckpointCoordinatorOptions {
  /** Sinks take part in two-phase commit (guarantee 'exactly-once'). */
  twoPhase?: boolean
  /** Writes a completed checkpoint durably (the checkpoint store) before any sink commits. */
  persist?: (checkpoint: Checkpoint) => Promise<void>
  /** Every completed checkpoint (the latest is what a restart restores when there is no store). */
  onCompleted?: (checkpoint: Checkpoint) => void
  /** A checkpoint still running after this long fails and the job goes on. Default 60 s. */
  timeoutMs?: number
  /** Checkpoint ids start above this (the store's newest id, so a fresh start never reuses a stored id). */
  idFloor?: number
}

/** Checkpoints kept in the metrics history. */
const CHECKPOINT_HISTORY = 20
const DEFAULT_CHECKPOINT_TIMEOUT_MS = 60_000

/**
 * Numbers checkpoints, runs one at a time (on demand or on an interval),
 * assembles the tasks' parts into checkpoint bytes, writes them durably, has
 * the sinks commit, and keeps the history the metrics show. A failed or
 * timed-out checkpoint is recorded and the job goes on: nothing is committed
 * for it, and the sources resume.
 */
export class CheckpointCoordinator {
  readonly history: CheckpointMetrics[] = []
  private nextId: number
  private inProgress: Promise<Checkpoint> | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(
    private readonly job: { name: string; parallelism: number; maxParallelism: number; operators?: OperatorIdentity[] },
    private readonly participants: CheckpointParticipants,
    restoredId = 0,
    private readonly options: CheckpointCoordinatorOptions = {},
  ) {
    this.nextId = Math.max(restoredId, options.idFloor ?? 0) + 1
  }

  /** Takes one now (or joins the periodic one in progress); a savepoint always takes its own, after the one in progress. */
  checkpoint(request: CheckpointRequest = {}): Promise<Checkpoint> {
    if (!(request.savepoint || request.keepPaused || request.write)) return (this.inProgress ??= this.start(request))
    return (async () => {
      // Loop: an interval checkpoint may start between one settling and this one starting.
      while (this.inProgress !== undefined) await this.settled()
      return (this.inProgress = this.start(request))
    })()
  }

  private start(request: CheckpointRequest): Promise<Checkpoint> {
    return this.take(request).finally(() => (this.inProgress = undefined))
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

  private async take(request: CheckpointRequest): Promise<Checkpoint> {
    const id = this.nextId++
    const startedAt = Date.now()
    const entry: CheckpointMetrics = { id, startedAt, durationMs: 0, bytes: 0, status: 'in-progress' }
    this.history.push(entry)
    if (this.history.length > CHECKPOINT_HISTORY) this.history.shift()
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_CHECKPOINT_TIMEOUT_MS
    // A timed-out checkpoint may still be waiting on a task; `abandoned` keeps it from writing or committing later.
    let abandoned = false
    let timer: ReturnType<typeof setTimeout> | undefined
    let committed = false
    let resumed = false
    const resume = () => {
      if (resumed) return
      resumed = true
      entry.pausedMs = Date.now() - startedAt
      this.participants.resume()
    }
    const work = this.run(id, startedAt, request, () => abandoned, request.keepPaused ? () => {} : resume)
    work.catch(() => {})
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        abandoned = true
        reject(new Error(`checkpoint ${id} took longer than ${timeoutMs} ms and was abandoned`))
      }, timeoutMs)
    })
    try {
      const checkpoint = await Promise.race([work, timeout])
      committed = true
      entry.status = 'completed'
      entry.bytes = checkpoint.bytes.length
      this.options.onCompleted?.(checkpoint)
      return checkpoint
    } catch (error) {
      entry.status = 'failed'
      throw error
    } finally {
      clearTimeout(timer)
      entry.durationMs = Date.now() - startedAt
      if (!(committed && request.keepPaused)) resume()
    }
  }

  /**
   * The synchronous part (sources parked): snapshots and phase one. Then, unless a
   * sink commits with the checkpoint itself, the sources go on while the bytes are
   * encoded and written and the sinks commit (the asynchronous part): state and
   * prepared output are already captured, and new output goes to the next transaction.
   */
  private async run(id: number, startedAt: number, request: CheckpointRequest, abandoned: () => boolean, resumeEarly: () => void): Promise<Checkpoint> {
    const twoPhase = this.options.twoPhase === true
    const parts = await this.participants.pauseAndSnapshot(id, twoPhase)
    const content: CheckpointContent = {
      job: this.job.name,
      id,
      createdAt: startedAt,
      parallelism: this.job.parallelism,
      maxParallelism: this.job.maxParallelism,
      splits: [],
      state: [],
      notRestored: [],
      savepoint: request.savepoint === true,
      prepared: twoPhase ? await this.participants.prepareSinks(id) : [],
      operators: this.job.operators,
    }
    if (!this.participants.sinksCommitWithCheckpoint()) resumeEarly()
    parts.forEach((part, task) => {
      content.splits.push(...part.splits)
      content.state.push(...part.state.map((s) => ({ task, node: s.node, bytes: s.bytes })))
      for (const n of part.unsupported) if (!content.notRestored.includes(n)) content.notRestored.push(n)
      for (const p of part.prepared ?? []) content.prepared!.push({ node: p.node, task, bytes: p.bytes })
    })
    const checkpoint: Checkpoint = { id, bytes: encodeCheckpoint(content) }
    if (abandoned()) throw new Error(`checkpoint ${id} was abandoned`)
    // Durable first: a sink commits only output whose checkpoint a restart can find.
    await this.options.persist?.(checkpoint)
    await request.write?.(checkpoint)
    if (abandoned()) throw new Error(`checkpoint ${id} was abandoned`)
    await this.participants.commitSinks(checkpoint, content, twoPhase)
    if (twoPhase) await this.participants.commitTaskSinks(id)
    return checkpoint
  }
}
