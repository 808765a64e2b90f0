import { beforeAll, describe, expect, it } from 'vitest'
import { agg, defineJob, runJob, sinks, sources, startJob, windows, type Checkpoint } from '../../src/index.js'
import { decodeCheckpoint, encodeCheckpoint } from '../../src/runtime/checkpoint.js'
import job, { SINKS } from './jobs/rescale.job.js'
import { committedRows, storeOf } from './jobs/checkpointed.job.js'

const COUNT = 6_000
const PAUSE = 2_900
const sorted = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).sort()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every sink's committed rows, sorted (task order differs between parallelisms; the rows must not). */
function outputs(store: string): Record<string, string[]> {
  return Object.fromEntries(SINKS.map((s) => [s, sorted(committedRows(storeOf(`${store}-${s}`)))]))
}

/** Runs the job until its source waits at record PAUSE, takes a checkpoint there, and "crashes" (nothing more is committed). */
async function checkpointAtPause(store: string, options: { executor: 'inline' | 'workers'; parallelism: number }): Promise<Checkpoint> {
  const handle = await startJob(job, { ...options, params: { count: COUNT, pauseAt: PAUSE, store } })
  // Both sources (readings, and the levels table) wait at record PAUSE.
  const paused = () => {
    const sources = handle.metrics().operators.filter((o) => o.kind === 'source')
    return sources.length === 2 && sources.every((o) => o.recordsOut >= PAUSE)
  }
  while (!paused()) await sleep(10)
  const checkpoint = await handle.checkpoint()
  for (const s of SINKS) storeOf(`${store}-${s}`).crashed = true
  await handle.cancel()
  await handle.done.catch(() => {})
  for (const s of SINKS) storeOf(`${store}-${s}`).crashed = false
  return checkpoint
}

let reference: Record<string, string[]>

beforeAll(async () => {
  await runJob(job, { parallelism: 2, executor: 'inline', params: { count: COUNT, pauseAt: Infinity, store: 'reference' } })
  reference = outputs('reference')
})

describe('rescaling through a checkpoint', () => {
  it('has a reference run at parallelism 2 with output in every sink', () => {
    for (const s of SINKS) expect(reference[s].length, s).toBeGreaterThan(20)
  })

  // Each case stops at the same record, checkpoints, and resumes at another parallelism: every sink's
  // committed output (before the checkpoint + after the restore) must equal the uninterrupted run's.
  for (const executor of ['inline', 'workers'] as const) {
    for (const [from, to] of [[2, 1], [1, 2], [2, 4]] as const) {
      it(`${executor}: checkpointed at parallelism ${from}, restored at ${to}, gives the uninterrupted output`, async () => {
        const store = `${executor}-${from}-${to}`
        const checkpoint = await checkpointAtPause(store, { executor, parallelism: from })
        const content = decodeCheckpoint(checkpoint.bytes)
        expect(content.parallelism).toBe(from)
        expect(content.splits.map((s) => s.position)).toEqual([PAUSE, PAUSE])
        expect(content.notRestored).toEqual([])
        expect(content.operators?.map((o) => o.uid)).toContain('bucket-counts')
        const before = outputs(store)
        // The cut is mid-run: some output before it and some after, in every sink.
        for (const s of SINKS) {
          expect(before[s].length, s).toBeGreaterThan(0)
          expect(before[s].length, s).toBeLessThan(reference[s].length)
        }
        await runJob(job, { executor, parallelism: to, params: { count: COUNT, pauseAt: Infinity, store }, restore: checkpoint })
        expect(outputs(store)).toEqual(reference)
      }, 60_000)
    }
  }
})

