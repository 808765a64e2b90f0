// `npm start` killed with SIGKILL and started again (twice: once while
// running, once while replaying after the first restart) loses and duplicates
// no window row. The app runs as `node --import tsx src/cli/start.ts` (not the
// tsx CLI, whose wrapper process would take the SIGKILL) on a temporary data
// directory, without late readings so that every reading is on time and the
// expected rows follow from the topic alone. After the kill, a restart and a
// clean stop, the test reads back everything in topic `sensors` and computes
// each sensor's minutes itself: the rows in iot.db must be exactly those of
// every window that closed — the ones up to the last window end in the table.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import type { SensorMinuteRow } from '../../src/connect/sqlite.js'
import type { Reading } from '../../src/iot/simulator.js'

const ROOT = join(import.meta.dirname, '../..')
const WINDOW_MS = 60_000

interface Run {
  child: ChildProcess
  output: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

function startApp(dataDir: string): Run {
  const env = {
    ...process.env,
    EDDY_DATA_DIR: dataDir,
    EDDY_PORT: '0',
    EDDY_KAFKA_PORT: '0',
    EDDY_SENSORS: '12',
    EDDY_RATE: '1200',
    EDDY_SEED: '42',
    EDDY_LATE_READINGS: '0',
    EDDY_CHECKPOINT_MS: '700',
    EDDY_STATUS_MS: '0',
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let text = ''
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk.toString()))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  return { child, output: () => text, exited }
}

