// What a task needs to resume: its part of a checkpoint (state and split
// positions, through restoreFor — key groups move between tasks when the
// parallelism changed) and the prepared bytes its task-run sinks recover().
// Portable: used by both executors.
import { restoreFor, type CheckpointContent } from './checkpoint.js'
import type { TaskRestore } from './task.js'

/** Where a job resumes from: the checkpoint's id and every sink's prepare() result (id 0, nothing prepared: a restart with no checkpoint yet). */
export interface RecoverPoint {
  checkpointId: number
  prepared: { node: number; task?: number; bytes: Uint8Array }[]
}

export function recoverPointOf(content: CheckpointContent): RecoverPoint {
  return { checkpointId: content.id, prepared: content.prepared ?? [] }
}

/** Task `task`'s part of a checkpoint at `parallelism` tasks. */
export function restoreForTask(content: CheckpointContent, task: number, parallelism: number): TaskRestore {
  return restoreFor(content, task, parallelism)
}

/**
 * The prepared bytes task `task` recovers, by sink node. A task recovers
 * what tasks t ≡ task (mod parallelism) prepared, so after a change of
 * parallelism every old task's sink transaction is still finished or
 * discarded by exactly one new task.
 */
export function taskPrepared(point: RecoverPoint, task: number, parallelism: number): Map<number, Uint8Array[]> {
  const byNode = new Map<number, Uint8Array[]>()
  for (const p of point.prepared) {
    if (p.task === undefined || p.task % parallelism !== task) continue
    const list = byNode.get(p.node) ?? []
    list.push(p.bytes)
    byNode.set(p.node, list)
  }
  return byNode
}
