// The SQLite window sink: idempotent upserts, the checkpoint committed in the
// same transaction as the rows (a failure mid-batch leaves nothing of it), the
// file read back after reopening, identifiers checked, throughput measured, and
// a writer process (node with tsx's loader) killed with SIGKILL mid-write
// leaving a consistent database.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CHECKPOINT_TABLE, SqliteWindowSink, openSensorMinuteSink, type SensorMinuteRow } from '../../src/connect/sqlite.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eddy-sqlite-'))
})
afterEach(() => {
  rmSync(dir, { recursive: true, force: true })
})

function row(sensor: string, minute: number, avg: number, count = 10): SensorMinuteRow {
  const start = minute * 60_000
  return { sensor_id: sensor, window_start: start, window_end: start + 60_000, avg, min: avg - 1, max: avg + 1, count }
}

describe('SqliteWindowSink', () => {
  it('creates sensor_minute with the IoT schema, in WAL mode with synchronous=FULL', () => {
    const sink = openSensorMinuteSink(join(dir, 'iot.db'))
    try {
      const columns = sink.database.prepare('PRAGMA table_info(sensor_minute)').all() as { name: string; type: string; pk: number }[]
      expect(columns.map((c) => [c.name, c.type, c.pk])).toEqual([
        ['sensor_id', 'TEXT', 1],
        ['window_start', 'INTEGER', 2],
        ['window_end', 'INTEGER', 0],
        ['avg', 'REAL', 0],
        ['min', 'REAL', 0],
        ['max', 'REAL', 0],
        ['count', 'INTEGER', 0],
      ])
      expect(sink.database.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(sink.database.pragma('synchronous', { simple: true })).toBe(2) // FULL
      expect(sink.lastCheckpoint()).toBeUndefined()
    } finally {
      sink.close()
    }
  })

  it('upserts by (key, window): writing a window again replaces it, so replays are idempotent', () => {
    const sink = openSensorMinuteSink(join(dir, 'iot.db'))
    try {
      const batch = [row('s1', 0, 20), row('s2', 0, 30), row('s1', 1, 21)]
      sink.writeBatch(batch)
      sink.writeBatch(batch)
      expect(sink.count()).toBe(3)
      expect(sink.rows()).toEqual([row('s1', 0, 20), row('s1', 1, 21), row('s2', 0, 30)])
      // A late update of one window replaces its values, nothing else moves.
      sink.writeBatch([row('s1', 0, 25, 11)])
      expect(sink.count()).toBe(3)
      expect(sink.get({ sensor_id: 's1', window_start: 0 })).toEqual(row('s1', 0, 25, 11))
      expect(sink.get({ sensor_id: 's2', window_start: 0 })).toEqual(row('s2', 0, 30))
    } finally {
      sink.close()
    }
  })

  it('records the checkpoint with its rows, and skips a batch whose checkpoint was already committed', () => {
    const sink = openSensorMinuteSink(join(dir, 'iot.db'))
    try {
      const state = new Uint8Array([1, 2, 3, 250])
      expect(sink.writeBatch([row('s1', 0, 20)], { checkpointId: 1, state, offsets: { 'readings/0': 100, 'readings/1': 90 } })).toEqual({ rows: 1, skipped: false, checkpointId: 1 })
      const last = sink.lastCheckpoint()!
      expect(last.checkpointId).toBe(1)
      expect(last.state).toEqual(state)
      expect(last.offsets).toEqual({ 'readings/0': 100, 'readings/1': 90 })
      expect(last.committedAt).toBeGreaterThan(0)

      // A replay after recovery re-sends checkpoint 1 with (maybe different) rows: nothing happens.
      expect(sink.writeBatch([row('s1', 0, 99), row('s9', 0, 1)], { checkpointId: 1 })).toEqual({ rows: 0, skipped: true, checkpointId: 1 })
      expect(sink.rows()).toEqual([row('s1', 0, 20)])
      expect(sink.lastCheckpoint()!.state).toEqual(state)

      sink.writeBatch([row('s2', 0, 30)], { checkpointId: 2 })
      expect(sink.lastCheckpoint()).toMatchObject({ checkpointId: 2 })
      expect(sink.lastCheckpoint()!.state).toBeUndefined()
      expect(() => sink.writeBatch([], { checkpointId: -1 })).toThrow(/checkpointId must be a non-negative integer/)
      expect(() => sink.writeBatch([], { checkpointId: 3, offsets: { a: Number.NaN } })).toThrow(/offsets\["a"\] must be a finite number/)
    } finally {
      sink.close()
    }
  })

  it('a failure mid-transaction leaves nothing of the batch: no rows, no checkpoint', () => {
    const sink = openSensorMinuteSink(join(dir, 'iot.db'))
    try {
      sink.writeBatch([row('s1', 0, 20)], { checkpointId: 1, offsets: { p: 1 } })

      // Row 50 of 100 is broken: the 50 before it were already inserted inside the transaction.
      const broken = Array.from({ length: 100 }, (_, i) => row(`b${i}`, 5, i)) as unknown as Record<string, unknown>[]
      delete broken[50].avg
      expect(() => sink.writeBatch(broken as unknown as SensorMinuteRow[], { checkpointId: 2, offsets: { p: 2 } })).toThrow(/row 50 of the batch has no value for column "avg"/)
      expect(sink.count()).toBe(1)
      expect(sink.lastCheckpoint()).toMatchObject({ checkpointId: 1, offsets: { p: 1 } })

      // Every row goes in, then recording the checkpoint fails: the rows go too.
      sink.database.exec(`CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON main.${CHECKPOINT_TABLE} BEGIN SELECT RAISE(ABORT, 'simulated crash at commit'); END`)
      sink.database.exec(`CREATE TEMP TRIGGER fail_update BEFORE UPDATE ON main.${CHECKPOINT_TABLE} BEGIN SELECT RAISE(ABORT, 'simulated crash at commit'); END`)
      const good = Array.from({ length: 100 }, (_, i) => row(`g${i}`, 6, i))
      expect(() => sink.writeBatch(good, { checkpointId: 2, offsets: { p: 2 } })).toThrow(/simulated crash at commit/)
      expect(sink.count()).toBe(1)
      expect(sink.lastCheckpoint()).toMatchObject({ checkpointId: 1, offsets: { p: 1 } })
      expect(sink.database.inTransaction).toBe(false)

      // Once the fault is gone the same batch commits whole.
      sink.database.exec('DROP TRIGGER temp.fail_insert; DROP TRIGGER temp.fail_update')
      sink.writeBatch(good, { checkpointId: 2, offsets: { p: 2 } })
      expect(sink.count()).toBe(101)
      expect(sink.lastCheckpoint()).toMatchObject({ checkpointId: 2, offsets: { p: 2 } })
    } finally {
      sink.close()
    }
  })

  it('reads back what it wrote after the file is closed and reopened', () => {
    const path = join(dir, 'iot.db')
    const rows = Array.from({ length: 50 }, (_, i) => row(`s${i % 5}`, Math.floor(i / 5), i + 0.25, i))
    const first = openSensorMinuteSink(path)
    first.writeBatch(rows, { checkpointId: 7, state: new Uint8Array([9, 8, 7]), offsets: { 'readings/0': 50 } })
    first.close()
    expect(() => first.rows()).toThrow(/closed/)

    const again = openSensorMinuteSink(path)
    try {
      expect(again.count()).toBe(50)
      const sorted = [...rows].sort((a, b) => (a.sensor_id < b.sensor_id ? -1 : a.sensor_id > b.sensor_id ? 1 : a.window_start - b.window_start))
      expect(again.rows()).toEqual(sorted)
      expect(again.lastCheckpoint()).toMatchObject({ checkpointId: 7, state: new Uint8Array([9, 8, 7]), offsets: { 'readings/0': 50 } })
    } finally {
      again.close()
    }
  })

  it('keeps one checkpoint row per sink, so several sinks can share a file', () => {
    const path = join(dir, 'shared.db')
    const a = SqliteWindowSink.open({ path, table: 'counts', keys: { k: 'TEXT' }, values: { n: 'INTEGER' } })
    const b = SqliteWindowSink.open({ path, table: 'sums', keys: { k: 'TEXT', w: 'INTEGER' }, values: { total: 'REAL' } })
    try {
      a.writeBatch([{ k: 'x', n: 1 }], { checkpointId: 3 })
      b.writeBatch([{ k: 'x', w: 0, total: 1.5 }], { checkpointId: 8 })
      expect(a.lastCheckpoint()!.checkpointId).toBe(3)
      expect(b.lastCheckpoint()!.checkpointId).toBe(8)
      expect(() => a.writeBatch([{ k: null, n: 1 }])).toThrow(/no value for key column "k"/)
    } finally {
      a.close()
      b.close()
    }
  })

  it('rejects table and column names that are not plain identifiers, with a clear error', () => {
    const path = join(dir, 'bad.db')
    const open = (table: string, keys: Record<string, string>, values: Record<string, string> = { v: 'REAL' }) =>
      SqliteWindowSink.open({ path, table, keys: keys as never, values: values as never })
    expect(() => open('x; DROP TABLE y', { k: 'TEXT' })).toThrow(/invalid table name "x; DROP TABLE y": use letters, digits and underscores only/)
    expect(() => open('t"x', { k: 'TEXT' })).toThrow(/invalid table name/)
    expect(() => open('1abc', { k: 'TEXT' })).toThrow(/invalid table name/)
    expect(() => open('sqlite_master', { k: 'TEXT' })).toThrow(/invalid table name/)
    expect(() => open('', { k: 'TEXT' })).toThrow(/invalid table name/)
    expect(() => open(CHECKPOINT_TABLE, { k: 'TEXT' })).toThrow(/reserved/)
    expect(() => open('t', { 'a b': 'TEXT' })).toThrow(/invalid key column name "a b"/)
    expect(() => open('t', { k: 'TEXT' }, { 'v)--': 'REAL' })).toThrow(/invalid value column name "v\)--"/)
    expect(() => open('t', { k: 'TEXT' }, { v: 'REAL); DROP TABLE t; --' })).toThrow(/value column "v" has type .*use one of TEXT, INTEGER, REAL, BLOB, NUMERIC/)
    expect(() => open('t', {})).toThrow(/needs at least one key column/)
    expect(() => open('t', { k: 'TEXT' }, { K: 'REAL' })).toThrow(/column "K" is given twice/)
  })

  it('refuses an existing table that lacks the columns it needs', () => {
    const path = join(dir, 'old.db')
    const old = SqliteWindowSink.open({ path, table: 'sensor_minute', keys: { sensor_id: 'TEXT', window_start: 'INTEGER' }, values: { avg: 'REAL' } })
    old.close()
    expect(() => openSensorMinuteSink(path)).toThrow(/table "sensor_minute" already exists with columns \(sensor_id, window_start, avg\); missing: window_end, min, max, count/)
  })

  it('measures upsert throughput with a durable checkpoint per batch', () => {
    const sink = openSensorMinuteSink(join(dir, 'iot.db'))
    try {
      const batchSize = 1000
      const batches = 100
      const sensors = 500
      const pending = Array.from({ length: batches }, (_, b) =>
        Array.from({ length: batchSize }, (_, i) => {
          const n = b * batchSize + i
          return row(`sensor-${n % sensors}`, Math.floor(n / sensors), (n % 97) + 0.5, n % 13)
        }),
      )
      const started = performance.now()
      for (let b = 0; b < batches; b++) sink.writeBatch(pending[b], { checkpointId: b + 1, offsets: { 'readings/0': (b + 1) * batchSize } })
      const seconds = (performance.now() - started) / 1000
      const rows = batches * batchSize
      console.log(`SQLite sink: ${rows} rows in ${batches} committed batches of ${batchSize} (synchronous=FULL, WAL) in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s`)

      // Re-writing the same rows (a replay without checkpoints) updates in place.
      const replayStarted = performance.now()
      sink.writeBatch(pending.flat())
      const replaySeconds = (performance.now() - replayStarted) / 1000
      console.log(`SQLite sink: ${rows} rows upserted over existing ones in one transaction in ${replaySeconds.toFixed(2)} s = ${Math.round(rows / replaySeconds)} rows/s`)
      expect(sink.count()).toBe(rows)
      expect(sink.lastCheckpoint()!.checkpointId).toBe(batches)
    } finally {
      sink.close()
    }
  })
})

/** A writer in its own process: resumes after the last checkpoint and commits batches until killed. */
const WRITER = `
import { openSensorMinuteSink } from ${JSON.stringify(pathToFileURL(join(root, 'src', 'connect', 'sqlite.ts')).href)}
const ROWS = Number(process.env.ROWS)
const sink = openSensorMinuteSink(process.env.DB)
let id = (sink.lastCheckpoint()?.checkpointId ?? 0) + 1
for (;;) {
  const rows = []
  for (let s = 0; s < ROWS; s++) {
    const start = id * 60000
    rows.push({ sensor_id: 'sensor-' + s, window_start: start, window_end: start + 60000, avg: id + s / 1000, min: id, max: id + 1, count: id })
  }
  // Every batch also rewrites one shared window, so a torn batch would show as a mismatch there too.
  rows.push({ sensor_id: 'latest', window_start: 0, window_end: 60000, avg: id, min: id, max: id, count: id })
  sink.writeBatch(rows, { checkpointId: id, state: new Uint8Array([id & 255, (id >> 8) & 255]), offsets: { 'readings/0': id * ROWS } })
  process.stdout.write(id + '\\n')
  id++
}
`

describe('SqliteWindowSink after SIGKILL', () => {
  it('holds every committed checkpoint whole and nothing of the batch being written', async () => {
    const ROWS = 200
    const db = join(dir, 'iot.db')
    const script = join(dir, 'writer.mts')
    writeFileSync(script, WRITER)

    /** Runs the writer until it has reported `commits` more checkpoints, then kills it; returns the last id it reported. */
    const runAndKill = (commits: number) =>
      new Promise<number>((resolve, reject) => {
        // tsx's loader inside this very node process: the tsx CLI would run the script in a grandchild that SIGKILL would miss.
        const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: root, env: { ...process.env, DB: db, ROWS: String(ROWS) }, stdio: ['ignore', 'pipe', 'pipe'] })
        const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
        let out = ''
        let err = ''
        let reported = 0
        let lastId = 0
        let killed = false
        child.stderr.on('data', (d) => (err += String(d)))
        child.stdout.on('data', (d) => {
          out += String(d)
          const lines = out.split('\n')
          out = lines.pop() ?? ''
          for (const line of lines) {
            lastId = Number(line)
            reported++
          }
          // Kill right after a commit was reported: the next batch is being written.
          if (reported >= commits && !killed) {
            killed = true
            child.kill('SIGKILL')
          }
        })
        child.on('error', reject)
        child.on('exit', (code, signal) => {
          clearTimeout(guard)
          if (signal === 'SIGKILL' && killed) resolve(lastId)
          else reject(new Error(`writer exited with ${signal ?? code} after ${reported} commits: ${err}`))
        })
      })

    const check = (reported: number) => {
      const sink = openSensorMinuteSink(db)
      try {
        expect(sink.database.pragma('integrity_check', { simple: true })).toBe('ok')
        const last = sink.lastCheckpoint()!
        // The child may have committed one more batch than it got to print.
        expect(last.checkpointId).toBeGreaterThanOrEqual(reported)
        expect(last.checkpointId).toBeLessThanOrEqual(reported + 1)
        expect(last.offsets).toEqual({ 'readings/0': last.checkpointId * ROWS })
        expect([...last.state!]).toEqual([last.checkpointId & 255, (last.checkpointId >> 8) & 255])
        // Every committed checkpoint's rows, all of them and with their own values; nothing later.
        const perWindow = sink.database
          .prepare(`SELECT window_start / 60000 AS id, count(*) AS n, min(count) AS lo, max(count) AS hi FROM sensor_minute WHERE sensor_id != 'latest' GROUP BY window_start ORDER BY window_start`)
          .all() as { id: number; n: number; lo: number; hi: number }[]
        expect(perWindow.length).toBe(last.checkpointId)
        perWindow.forEach((w, i) => expect(w).toEqual({ id: i + 1, n: ROWS, lo: i + 1, hi: i + 1 }))
        expect(sink.get({ sensor_id: 'latest', window_start: 0 })!.count).toBe(last.checkpointId)
        return last.checkpointId
      } finally {
        sink.close()
      }
    }

    const firstReported = await runAndKill(15)
    const first = check(firstReported)
    // The writer resumes after its last checkpoint, is killed again, and the file still adds up.
    const secondReported = await runAndKill(15)
    expect(secondReported).toBeGreaterThan(first)
    check(secondReported)
  }, 60_000)
})