describe('restoring into a changed job', () => {
  it('v2 (a map before the keyBy, a filter after the window, new sinks) restored from v1 continues v1 exactly: v1 before + v2 after = v2 from scratch', async () => {
    await runJob(job, { params: { count: COUNT, pauseAt: Infinity, store: 'scratch', variant: 'v2' } })
    const scratch = sorted(committedRows(storeOf('scratch-v2-tumbling')))
    const checkpoint = await checkpointAtPause('kappa', { executor: 'inline', parallelism: 2 })
    await runJob(job, { parallelism: 1, params: { count: COUNT, pauseAt: Infinity, store: 'kappa', variant: 'v2' }, restore: checkpoint })
    const v1Before = (committedRows(storeOf('kappa-tumbling')) as { result: { n: number } }[]).filter((w) => w.result.n % 2 === 0)
    const v2After = committedRows(storeOf('kappa-v2-tumbling'))
    expect(v2After.length).toBeGreaterThan(0)
    expect(sorted([...v1Before, ...v2After])).toEqual(scratch)
    // The other operators' state moved to their new node ids too: the process function's output continues.
    expect(sorted([...committedRows(storeOf('kappa-process')), ...committedRows(storeOf('kappa-v2-process'))])).toEqual(reference.process)
  }, 60_000)

  it('refuses state it cannot place, naming the operator, unless allowNonRestoredState drops it', async () => {
    const checkpoint = await checkpointAtPause('orphan', { executor: 'inline', parallelism: 1 })
    const content = decodeCheckpoint(checkpoint.bytes)
    // A checkpoint naming a process function this job does not have (its uid changed).
    const renamed = content.operators!.map((o) => (o.uid === 'bucket-counts' ? { ...o, uid: 'old-counts' } : o))
    const bytes = encodeCheckpoint({ ...content, operators: renamed })
    const params = { count: COUNT, pauseAt: Infinity, store: 'orphan-restored' }
    await expect(runJob(job, { params, restore: { id: content.id, bytes } })).rejects.toThrow(/state for "old-counts" \(operator \d+\), which this job does not have.*allowNonRestoredState/)
    await runJob(job, { params, restore: { id: content.id, bytes }, allowNonRestoredState: true })
    // The process function restarted empty: its buckets open at the checkpoint count fewer records than the reference's.
    const restarted = committedRows(storeOf('orphan-restored-process')) as { count: number }[]
    expect(restarted.length).toBeGreaterThan(0)
    // The windows' state was restored: their output after the checkpoint is the reference's.
    const windowsAfter = sorted([...committedRows(storeOf('orphan-tumbling')), ...committedRows(storeOf('orphan-restored-tumbling'))])
    expect(windowsAfter).toEqual(reference.tumbling)
  }, 60_000)

  it('refuses another maxParallelism, naming both values', async () => {
    const checkpoint = await checkpointAtPause('maxp', { executor: 'inline', parallelism: 2 })
    const params = { count: COUNT, pauseAt: Infinity, store: 'maxp-restored' }
    await expect(runJob(job, { params, parallelism: 2, maxParallelism: 64, restore: checkpoint })).rejects.toThrow(/maxParallelism 128.*64|128.*maxParallelism.*64/)
  }, 60_000)

  it('refuses state whose operator changed kind, naming the uid and both kinds', async () => {
    const checkpoint = await checkpointAtPause('kinds', { executor: 'inline', parallelism: 1 })
    const content = decodeCheckpoint(checkpoint.bytes)
    const windowUid = content.operators!.find((o) => o.kind === 'window')!.uid
    // The process function's state now claims the uid of a window (and the window's, the process function's).
    const swapped = content.operators!.map((o) => (o.uid === 'bucket-counts' ? { ...o, uid: windowUid } : o.uid === windowUid ? { ...o, uid: 'bucket-counts' } : o))
    const bytes = encodeCheckpoint({ ...content, operators: swapped })
    await expect(runJob(job, { params: { count: COUNT, pauseAt: Infinity, store: 'kinds-restored' }, restore: { id: content.id, bytes } })).rejects.toThrow(/uid "[^"]+" was a (process|window) in the checkpoint and is a (window|process) in this job/)
  }, 60_000)

  it('refuses a source whose number of splits follows the parallelism, naming both counts', async () => {
    // A generator without a fixed split count has one split per task: its positions cannot move to another parallelism.
    const generated = defineJob<{ out: string }>({
      name: 'generated',
      build(env, params) {
        env
          .source(sources.generator({ generate: (i) => ({ k: i % 5, ts: i }), count: 100_000, ratePerSecond: 1_000, timestamp: (r: { k: number; ts: number }) => r.ts }))
          .keyBy((r) => r.k)
          .window(windows.tumbling({ size: 100 }))
          .aggregate(agg.count())
          .sink(sinks.collect(params.out))
      },
    })
    const handle = await startJob(generated, { parallelism: 2, executor: 'inline', params: { out: 'g' } })
    const checkpoint = await handle.checkpoint()
    await handle.cancel()
    await handle.done.catch(() => {})
    await expect(runJob(generated, { parallelism: 1, params: { out: 'g1' }, restore: checkpoint })).rejects.toThrow(/source 0 \(source\(generator\)\) had 2 splits when the checkpoint was taken and has 1 now.*splits: 2/)
  }, 60_000)

  it('refuses a uid given to two operators', async () => {
    const twice = defineJob<Record<string, never>>({
      name: 'twice',
      build(env) {
        const s = env.source(sources.fromArray([{ k: 1, ts: 1 }], { timestamp: (r: { k: number; ts: number }) => r.ts })).keyBy((r) => r.k)
        s.window(windows.tumbling({ size: 10 })).aggregate(agg.count()).uid('counts').sink(sinks.collect('a'))
        s.window(windows.tumbling({ size: 20 })).aggregate(agg.count()).uid('counts').sink(sinks.collect('b'))
      },
    })
    await expect(runJob(twice)).rejects.toThrow(/"counts" is given to operator 2 .* and operator 4 .*uids must be unique/)
  })
})
