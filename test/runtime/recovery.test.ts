import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JobFailedError, runJob, startJob } from '../../src/index.js'
import { decodeCheckpoint } from '../../src/runtime/checkpoint.js'
import job, { committedFiles, committedOutput, ledgerOf, ledgersOf } from './jobs/recovery.job.js'

const COUNT = 12_000
const root = mkdtempSync(join(tmpdir(), 'eddy-recovery-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const sortedJson = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()

let reference: string[] = []

/** The job at parallelism 2 on workers, exactly-once with a checkpoint store, whose map kills its worker once after 7 000 records. */
function runWithOneWorkerDeath(name: string, failHow: 'exit' | 'throw', params: Record<string, unknown> = {}) {
  return runJob(job, {
    executor: 'workers',
    parallelism: 2,
    guarantee: 'exactly-once',
    checkpoints: { dir: join(root, name), intervalMs: 50 },
    restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 20 },
    params: { count: COUNT, rate: 20_000, ledger: name, failAt: 7_000, failHow, marker: join(root, `${name}.marker`), ...params },
  })
}

describe('recovery', () => {
  it('has a failure-free reference run', async () => {
    await runJob(job, { params: { count: COUNT, rate: 1e9, ledger: 'reference' } })
    reference = committedOutput('reference')
    expect(reference.length).toBeGreaterThan(100)
  })

  it('exactly-once through a two-phase sink across a crash: the restarted job resumes from the store and commits each row once', async () => {
    // A crash is simulated by a ledger that stops committing and a cancel; the second start finds the newest checkpoint in the directory,
    // recovers the sink (finishing the stored transaction, discarding newer ones) and completes the output: equal to the reference, no duplicate.
    const dir = join(root, 'crash')
    const name = 'crash'
    const options = { guarantee: 'exactly-once' as const, checkpoints: { dir, intervalMs: 50 } }
    const first = await startJob(job, { ...options, params: { count: COUNT, rate: 20_000, ledger: name } })
    while (ledgerOf(`${name}/windows`).committed.length < 2) await sleep(20)
    for (const ledger of ledgersOf(name)) ledger.crashed = true
    await sleep(120)
    await first.cancel()
    expect(committedOutput(name).length).toBeLessThan(reference.length)
    const stored = readdirSync(dir).filter((f) => f.startsWith('checkpoint-'))
    expect(stored.length).toBeGreaterThan(0)
    expect(stored.length).toBeLessThanOrEqual(3)

    for (const ledger of ledgersOf(name)) ledger.crashed = false
    const second = await startJob(job, { ...options, params: { count: COUNT, rate: 1e9, ledger: name } })
    const result = await second.done
    // recover() ran before any write, with the checkpoint the store held and that checkpoint's prepared transaction.
    const newestStoredId = Math.max(...stored.map((f) => Number(f.slice(11, 23))))
    for (const ledger of ledgersOf(name)) expect(ledger.recovers).toEqual([{ checkpointId: newestStoredId, txn: newestStoredId }])
    expect(result.metrics.checkpoints.every((c) => c.id > newestStoredId)).toBe(true)
    expect(committedOutput(name)).toEqual(reference)
  }, 30_000)

  it('resume: false starts afresh beside a store that holds checkpoints, numbering above them', async () => {
    // A first run leaves checkpoints 1 and 2 in the store; with resume: false the next run reads from the start (full output) and its first checkpoint is 3.
    const dir = join(root, 'fresh')
    const first = await startJob(job, { params: { count: COUNT, rate: 20_000, ledger: 'fresh-1', collect: true }, checkpoints: { dir } })
    await first.checkpoint()
    await first.checkpoint()
    await first.cancel()
    expect(readdirSync(dir).filter((f) => f.startsWith('checkpoint-'))).toHaveLength(2)
    const second = await startJob(job, { params: { count: COUNT, rate: 20_000, ledger: 'fresh-2', collect: true }, checkpoints: { dir }, resume: false })
    const checkpoint = await second.checkpoint()
    const result = await second.done
    expect(checkpoint.id).toBe(3)
    expect(sortedJson(result.collected.get('out')!)).toEqual(sortedJson(referenceRows()))
  }, 30_000)

  for (const failHow of ['exit', 'throw'] as const) {
    it(`workers: a worker thread that dies (${failHow === 'exit' ? 'process.exit' : 'uncaught error from a timer'}) mid-run is restarted from the last checkpoint, with output identical to an unfailed run`, async () => {
      // The map kills its worker once, after 7 000 of 12 000 records (a marker file keeps the restarted attempt alive);
      // the restart strategy tears down every task, restores the newest checkpoint into fresh workers and recovers the sink.
      const name = `worker-death-${failHow}`
      const result = await runWithOneWorkerDeath(name, failHow)
      expect(result.metrics.restarts).toBe(1)
      const recovers = ledgerOf(`${name}/windows`).recovers
      expect(recovers).toHaveLength(1)
      expect(recovers[0].checkpointId).toBeGreaterThan(0)
      expect(committedOutput(name)).toEqual(reference)
    }, 40_000)
  }

  it('workers: task-run two-phase sinks prepare and commit in their worker threads, and recover after a worker dies', async () => {
    // The sinks run in the tasks (prepare/commit inside the worker threads); a worker exits once mid-run; the committed files hold each row once.
    const name = 'task-sinks'
    const dir = join(root, `${name}-out`)
    const result = await runWithOneWorkerDeath(name, 'exit', { taskSinkDir: dir })
    expect(result.metrics.restarts).toBe(1)
    const prepared = result.metrics.checkpoints.filter((c) => c.status === 'completed')
    expect(prepared.length).toBeGreaterThan(0)
    // Checkpoints committed files in the workers (not only the end of input), and none prepared is left over.
    expect(readdirSync(dir).filter((f) => /^committed-\d+-/.test(f)).length).toBeGreaterThan(0)
    expect(readdirSync(dir).filter((f) => f.startsWith('prepared-'))).toEqual([])
    expect(committedFiles(dir)).toEqual(reference)
  }, 40_000)

  it('at-least-once: an inline job that throws once restarts from its last in-memory checkpoint; every result arrives at least once', async () => {
    // No store: the restart restores the newest checkpoint this process took. collect() writes directly, so what came after it is replayed.
    const name = 'at-least-once-restart'
    const result = await runJob(job, {
      checkpointIntervalMs: 30,
      restart: { strategy: 'fixed-delay', attempts: 1, delayMs: 10 },
      params: { count: COUNT, rate: 20_000, ledger: name, collect: true, failAt: 7_000, failHow: 'throw', marker: join(root, `${name}.marker`) },
    })
    expect(result.metrics.restarts).toBe(1)
    const got = sortedJson(result.collected.get('out')!)
    const expected = sortedJson(referenceRows())
    expect(new Set(got)).toEqual(new Set(expected))
    expect(got.length).toBeGreaterThanOrEqual(expected.length)
    // Replay started at a checkpoint, not at the beginning: far fewer repeats than a second full run.
    expect(got.length - expected.length).toBeLessThan(expected.length / 2)
  }, 30_000)

  it('fails with an error naming the cause once the restart attempts are used up', async () => {
    // The map throws at record 500 on every attempt: 1 run + 2 restarts, then a JobFailedError carrying the cause.
    const started = Date.now()
    const failing = runJob(job, { restart: { strategy: 'fixed-delay', attempts: 2, delayMs: 30 }, params: { count: 2_000, rate: 1e9, ledger: 'exhausted', failAt: 500, collect: true } })
    await expect(failing).rejects.toThrow(/job "recovery" failed 3 times \(restart strategy fixed-delay, 2 attempts, 30 ms apart\); last cause: .*operator failed at record 500/)
    await expect(failing).rejects.toBeInstanceOf(JobFailedError)
    expect(Date.now() - started).toBeGreaterThanOrEqual(60)
  })

  it('a failed checkpoint is recorded and the job goes on to the same output', async () => {
    // prepare() throws at the first two checkpoints; they are marked failed, later ones commit, and the output is complete and single.
    const name = 'failed-prepare'
    for (const ledger of ledgersOf(name)) ledger.failPrepares = 2
    const result = await runJob(job, { guarantee: 'exactly-once', checkpointIntervalMs: 30, params: { count: COUNT, rate: 20_000, ledger: name } })
    const statuses = result.metrics.checkpoints.map((c) => c.status)
    expect(statuses.filter((s) => s === 'failed').length).toBeGreaterThanOrEqual(1)
    expect(statuses).toContain('completed')
    expect(committedOutput(name)).toEqual(reference)
  }, 30_000)
})

describe('slow checkpoints', () => {
  it('a checkpoint stuck past checkpoints.timeoutMs fails, the sources resume, and later checkpoints commit everything once', async () => {
    // The windows sink's prepare never settles once: that checkpoint is abandoned after 150 ms; its rows ride along with the next commit.
    const name = 'stuck-prepare'
    ledgerOf(`${name}/windows`).hangPrepares = 1
    const result = await runJob(job, { guarantee: 'exactly-once', checkpoints: { intervalMs: 30, timeoutMs: 150 }, params: { count: COUNT, rate: 20_000, ledger: name } })
    const checkpoints = result.metrics.checkpoints
    expect(checkpoints[0].status).toBe('failed')
    expect(checkpoints[0].durationMs).toBeGreaterThanOrEqual(150)
    expect(checkpoints.filter((c) => c.status === 'completed').length).toBeGreaterThan(0)
    expect(committedOutput(name)).toEqual(reference)
  }, 30_000)
})

describe('savepoints', () => {
  for (const [from, to] of [
    [{ executor: 'inline', parallelism: 1 }, { executor: 'inline', parallelism: 1 }],
    [{ executor: 'workers', parallelism: 2 }, { executor: 'inline', parallelism: 1 }],
  ] as const) {
    it(`stop with a savepoint (${from.executor} p${from.parallelism}), resume from its file (${to.executor} p${to.parallelism}): same output as an uninterrupted run`, async () => {
      // Nothing is processed after the savepoint and open windows do not fire, so the first run's output plus the resumed run's is the reference.
      const file = join(root, `savepoints-${from.parallelism}-${to.parallelism}`, 'stop.ckpt')
      const params = { count: COUNT, rate: 20_000, ledger: 'unused', collect: true }
      const first = await startJob(job, { ...from, params })
      await sleep(250)
      const savepoint = await first.stopWithSavepoint(file)
      const firstResult = await first.done
      expect(firstResult.metrics.status).toBe('cancelled')
      expect(savepoint.path).toBe(file)
      const content = decodeCheckpoint(savepoint.bytes)
      expect(content.savepoint).toBe(true)
      expect(content.splits[0].position).toBeGreaterThan(0)
      expect(content.splits[0].position).toBeLessThan(COUNT)
      const second = await runJob(job, { ...to, params: { ...params, rate: 1e9 }, restore: file })
      const both = [...(firstResult.collected.get('out') ?? []), ...(second.collected.get('out') ?? [])]
      expect(sortedJson(both)).toEqual(sortedJson(referenceRows()))
    }, 30_000)
  }

  it('handle.savepoint writes a file and lets the job run on', async () => {
    const dir = join(root, 'on-demand') + '/'
    const handle = await startJob(job, { params: { count: COUNT, rate: 40_000, ledger: 'unused', collect: true } })
    await sleep(100)
    const savepoint = await handle.savepoint(dir)
    expect(savepoint.path).toMatch(/savepoint-\d{12}\.ckpt$/)
    const result = await handle.done
    expect(result.metrics.status).toBe('finished')
    expect(sortedJson(result.collected.get('out')!)).toEqual(sortedJson(referenceRows()))
  }, 30_000)
})

/** The reference output as collect() gives it (rows of both sinks, untagged). */
function referenceRows(): unknown[] {
  return reference.map((line) => JSON.parse(line.slice(line.indexOf(' ') + 1)))
}

describe('delivery guarantee options', () => {
  const params = { count: 10, rate: 1e9, ledger: 'options' }
  it('refuses what cannot be honoured, naming the option or the sink', async () => {
    await expect(runJob(job, { params, guarantee: 'exactly-once' })).rejects.toThrow(/guarantee: 'exactly-once' needs checkpoints/)
    await expect(runJob(job, { params: { ...params, collect: true }, guarantee: 'exactly-once', checkpointIntervalMs: 100 })).rejects.toThrow(
      /'exactly-once' needs every sink to take part in checkpoints, and sink\(collect out\) \(kind collect\) has neither prepare\(\)\/commit\(\) nor checkpoint\(\)/,
    )
    await expect(runJob(job, { params, guarantee: 'twice' as never })).rejects.toThrow(/guarantee: must be one of 'at-most-once', 'at-least-once', 'exactly-once', got twice/)
    await expect(runJob(job, { params, guarantee: 'at-most-once', restart: { strategy: 'fixed-delay', attempts: 1, delayMs: 0 } })).rejects.toThrow(/restart: 'at-most-once' never replays input/)
    await expect(runJob(job, { params, restart: { strategy: 'fixed-delay', attempts: 0, delayMs: 0 } })).rejects.toThrow(/restart\.attempts: must be an integer >= 1, got 0/)
    await expect(runJob(job, { params, restart: { strategy: 'exponential' } as never })).rejects.toThrow(/restart: must be \{ strategy: 'fixed-delay'/)
    await expect(runJob(job, { params, checkpoints: { intervalMs: -1 } })).rejects.toThrow(/checkpoints\.intervalMs: must be a number of ms > 0, got -1/)
    await expect(runJob(job, { params, resume: 'oldest' as never })).rejects.toThrow(/resume: must be 'latest' or false/)
    await expect(runJob(job, { params, restore: join(root, 'nope.ckpt') })).rejects.toThrow(/restore: cannot read checkpoint file .*nope\.ckpt/)
  })

  it('at-least-once (the default) never calls prepare or commit; the sink commits only at the end', async () => {
    const result = await runJob(job, { params: { count: COUNT, rate: 1e9, ledger: 'at-least-once' }, checkpointIntervalMs: 5 })
    expect(result.metrics.status).toBe('finished')
    for (const ledger of ledgersOf('at-least-once')) expect(ledger.committed.map((c) => c.txn)).toEqual([Number.MAX_SAFE_INTEGER])
    expect(committedOutput('at-least-once')).toEqual(reference)
  })
})
