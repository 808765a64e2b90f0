import { describe, expect, it } from 'vitest'
import { runJob, startJob } from '../../src/index.js'
import { decodeCheckpoint } from '../../src/runtime/checkpoint.js'
import job, { committedRows, storeOf } from './jobs/checkpointed.job.js'

const COUNT = 12_000
const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('checkpoints', () => {
  it('has a failure-free reference run', async () => {
    await runJob(job, { params: { count: COUNT, rate: 1e9, store: 'reference' } })
    expect(committedRows(storeOf('reference')).length).toBeGreaterThan(100)
  })

  for (const [executor, parallelism] of [['inline', 1], ['workers', 2]] as const) {
    it(`${executor} p${parallelism}: a crash, then a restore of the last committed checkpoint, gives the failure-free output: nothing lost, nothing twice`, async () => {
      const reference = committedRows(storeOf('reference'))
      const referenceRunning = committedRows(storeOf('reference-running'))
      expect(reference.length).toBeGreaterThan(100)
      const name = `crashy-${executor}`
      const options = { executor, parallelism }

      // Checkpoint every 100 ms while the source is held to 20k records/s; crash after a few checkpoints.
      const first = await startJob(job, { ...options, params: { count: COUNT, rate: 20_000, store: name }, checkpointIntervalMs: 100 })
      const windows = storeOf(name)
      const running = storeOf(`${name}-running`)
      // The two sinks commit one after the other: crash only between checkpoints, when both hold the same last one
      // (the check and the crash run in one tick, so no commit can come between them).
      while (windows.commits.length < 3 || running.commits.at(-1)?.id !== windows.commits.at(-1)?.id) await sleep(5)
      for (const store of [windows, running]) store.crashed = true
      await first.cancel()
      expect(first.metrics().checkpoints.filter((c) => c.status === 'completed').length).toBeGreaterThanOrEqual(windows.commits.length)
      const last = windows.commits.at(-1)!
      const content = decodeCheckpoint(last.bytes)
      const positions = content.splits.map((s) => s.position ?? 0)
      expect(Math.min(...positions)).toBeGreaterThan(0)
      expect(Math.max(...positions)).toBeLessThan(COUNT)
      expect(content.notRestored).toEqual([])
      // Both sinks committed the same checkpoints (they commit within one checkpoint).
      expect(running.commits.at(-1)!.id).toBe(last.id)

      // Restart from the last committed checkpoint.
      for (const store of [windows, running]) store.crashed = false
      await runJob(job, { ...options, params: { count: COUNT, rate: 1e9, store: name }, restore: { id: last.id, bytes: last.bytes } })
      expect(sorted(committedRows(windows))).toEqual(sorted(reference))
      expect(sorted(committedRows(running))).toEqual(sorted(referenceRunning))
    }, 60_000)
  }

  it('refuses a checkpoint of another job, another format or version', async () => {
    const params = { count: 10, rate: 1e9, store: 'refusals' }
    const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))
    const other = encode({ format: 'eddy/checkpoint', version: 1, job: 'other', id: 1, parallelism: 1, maxParallelism: 128, splits: [], state: [] })
    await expect(runJob(job, { params, restore: { id: 1, bytes: other } })).rejects.toThrow(/job "other", not "checkpointed"/)
    await expect(runJob(job, { params, restore: { id: 1, bytes: encode({ format: 'zip' }) } })).rejects.toThrow(/not a checkpoint/)
    await expect(runJob(job, { params, restore: { id: 1, bytes: encode({ format: 'eddy/checkpoint', version: 3 }) } })).rejects.toThrow(/version 3 is not supported/)
    await expect(runJob(job, { params, restore: { id: 1, bytes: new Uint8Array([0xff, 0xfe]) } })).rejects.toThrow(/not a checkpoint/)
  })
})

describe('cancel', () => {
  it('stops without firing open windows with partial data', async () => {
    const handle = await startJob(job, { params: { count: 1_000_000, rate: 20_000, store: 'cancelled' } })
    await sleep(300)
    await handle.cancel()
    const metrics = handle.metrics()
    expect(metrics.status).toBe('cancelled')
    const read = metrics.operators[0].recordsOut
    expect(read).toBeGreaterThan(0)
    expect(read).toBeLessThan(1_000_000)
    // Every window result written covers a window the watermark had passed: none is cut short by the cancel.
    const rows = committedRows(storeOf('cancelled')) as { windowEnd: number; result: { n: number } }[]
    const lastTs = (read - 1) * 50
    for (const row of rows) expect(row.windowEnd - 1).toBeLessThanOrEqual(lastTs)
    // Each key's windows hold 10_000 / 50 / 17 ≈ 11–12 readings; a cut-short window would hold fewer.
    for (const row of rows) expect(row.result.n).toBeGreaterThanOrEqual(11)
  })
})
