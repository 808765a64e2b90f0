import { describe, expect, it } from 'vitest'
import { runJob } from '../../src/index.js'
import { idleThreadCount } from '../../src/runtime/thread-pool.js'
import job from './jobs/windowed.job.js'
import recovery from './jobs/recovery.job.js'

function canonical(records: unknown[]): string[] {
  return records.map((r) => JSON.stringify(r)).sort()
}

describe('worker threads are kept between jobs', () => {
  it('a job that ended cleanly leaves its threads for the next, which runs on them with the same results', async () => {
    // Two runs of one job at parallelism 2: the first leaves two idle threads, the second takes them
    // (none is left idle while it runs), gives the same output, and starts without paying the
    // threads' start-up again (its duration is close to its processing time).
    const before = idleThreadCount()
    const first = await runJob(job, { params: { count: 20_000 }, parallelism: 2, executor: 'workers' })
    expect(idleThreadCount()).toBe(before + 2)
    const second = runJob(job, { params: { count: 20_000 }, parallelism: 2, executor: 'workers' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(idleThreadCount()).toBe(before)
    const result = await second
    expect(idleThreadCount()).toBe(before + 2)
    for (const name of ['windows', 'late', 'sliding', 'custom']) expect(canonical(result.collected.get(name) ?? []), name).toEqual(canonical(first.collected.get(name) ?? []))
    expect(result.durationMs - result.runMs).toBeLessThan(first.durationMs - first.runMs)
  }, 60_000)

  it('p4 on warm threads agrees with inline p1, run after run (start-time ends are applied before any data)', async () => {
    // Warm threads start fast, so one task's data once came in before another task's start-time ends
    // and a window took a few late records as on time (~1 run in 6 here); every run must match.
    const reference = await runJob(job, { params: { count: 40_000 }, parallelism: 1, executor: 'inline' })
    for (let run = 0; run < 6; run++) {
      const result = await runJob(job, { params: { count: 40_000 }, parallelism: 4, executor: 'workers' })
      for (const name of ['windows', 'late', 'sliding', 'custom', 'tumbling']) {
        expect(canonical(result.collected.get(name) ?? []), `run ${run}: ${name}`).toEqual(canonical(reference.collected.get(name) ?? []))
      }
    }
  }, 120_000)

  it('a failed job does not leave its threads behind', async () => {
    // A map that throws in the worker fails the job; its threads (idle ones it took, or new) may still be
    // busy, so none of them is kept.
    const before = idleThreadCount()
    await expect(runJob(recovery, { params: { count: 2_000, rate: 1e9, ledger: 'thread-pool', failAt: 500, collect: true }, parallelism: 2, executor: 'workers' })).rejects.toThrow(/failed at record 500/)
    expect(idleThreadCount()).toBe(before - Math.min(before, 2))
  }, 60_000)
})
