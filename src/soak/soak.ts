// The crash soak: the soak job (job.ts) over a fixed input (input.ts), killed
// with SIGKILL at seeded random moments and restarted, `cycles` times, then
// run to the end; its committed results are compared with those of a run of
// the same input that never failed (compare.ts).
//
// Each life of the job is a child process (child.ts) on the soak's data
// directory. A kill lands either while the child starts (restoring the last
// checkpoint, opening the log and the database) or at a random delay after it
// reported `ready` (processing, checkpointing, committing). The job is paced
// so that it cannot finish before the last kill: its input takes `margin`
// times the sum of all kill delays to read, so every cycle kills a running job.
// The last life runs unpaced to the end.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { CHECKPOINT_TABLE } from '../connect/sqlite-identifiers.js'
import { Eddy } from '../eddy.js'
import { DB_FILE, type LifeSettings } from './child-constants.js'
import { compareWindows, identical, type Comparison } from './compare.js'
import { OUTPUT_TOPIC, produceInput, readings } from './input.js'
import { seededRandom } from '../random.js'
import { TABLE, type WindowRow } from './job.js'

export interface SoakOptions {
  /** Kill-and-restart cycles. */
  cycles: number
  /** Seeds the input and the kill moments. Default 1. */
  seed?: number
  /** Input readings. Default 12 000. */
  records?: number
  /** Kill delay after `ready`, ms: uniform in [min, max]. Default 150..600. */
  killDelayMinMs?: number
  killDelayMaxMs?: number
  /** Share of kills that land during start-up instead. Default 0.2. */
  startupKillShare?: number
  /** The killed job's delivery guarantee. Default 'exactly-once'; 'at-least-once' makes the soak fail (the topic gets duplicates). */
  guarantee?: 'exactly-once' | 'at-least-once'
  /** Tasks of the job: 1 (default) runs inline, more on worker threads. */
  parallelism?: number
  /** Checkpoint period of the job, ms. Default 100. */
  checkpointIntervalMs?: number
  /** Where the data directories `reference/` and `soak/` go, replaced if there (default: a new temporary directory); removed at the end unless `keep`. */
  dir?: string
  keep?: boolean
  /** Progress lines (default: none). */
  log?: (line: string) => void
}

export interface SoakResult {
  guarantee: 'exactly-once' | 'at-least-once'
  parallelism: number
  seed: number
  records: number
  cycles: number
  /** SIGKILLs delivered to a running job (must equal cycles). */
  kills: number
  /** Of those, planned during start-up: before the job reports ready, or as it does. */
  startupKills: number
  /** Lives that resumed from a committed checkpoint. */
  restores: number
  /** The last checkpoint id committed to the soak's database. */
  lastCheckpointId: number | undefined
  paceRecordsPerSecond: number
  sqlite: Comparison
  /** The output topic read with read_committed. */
  topic: Comparison
  /** Output records in transactions neither committed nor aborted at the end (0: every transaction was decided). */
  topicUndecided: number
  /** Output records in the log that read_committed skips: what the kills left in aborted transactions. */
  topicAbortedRecords: number
  /** True when the committed outputs equal the reference's. */
  identical: boolean
  durationMs: number
  referenceMs: number
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CHILD = join(ROOT, 'src', 'soak', 'child.ts')
/** How long a life may take to report `ready` before the soak gives up on it. */
const READY_TIMEOUT_MS = 60_000
/** How long an unkilled life (the reference, the last one) may run. */
const RUN_TIMEOUT_MS = 300_000
/** Output of a child kept for an error message. */
const OUTPUT_CHARS_MAX = 8_000
const STARTUP_GUESS_MS = 800
const PACE_MARGIN = 1.5

interface Life {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  ready: Promise<number>
  /** Sends SIGKILL; returns the ms since the spawn. */
  kill(): number
  output(): string
  resumedFrom(): string | undefined
}

function startLife(dataDir: string, settings: LifeSettings): Life {
  const startedAt = performance.now()
  const args = [CHILD, dataDir, JSON.stringify(settings)]
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  let resumed: string | undefined
  let onReady: (ms: number) => void = () => {}
  const ready = new Promise<number>((resolve) => (onReady = resolve))
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-OUTPUT_CHARS_MAX)
  }
  let line = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    keep(chunk)
    line += chunk.toString()
    const match = /^ready (\S+)$/m.exec(line)
    if (match && resumed === undefined) {
      resumed = match[1]
      onReady(performance.now() - startedAt)
    }
  })
  child.stderr!.on('data', keep)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { exited, ready, kill: () => (child.kill('SIGKILL'), performance.now() - startedAt), output: () => text, resumedFrom: () => resumed }
}

