// What the soak's child process and the soak share (the child module runs itself on import, so it cannot be imported).

/** The job's SQLite file inside a data directory. */
export const DB_FILE = 'soak.db'

/** The job's checkpoint store inside a data directory. */
export const CHECKPOINTS_DIR = 'checkpoints'

/** How one life of the job runs (passed to the child as JSON). */
export interface LifeSettings {
  /** Input records per second at most (0: unpaced). */
  pace: number
  checkpointIntervalMs: number
  guarantee: 'exactly-once' | 'at-least-once'
  /** Tasks: 1 runs inline, more run on worker threads. */
  parallelism: number
}

/** Throws, naming the setting, unless `value` is a LifeSettings. */
export function checkLifeSettings(value: unknown): LifeSettings {
  const s = value as Partial<LifeSettings> | null
  if (s === null || typeof s !== 'object') throw new Error(`the life settings must be an object, got ${JSON.stringify(value)}`)
  if (typeof s.pace !== 'number' || !(s.pace >= 0)) throw new Error(`setting pace must be a number >= 0, got ${JSON.stringify(s.pace)}`)
  if (typeof s.checkpointIntervalMs !== 'number' || !(s.checkpointIntervalMs > 0)) throw new Error(`setting checkpointIntervalMs must be a number > 0, got ${JSON.stringify(s.checkpointIntervalMs)}`)
  if (s.guarantee !== 'exactly-once' && s.guarantee !== 'at-least-once') throw new Error(`setting guarantee must be 'exactly-once' or 'at-least-once', got ${JSON.stringify(s.guarantee)}`)
  if (!Number.isSafeInteger(s.parallelism) || (s.parallelism as number) < 1) throw new Error(`setting parallelism must be an integer >= 1, got ${JSON.stringify(s.parallelism)}`)
  return { pace: s.pace, checkpointIntervalMs: s.checkpointIntervalMs, guarantee: s.guarantee, parallelism: s.parallelism as number }
}
