// What a task's sinks need to resume: the prepared bytes its task-run sinks
// recover() (its state and split positions come from restoreFor in
// checkpoint.ts). Portable: used by both executors.
import type { CheckpointContent } from './checkpoint.js'

/** Where a job resumes from: the checkpoint's id and every sink's prepare() result (id 0, nothing prepared: a restart with no checkpoint yet). */
export interface RecoverPoint {
  checkpointId: number
  prepared: { node: number; task?: number; bytes: Uint8Array }[]
}

export function recoverPointOf(content: CheckpointContent): RecoverPoint {
  return { checkpointId: content.id, prepared: content.prepared ?? [] }
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