const sleep = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms))

/** Runs one life to its end (no kill); throws with its output unless it exits 0 within RUN_TIMEOUT_MS. */
async function runToEnd(dataDir: string, settings: LifeSettings, what: string): Promise<Life> {
  const life = startLife(dataDir, settings)
  const result = await Promise.race([life.exited, sleep(RUN_TIMEOUT_MS)])
  if (result === 'timeout') {
    life.kill()
    await life.exited
    throw new Error(`the ${what} did not finish within ${RUN_TIMEOUT_MS} ms:\n${life.output()}`)
  }
  if (result.code !== 0) throw new Error(`the ${what} failed (exit ${result.code ?? result.signal}):\n${life.output()}`)
  return life
}

function readRows(dbPath: string): WindowRow[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return db.prepare(`SELECT * FROM ${TABLE} ORDER BY kind, sensor, window_start`).all() as WindowRow[]
  } finally {
    db.close()
  }
}

function lastCheckpointId(dbPath: string): number | undefined {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    return (db.prepare(`SELECT checkpoint_id FROM ${CHECKPOINT_TABLE} WHERE sink = ?`).get(TABLE) as { checkpoint_id: number } | undefined)?.checkpoint_id
  } finally {
    db.close()
  }
}

/** Reads quietly: a soak of hundreds of lives should not print one line per partition read. */
const POLL_TIMEOUT_MS = 200
const POLLS_EMPTY_MAX = 50

/**
 * The committed window results in the output topic of the data directory
 * `dir` (read_committed: aborted transactions skipped), and how many offsets
 * lie beyond the last stable offset (in transactions still open).
 */