async function until<T>(what: string, run: Run, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (run.child.exitCode !== null || run.child.signalCode !== null) throw new Error(`the app exited while waiting for ${what}:\n${run.output()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${run.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/** Rows in iot.db now (the connection is closed again at once: the app refuses a data directory another process has files open in). */
function tableRows(dbPath: string): SensorMinuteRow[] {
  if (!existsSync(dbPath)) return []
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sensor_minute'").get()
    return exists ? (db.prepare('SELECT * FROM sensor_minute ORDER BY sensor_id, window_start').all() as SensorMinuteRow[]) : []
  } finally {
    db.close()
  }
}

async function readings(dataDir: string): Promise<Reading[]> {
  const eddy = await Eddy.open({ dataDir })
  try {
    const ends = await eddy.admin.listOffsets('sensors', 'latest')
    const consumer = eddy.consumer<string, Reading>({ keyDeserializer: 'string', valueDeserializer: 'json', autoOffsetReset: 'earliest' })
    consumer.assign(ends.map((e) => ({ topic: 'sensors', partition: e.partition })))
    const total = ends.reduce((n, e) => n + e.offset, 0)
    const out: Reading[] = []
    while (out.length < total) {
      const records = await consumer.poll({ maxRecords: 5000, timeoutMs: 1000 })
      if (records.length === 0) break
      for (const r of records) out.push(r.value)
    }
    await consumer.close()
    expect(out.length).toBe(total)
    return out
  } finally {
    await eddy.close()
  }
}

/** Each sensor's minutes, straight from the readings (in topic order, as the job adds them). */
function expectedRows(all: Reading[]): Map<string, SensorMinuteRow> {
  const rows = new Map<string, SensorMinuteRow & { sum: number }>()
  for (const r of all) {
    const start = Math.floor(r.ts / WINDOW_MS) * WINDOW_MS
    const id = `${r.sensorId}@${start}`
    const row = rows.get(id)
    if (row === undefined) {
      rows.set(id, { sensor_id: r.sensorId, window_start: start, window_end: start + WINDOW_MS, avg: 0, min: r.value, max: r.value, count: 1, sum: r.value })
      continue
    }
    row.sum += r.value
    row.count++
    row.min = Math.min(row.min, r.value)
    row.max = Math.max(row.max, r.value)
  }
  const out = new Map<string, SensorMinuteRow>()
  for (const [id, { sum, ...row }] of rows) out.set(id, { ...row, avg: sum / row.count })
  return out
}

const dirs: string[] = []
const runs: Run[] = []
afterAll(() => {
  for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('npm start', () => {
  it('prints the dashboard URL and the kcat command, and after SIGKILL and a restart has lost and duplicated no window row', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eddy-iot-kill-'))
    dirs.push(dataDir)
    const dbPath = join(dataDir, 'iot.db')

    // First run: up, rows committed, then killed between checkpoints (wherever it happens to be).
    const first = startApp(dataDir)
    runs.push(first)
    await until('the banner', first, () => (/Ctrl-C stops cleanly/.test(first.output()) ? true : undefined))
    expect(first.output()).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\//)
    expect(first.output()).toMatch(/kcat -b 127\.0\.0\.1:\d+ -t alerts -C/)
    expect(first.output()).toMatch(/new: no checkpoint yet/)
    await until('rows in iot.db', first, () => (tableRows(dbPath).length >= 36 ? true : undefined))
    await new Promise((resolve) => setTimeout(resolve, 350))
    first.child.kill('SIGKILL')
    expect((await first.exited).signal).toBe('SIGKILL')
    const beforeKill = tableRows(dbPath)
    const lastEndBeforeKill = Math.max(...beforeKill.map((r) => r.window_end))

    // Second run: killed again soon after it resumed, while it replays what the first run had not committed.
    const second = startApp(dataDir)
    runs.push(second)
    await until('the banner', second, () => (/Ctrl-C stops cleanly/.test(second.output()) ? true : undefined))
    expect(second.output()).toMatch(/resumed from checkpoint \d+/)
    await new Promise((resolve) => setTimeout(resolve, 400))
    second.child.kill('SIGKILL')
    expect((await second.exited).signal).toBe('SIGKILL')

    // Third run: resumes, carries on, stops cleanly on SIGINT.
    const third = startApp(dataDir)
    runs.push(third)
    await until('the banner', third, () => (/Ctrl-C stops cleanly/.test(third.output()) ? true : undefined))
    expect(third.output()).toMatch(/resumed from checkpoint \d+/)
    await until('more rows', third, () => (tableRows(dbPath).filter((r) => r.window_end > lastEndBeforeKill).length >= 48 ? true : undefined))
    third.child.kill('SIGINT')
    const { code } = await third.exited
    expect(third.output()).toMatch(/stopped at checkpoint \d+/)
    expect(code).toBe(0)

    // The table against a failure-free computation over the same readings.
    const rows = tableRows(dbPath)
    const keys = new Set(rows.map((r) => `${r.sensor_id}@${r.window_start}`))
    expect(keys.size).toBe(rows.length)
    const lastEnd = Math.max(...rows.map((r) => r.window_end))
    expect(lastEnd).toBeGreaterThan(lastEndBeforeKill)
    const expected = [...expectedRows(await readings(dataDir)).values()].filter((r) => r.window_end <= lastEnd)
    expect(rows.length).toBe(expected.length)
    const byKey = new Map(rows.map((r) => [`${r.sensor_id}@${r.window_start}`, r]))
    const mismatches: string[] = []
    for (const e of expected) {
      const got = byKey.get(`${e.sensor_id}@${e.window_start}`)
      if (got === undefined) mismatches.push(`missing ${e.sensor_id}@${e.window_start}`)
      else if (got.count !== e.count || got.min !== e.min || got.max !== e.max || got.window_end !== e.window_end || Math.abs(got.avg - e.avg) > 1e-9 * Math.abs(e.avg)) {
        mismatches.push(`${e.sensor_id}@${e.window_start}: got ${JSON.stringify(got)}, expected ${JSON.stringify(e)}`)
      }
    }
    expect(mismatches).toEqual([])
    // Rows from before the kill and after it.
    expect(rows.some((r) => r.window_end <= lastEndBeforeKill)).toBe(true)
    expect(rows.filter((r) => r.window_end > lastEndBeforeKill).length).toBeGreaterThanOrEqual(48)
  }, 90_000)
})
