// The job supervisor: runs a job as a series of attempts. When an attempt
// fails — a task threw, a worker thread died — it waits, restores the newest
// complete checkpoint into a fresh attempt (new tasks, new workers, sources
// seeked to the stored positions, sinks recovered) and goes on, up to the
// restart strategy's number of attempts. It also turns checkpoints into
// savepoints. Portable: the savepoint file is written through a lazy import.
import { StreamConfigError } from '../stream/errors.js'
import type { Checkpoint, CheckpointContent } from './checkpoint.js'
import type { AttemptHandle, JobHandle, JobResult, Savepoint } from './run-job.js'
import type { DeliveryGuarantee } from './task.js'

/** Restart a failed job after `delayMs`, at most `attempts` times over its life. */
export interface RestartStrategy {
  strategy: 'fixed-delay'
  attempts: number
  delayMs: number
}

const GUARANTEES: DeliveryGuarantee[] = ['at-most-once', 'at-least-once', 'exactly-once']

export function checkGuarantee(guarantee: unknown, job: { checkpoints: boolean }): DeliveryGuarantee {
  if (guarantee === undefined) return 'at-least-once'
  if (!GUARANTEES.includes(guarantee as DeliveryGuarantee)) throw new StreamConfigError('guarantee', `must be one of ${GUARANTEES.map((g) => `'${g}'`).join(', ')}, got ${String(guarantee)}`)
  if (guarantee === 'exactly-once' && !job.checkpoints) {
    throw new StreamConfigError('guarantee', "'exactly-once' needs checkpoints: set checkpoints: { dir, intervalMs } (or checkpointIntervalMs)")
  }
  return guarantee as DeliveryGuarantee
}

export function checkRestart(restart: unknown, guarantee: DeliveryGuarantee): RestartStrategy | undefined {
  if (restart === undefined) return undefined
  const r = restart as Partial<RestartStrategy>
  if (typeof restart !== 'object' || restart === null || r.strategy !== 'fixed-delay') {
    throw new StreamConfigError('restart', `must be { strategy: 'fixed-delay', attempts, delayMs }, got ${JSON.stringify(restart)}`)
  }
  if (!Number.isSafeInteger(r.attempts) || (r.attempts as number) < 1) throw new StreamConfigError('restart.attempts', `must be an integer >= 1, got ${String(r.attempts)}`)
  if (typeof r.delayMs !== 'number' || !Number.isFinite(r.delayMs) || r.delayMs < 0) throw new StreamConfigError('restart.delayMs', `must be a number of ms >= 0, got ${String(r.delayMs)}`)
  // A restart replays input from the last checkpoint: at-most-once promises never to do that.
  if (guarantee === 'at-most-once') throw new StreamConfigError('restart', "'at-most-once' never replays input, so it cannot restart; choose 'at-least-once' or 'exactly-once'")
  return { strategy: 'fixed-delay', attempts: r.attempts as number, delayMs: r.delayMs }
}

/** The job failed and the restart strategy gave up (or there is none and it had restarted before). */
export class JobFailedError extends Error {
  override name = 'JobFailedError'
  constructor(
    message: string,
    readonly restarts: number,
    override readonly cause: unknown,
  ) {
    super(message)
  }
}

export interface SupervisorSetup {
  name: string
  /** Starts an attempt from `restore` (undefined: from the beginning); `restarted` after a failure (sinks recover even with no checkpoint). */
  attempt(restore: CheckpointContent | undefined, restarted: boolean): Promise<AttemptHandle>
  /** The checkpoint the first attempt resumes from (a restore option, or the store's newest). */
  initial: CheckpointContent | undefined
  restart: RestartStrategy | undefined
  /** The newest complete checkpoint when a restart happens. */
  latest(): Promise<CheckpointContent | undefined>
  guarantee: DeliveryGuarantee
  /** The job's cancel signal: once aborted, a failure is not restarted. */
  signal?: AbortSignal
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error))

export async function superviseJob(setup: SupervisorSetup): Promise<JobHandle> {
  let current = await setup.attempt(setup.initial, false)
  let restarts = 0
  // Set by cancel and stop-with-savepoint: a failure after it is not restarted.
  let stopping = false

  const canRestart = (error: unknown): boolean => !stopping && setup.signal?.aborted !== true && setup.restart !== undefined && restarts < setup.restart.attempts && !(error instanceof StreamConfigError)

  const giveUp = (error: unknown): unknown => {
    if (setup.restart === undefined || error instanceof StreamConfigError || stopping) return error
    return new JobFailedError(`job "${setup.name}" failed ${restarts + 1} times (restart strategy fixed-delay, ${setup.restart.attempts} attempts, ${setup.restart.delayMs} ms apart); last cause: ${messageOf(error)}`, restarts, error)
  }

  const done = (async (): Promise<JobResult> => {
    for (;;) {
      let failure: unknown
      try {
        const result = await current.done
        result.metrics.restarts = restarts
        return result
      } catch (error) {
        failure = error
      }
      // Restart until an attempt starts, or the strategy gives up.
      for (;;) {
        if (!canRestart(failure)) throw giveUp(failure)
        restarts++
        await sleep(setup.restart!.delayMs)
        if (stopping || setup.signal?.aborted) throw failure
        try {
          current = await setup.attempt(await setup.latest(), true)
          break
        } catch (error) {
          failure = error
        }
      }
    }
  })()

  const savepoint = async (path: string, stop: boolean): Promise<Savepoint> => {
    if (typeof path !== 'string' || path === '') throw new StreamConfigError('savepoint', 'needs a file or directory path')
    const { writeSavepoint } = await import('./checkpoint-store.js')
    let file = path
    const write = async (checkpoint: Checkpoint) => void (file = await writeSavepoint(path, checkpoint))
    if (stop) stopping = true
    try {
      const checkpoint = await current.checkpoint({ savepoint: true, keepPaused: stop, write })
      if (stop) await current.cancel()
      return { ...checkpoint, path: file }
    } catch (error) {
      // A failed savepoint is a failed checkpoint: the job goes on.
      if (stop) stopping = false
      throw error
    }
  }

  return {
    name: setup.name,
    metrics: () => ({ ...current.metrics(), restarts }),
    done,
    async cancel() {
      stopping = true
      // Under exactly-once a cancel closes the sinks, which commits what they hold: take a last checkpoint first (sources left
      // parked), so that what gets committed is exactly what that checkpoint covers and a restart from it repeats nothing.
      if (setup.guarantee === 'exactly-once') await current.checkpoint({ keepPaused: true }).catch(() => {})
      await current.cancel()
      await done.catch(() => {})
    },
    checkpoint: () => current.checkpoint(),
    savepoint: (path) => savepoint(path, false),
    stopWithSavepoint: (path) => savepoint(path, true),
  }
}