export async function readTopic(dir: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<{ rows: WindowRow[]; undecided: number }> {
  const eddy = await Eddy.open({ dataDir: dir })
  try {
    const ends = await eddy.admin.listOffsets(OUTPUT_TOPIC, 'latest')
    const stable = isolation === 'read_committed' ? await eddy.admin.listOffsets(OUTPUT_TOPIC, 'latest', { isolation }) : ends
    const undecided = ends.reduce((n, e) => n + e.offset - (stable.find((s) => s.partition === e.partition)?.offset ?? 0), 0)
    const consumer = eddy.consumer<string, WindowRow>({ keyDeserializer: 'string', valueDeserializer: 'json', autoOffsetReset: 'earliest', isolation })
    const partitions = stable.map((s) => ({ topic: OUTPUT_TOPIC, partition: s.partition }))
    consumer.assign(partitions)
    const rows: WindowRow[] = []
    try {
      const done = async () => {
        for (const s of stable) if ((await consumer.position({ topic: OUTPUT_TOPIC, partition: s.partition })) < s.offset) return false
        return true
      }
      let empty = 0
      while (!(await done())) {
        const records = await consumer.poll({ maxRecords: 5_000, timeoutMs: POLL_TIMEOUT_MS })
        for (const r of records) rows.push(r.value)
        empty = records.length === 0 ? empty + 1 : 0
        if (empty > POLLS_EMPTY_MAX) throw new Error(`reading ${OUTPUT_TOPIC} in ${dir} stalled below its last stable offsets ${JSON.stringify(stable)}`)
      }
    } finally {
      await consumer.close()
    }
    return { rows, undecided }
  } finally {
    await eddy.close()
  }
}

/** The soak's SQLite results in `<dir>/soak` against the reference's in `<dir>/reference` (the layout runSoak makes). */
export function compareSqlite(dir: string): Comparison {
  return compareWindows(readRows(join(dir, 'reference', DB_FILE)), readRows(join(dir, 'soak', DB_FILE)))
}

function checkOptions(o: SoakOptions): Required<Omit<SoakOptions, 'dir' | 'log'>> & Pick<SoakOptions, 'dir' | 'log'> {
  const integer = (name: string, value: number, min: number) => {
    if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`soak option ${name} must be an integer ≥ ${min}, got ${String(value)}`)
    return value
  }
  const r = {
    cycles: integer('cycles', o.cycles, 0),
    seed: integer('seed', o.seed ?? 1, 0),
    records: integer('records', o.records ?? 12_000, 1),
    killDelayMinMs: integer('killDelayMinMs', o.killDelayMinMs ?? 150, 1),
    killDelayMaxMs: integer('killDelayMaxMs', o.killDelayMaxMs ?? 600, 1),
    startupKillShare: o.startupKillShare ?? 0.2,
    checkpointIntervalMs: integer('checkpointIntervalMs', o.checkpointIntervalMs ?? 100, 1),
    guarantee: o.guarantee ?? 'exactly-once',
    parallelism: integer('parallelism', o.parallelism ?? 1, 1),
    keep: o.keep ?? false,
    dir: o.dir,
    log: o.log,
  }
  if (r.guarantee !== 'exactly-once' && r.guarantee !== 'at-least-once') throw new RangeError(`soak option guarantee must be 'exactly-once' or 'at-least-once', got ${String(r.guarantee)}`)
  if (r.killDelayMaxMs < r.killDelayMinMs) throw new RangeError(`soak option killDelayMaxMs (${r.killDelayMaxMs}) is below killDelayMinMs (${r.killDelayMinMs})`)
  if (!(r.startupKillShare >= 0 && r.startupKillShare <= 1)) throw new RangeError(`soak option startupKillShare must be within 0..1, got ${String(r.startupKillShare)}`)
  return r
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const o = checkOptions(options)
  const log = o.log ?? (() => {})
  const startedAt = performance.now()
  const base = o.dir ?? mkdtempSync(join(tmpdir(), 'eddy-soak-'))
  const referenceDir = join(base, 'reference')
  const soakDir = join(base, 'soak')
  try {
    // (a) The same input in both data directories.
    const input = readings(o.seed, o.records)
    for (const dir of [referenceDir, soakDir]) {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      const eddy = await Eddy.open({ dataDir: dir })
      try {
        await produceInput(eddy, input)
      } finally {
        await eddy.close()
      }
    }

    // (b) The reference: one life, no failure.
    const referenceStarted = performance.now()
    await runToEnd(referenceDir, { pace: 0, checkpointIntervalMs: o.checkpointIntervalMs, guarantee: 'exactly-once', parallelism: o.parallelism }, 'reference run')
    const referenceMs = performance.now() - referenceStarted
    log(`soak: reference run done in ${Math.round(referenceMs)} ms (${o.records} readings, seed ${o.seed})`)

    // (c) The kills: the schedule first (seeded), then the pace that keeps the job running through it.
    const random = seededRandom(o.seed ^ 0x5eed)
    const schedule = Array.from({ length: o.cycles }, () => ({
      duringStartup: random() < o.startupKillShare,
      startupFraction: random(),
      delayMs: o.killDelayMinMs + random() * (o.killDelayMaxMs - o.killDelayMinMs),
    }))
    const runningMs = schedule.reduce((sum, k) => sum + k.delayMs, 0)
    const pace = o.cycles === 0 ? 0 : Math.max(1, Math.floor(o.records / ((PACE_MARGIN * runningMs) / 1000)))
    let startupMs = STARTUP_GUESS_MS
    let kills = 0
    let startupKills = 0
    let restores = 0
    for (let cycle = 0; cycle < schedule.length; cycle++) {
      const plan = schedule[cycle]
      const life = startLife(soakDir, { pace, checkpointIntervalMs: o.checkpointIntervalMs, guarantee: o.guarantee, parallelism: o.parallelism })
      // A start-up kill lands at the latest when the job reports ready: such lives make no progress, which the pace relies on.
      const killAfter = plan.duringStartup
        ? Promise.race([sleep(plan.startupFraction * startupMs), life.ready])
        : Promise.race([life.ready, sleep(READY_TIMEOUT_MS)]).then((ready) => {
            if (ready === 'timeout') throw new Error(`life ${cycle + 1} did not report ready within ${READY_TIMEOUT_MS} ms:\n${life.output()}`)
            return sleep(plan.delayMs)
          })
      const first = await Promise.race([killAfter.then(() => 'kill' as const), life.exited.then(() => 'exited' as const)]).catch(async (error: unknown) => {
        // No life outlives the soak.
        life.kill()
        await life.exited
        throw error
      })
      if (first === 'exited') {
        const { code, signal } = await life.exited
        throw new Error(
          code === 0
            ? `life ${cycle + 1} finished the job before its kill: the pace (${pace} readings/s) is too fast for this schedule; use more --records`
            : `life ${cycle + 1} failed (exit ${code ?? signal}):\n${life.output()}`,
        )
      }
      const killedAtMs = life.kill()
      const { signal } = await life.exited
      if (signal !== 'SIGKILL') throw new Error(`life ${cycle + 1} ended by ${signal ?? 'exit'} instead of SIGKILL:\n${life.output()}`)
      kills++
      const resumed = life.resumedFrom()
      let when = `during start-up, ${Math.round(killedAtMs)} ms after the spawn`
      if (plan.duringStartup) startupKills++
      if (resumed !== undefined) {
        const readyMs = await life.ready
        startupMs = readyMs * 1.2
        if (resumed !== 'none') restores++
        when = plan.duringStartup ? `${when}, as the job reported ready (resumed from checkpoint ${resumed})` : `${Math.round(killedAtMs - readyMs)} ms after ready (resumed from checkpoint ${resumed})`
      }
      log(`soak: cycle ${cycle + 1}/${o.cycles}: SIGKILL ${when}`)
    }

    // The last life, unpaced, to the end of the input.
    const last = await runToEnd(soakDir, { pace: 0, checkpointIntervalMs: o.checkpointIntervalMs, guarantee: o.guarantee, parallelism: o.parallelism }, 'last run after the kills')
    if (last.resumedFrom() !== undefined && last.resumedFrom() !== 'none') restores++

    // (d) Committed outputs against the reference.
    const sqlite = compareSqlite(base)
    const soakTopic = await readTopic(soakDir)
    const topic = compareWindows((await readTopic(referenceDir)).rows, soakTopic.rows)
    const undecided = soakTopic.undecided
    // What the kills left in aborted transactions: there in the log, skipped by read_committed.
    const topicAbortedRecords = (await readTopic(soakDir, 'read_uncommitted')).rows.length - topic.soakWindows
    return {
      guarantee: o.guarantee,
      parallelism: o.parallelism,
      seed: o.seed,
      records: o.records,
      cycles: o.cycles,
      kills,
      startupKills,
      restores,
      lastCheckpointId: lastCheckpointId(join(soakDir, DB_FILE)),
      paceRecordsPerSecond: pace,
      sqlite,
      topic,
      topicUndecided: undecided,
      topicAbortedRecords,
      identical: identical(sqlite) && identical(topic) && undecided === 0,
      durationMs: performance.now() - startedAt,
      referenceMs,
    }
  } finally {
    // Only what the soak made: a --dir of the user's keeps everything but its reference/ and soak/.
    if (!o.keep) {
      if (o.dir === undefined) rmSync(base, { recursive: true, force: true })
      else for (const dir of [referenceDir, soakDir]) rmSync(dir, { recursive: true, force: true })
    }
  }
}

