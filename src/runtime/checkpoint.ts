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
