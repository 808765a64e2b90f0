// Checkpoints: what they cost a running job, how long one takes and how big
// it is for a large keyed state, and how fast a job recovers from one — each
// beside a peer measured in the same run.
//
// 1. Nexmark q5 (bench/nexmark/eddy-jobs.ts) at parallelism 1 (inline) and 2
//    (workers), with a checkpoint every second into a checkpoint store
//    (temp directory: atomic write with fsync) beside the same run without
//    checkpoints, run back to back in each round. Target: >= 0.9x. The
//    ratio is the median of the rounds' paired ratios (the machine is shared
//    and noisy; a pair shares its conditions), the rates are medians.
// 2. Checkpoint of 1,000,000 keys of window state (a tumbling-window count,
//    Wasm panes): duration (pause, snapshot, encode, durable write) beside
//    writing the same bytes to a file with fsync (the disk's own limit); size
//    beside 16 bytes per key (an 8-byte key and an 8-byte count, raw); and
//    how much of it the sources stood still (snapshot), the rest (encode,
//    CRC, write, fsync, commit) running beside the job.
// 3. Recovery: from startJob({ restore }) with that checkpoint until the
//    first record after the restore is processed, beside a fresh start of the
//    same job (no state) until its first record.
//
// Every case runs ROUNDS times, interleaved; the figure is the median.
import { mkdtempSync, openSync, closeSync, fsyncSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { median, rateRow, type BenchRow } from '../lib.js'
import { agg, defineJob, runJob, sinks, startJob, windows, type SourceReader, type SourceSpec } from '../../src/index.js'
import nexmark from '../nexmark/eddy-jobs.js'
import { decodeCheckpoint } from '../../src/runtime/checkpoint.js'

const EVENTS = Number(process.env.CHECKPOINT_BENCH_EVENTS ?? 8_000_000)
const ROUNDS = Number(process.env.CHECKPOINT_BENCH_ROUNDS ?? 5)
const KEYS = Number(process.env.CHECKPOINT_BENCH_KEYS ?? 1_000_000)
const AFTER_RESTORE = 1_000
const INTERVAL_MS = 1_000

const scratch = mkdtempSync(join(tmpdir(), 'eddy-bench-checkpoint-'))
let runs = 0

/** q5 events/s, with checkpoints every second (into a fresh store) or without. */
async function q5Rate(parallelism: number, checkpointed: boolean): Promise<{ rate: number; completed: number; durationsMs: number[]; pausedMs: number[] }> {
  const result = await runJob(nexmark, {
    params: { query: 'q5', events: EVENTS },
    parallelism,
    executor: parallelism === 1 ? 'inline' : 'workers',
    checkpoints: checkpointed ? { dir: join(scratch, `q5-${runs++}`), intervalMs: INTERVAL_MS } : undefined,
  })
  const completed = result.metrics.checkpoints.filter((c) => c.status === 'completed')
  if (checkpointed && completed.length === 0) throw new Error('q5 with checkpoints took none: raise CHECKPOINT_BENCH_EVENTS')
  return { rate: EVENTS / (result.runMs / 1000), completed: completed.length, durationsMs: completed.map((c) => c.durationMs), pausedMs: completed.map((c) => c.pausedMs ?? c.durationMs) }
}

// The large-state job: KEYS distinct keys in one tumbling window, then the
// source holds (empty batches) so the state stays while a checkpoint is taken.
// After a restore it reads AFTER_RESTORE more records and ends.
let firstRecordAt = 0
const held = (total: number, hold: boolean): SourceSpec<{ key: number }> => ({
  kind: 'bench-held',
  name: 'source(held)',
  runsIn: 'task',
  maxOutOfOrdernessMs: 0,
  batchSize: 4096,
  splits: () => 1,
  open(_split, _splits, _context, from = 0): SourceReader<{ key: number }> {
    let index = from
    return {
      async next(max) {
        if (index >= total) return null
        if (hold && index >= KEYS) {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return { values: [], timestamps: [] }
        }
        const values: { key: number }[] = []
        const timestamps: number[] = []
        const end = Math.min(total, index + max, hold ? KEYS : total)
        for (; index < end; index++) {
          values.push({ key: index % KEYS })
          timestamps.push(1_000 + (index % 1_000))
        }
        return { values, timestamps, position: index }
      },
    }
  },
})

const largeState = defineJob<{ hold: boolean }>({
  name: 'checkpoint-bench-large-state',
  build(env, params) {
    env
      .source(held(KEYS + AFTER_RESTORE, params.hold))
      .map((r) => {
        if (firstRecordAt === 0) firstRecordAt = performance.now()
        return r
      })
      .keyBy((r) => r.key)
      .window(windows.tumbling({ size: 3_600_000 }))
      .aggregate(agg.count())
      .sink(sinks.discard())
  },
})

/** Fills KEYS keys of window state, takes one checkpoint into a store, cancels. */
async function largeCheckpoint(): Promise<{ durationMs: number; pausedMs: number; bytes: Uint8Array; stateSize: number }> {
  const handle = await startJob(largeState, { params: { hold: true }, checkpoints: { dir: join(scratch, `large-${runs++}`) } })
  for (;;) {
    const source = handle.metrics().operators[0]
    if (source.recordsOut >= KEYS) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const stateSize = handle.metrics().operators.find((o) => o.kind === 'window')?.stateSize ?? 0
  const started = performance.now()
  const checkpoint = await handle.checkpoint()
  const durationMs = performance.now() - started
  const pausedMs = handle.metrics().checkpoints.find((c) => c.id === checkpoint.id)?.pausedMs ?? durationMs
  await handle.cancel()
  return { durationMs, pausedMs, bytes: checkpoint.bytes, stateSize }
}

/** ms from startJob until the first record reaches the job's first operator. */
async function timeToFirstRecord(restore: Uint8Array | undefined): Promise<number> {
  firstRecordAt = 0
  const started = performance.now()
  const handle = await startJob(largeState, { params: { hold: false }, restore })
  while (firstRecordAt === 0) await new Promise((resolve) => setImmediate(resolve))
  const ms = firstRecordAt - started
  await handle.cancel()
  return ms
}

/** The disk's own limit for a checkpoint of `bytes`: one write and an fsync. */
function rawDurableWriteMs(bytes: Uint8Array): number {
  const path = join(scratch, `raw-${runs++}`)
  const started = performance.now()
  const fd = openSync(path, 'w')
  writeSync(fd, bytes)
  fsyncSync(fd)
  closeSync(fd)
  return performance.now() - started
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  try {
    for (const parallelism of [1, 2]) {
      const plain: number[] = []
      const checkpointed: number[] = []
      const paired: number[] = []
      let taken = 0
      const durations: number[] = []
      const pauses: number[] = []
      for (let round = 0; round < ROUNDS; round++) {
        plain.push((await q5Rate(parallelism, false)).rate)
        const withCheckpoints = await q5Rate(parallelism, true)
        checkpointed.push(withCheckpoints.rate)
        paired.push(withCheckpoints.rate / plain[plain.length - 1])
        taken += withCheckpoints.completed
        durations.push(...withCheckpoints.durationsMs)
        pauses.push(...withCheckpoints.pausedMs)
      }
      console.log(`q5 p${parallelism}: ${taken} checkpoints over ${ROUNDS} runs, median duration ${median(durations)} ms, sources parked for ${median(pauses)} ms of it`)
      console.log(`q5 p${parallelism}: paired ratios ${paired.map((r) => r.toFixed(2)).join(' ')}`)
      rows.push({ ...rateRow(`q5 p${parallelism}, checkpoint every 1 s vs none`, 'events/s', median(checkpointed), median(plain), 'no checkpoints', '>= 0.9x'), ratio: median(paired) })
    }

    const durations: number[] = []
    const paused: number[] = []
    const raw: number[] = []
    const restores: number[] = []
    const fresh: number[] = []
    let size = 0
    let stateSize = 0
    let lastBytes: Uint8Array | undefined
    for (let round = 0; round < ROUNDS; round++) {
      const large = await largeCheckpoint()
      durations.push(large.durationMs)
      paused.push(large.pausedMs)
      raw.push(rawDurableWriteMs(large.bytes))
      size = large.bytes.length
      lastBytes = large.bytes
      stateSize = large.stateSize
      restores.push(await timeToFirstRecord(large.bytes))
      fresh.push(await timeToFirstRecord(undefined))
    }
    const decodeStarted = performance.now()
    decodeCheckpoint(lastBytes!)
    const decodeMs = performance.now() - decodeStarted
    console.log(`large state: ${stateSize} window state entries, checkpoint ${(size / 1e6).toFixed(1)} MB; of the recovery, decoding and checking the bytes takes ${decodeMs.toFixed(0)} ms`)
    const perKey = (n: string) => `${(KEYS / 1e6).toFixed(KEYS % 1e6 === 0 ? 0 : 1)}M keys ${n}`
    // Costs: ratio = peer / ours (> 1 would mean we beat the peer).
    rows.push({ case: perKey('checkpoint duration vs raw write+fsync of its bytes'), unit: 'ms', ours: median(durations), peer: median(raw), peerName: 'write + fsync', ratio: median(raw) / median(durations) })
    rows.push({ case: perKey('checkpoint: sources parked vs whole checkpoint'), unit: 'ms', ours: median(paused), peer: median(durations), peerName: 'whole checkpoint', ratio: median(durations) / median(paused) })
    rows.push({ case: perKey('checkpoint size vs 16 B/key raw'), unit: 'bytes', ours: size, peer: KEYS * 16, peerName: '8 B key + 8 B count', ratio: (KEYS * 16) / size })
    rows.push({ case: perKey('recovery: restore to first record vs fresh start'), unit: 'ms', ours: median(restores), peer: median(fresh), peerName: 'fresh start, no state', ratio: median(fresh) / median(restores) })
  } finally {
    rmSync(scratch, { recursive: true, force: true })
  }
  return rows
}