function describe(c: Comparison): string {
  return `${c.lostWindows} lost, ${c.duplicatedWindows} duplicated, ${c.extraWindows} extra, ${c.wrongWindows} wrong; records: ${c.lostRecords} lost, ${c.duplicatedRecords} duplicated`
}

/** The soak's report, one fact a line. */
export function formatSoakResult(r: SoakResult): string {
  const s = r.sqlite
  return [
    `soak: ${r.kills} SIGKILLs (${r.startupKills} during start-up) in ${r.cycles} cycles, ${r.restores} restores from a committed checkpoint, last checkpoint ${r.lastCheckpointId ?? 'none'}`,
    `soak: input ${r.records} readings (seed ${r.seed}), guarantee ${r.guarantee}, parallelism ${r.parallelism}, paced to ${r.paceRecordsPerSecond} readings/s while killed; ${(r.durationMs / 1000).toFixed(1)} s in all, reference run ${(r.referenceMs / 1000).toFixed(1)} s`,
    ...[
      ['SQLite sink', s],
      ['topic sink (read_committed)', r.topic],
    ].flatMap(([name, c]) => [
      `soak: ${name}: ${(c as Comparison).soakWindows} window results vs ${(c as Comparison).referenceWindows} in the reference: ${describe(c as Comparison)}`,
      ...(c as Comparison).examples.map((e) => `soak:   ${e}`),
    ]),
    `soak: topic sink: ${r.topicAbortedRecords} records of aborted transactions in the log, skipped by read_committed${r.topicUndecided === 0 ? '' : `; ${r.topicUndecided} offsets in transactions never committed or aborted`}`,
    `soak: ${r.identical ? 'PASS: the committed outputs equal the failure-free run' : 'FAIL: the committed outputs differ from the failure-free run'}`,
  ].join('\n')
}
