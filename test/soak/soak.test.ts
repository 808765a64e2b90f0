// The crash soak: the windowed job killed with SIGKILL 20 times at seeded
// random moments (while starting, processing, checkpointing or committing),
// restarted each time, then run to the end, gives exactly the window results
// of a run that never failed, in both sinks — the SQLite table and the output
// topic read with read_committed: 0 lost, 0 duplicated. The kills did leave
// aborted output in the topic's log (read_committed skips it). The comparison
// has teeth: the same soak with the job at-least-once reports the topic's
// duplicates and fails, and a row removed from the soak's database, or one
// counted twice, is reported as lost or duplicated.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { compareWindows, identical } from '../../src/soak/compare.js'
import { TABLE, type WindowRow } from '../../src/soak/job.js'
import { compareSqlite, formatSoakResult, runSoak } from '../../src/soak/soak.js'

const dir = mkdtempSync(join(tmpdir(), 'eddy-soak-test-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const row = (sensor: string, start: number, count: number, sum: number): WindowRow => ({ kind: 'tumbling', sensor, window_start: start, window_end: start + 10_000, count, sum, avg: sum / count, min: 1, max: 9 })

describe('crash soak', () => {
  it('20 SIGKILLs and restarts: the committed window results in the SQLite table and the topic equal the failure-free run, 0 lost and 0 duplicated', async () => {
    const lines: string[] = []
    const result = await runSoak({ cycles: 20, seed: 7, records: 8_000, killDelayMinMs: 100, killDelayMaxMs: 400, dir, keep: true, log: (line) => lines.push(line) })
    const report = formatSoakResult(result)
    expect(result.kills, report).toBe(20)
    // Most lives got far enough to commit a checkpoint the next one resumed from: the kills hit a running job.
    expect(result.restores, `${report}\n${lines.join('\n')}`).toBeGreaterThanOrEqual(10)
    expect(result.sqlite.referenceWindows).toBeGreaterThan(1_000)
    for (const sink of [result.sqlite, result.topic]) {
      expect(sink.soakWindows, report).toBe(sink.referenceWindows)
      const { lostWindows, duplicatedWindows, extraWindows, wrongWindows, lostRecords, duplicatedRecords } = sink
      expect({ lostWindows, duplicatedWindows, extraWindows, wrongWindows, lostRecords, duplicatedRecords }, report).toEqual({
        lostWindows: 0,
        duplicatedWindows: 0,
        extraWindows: 0,
        wrongWindows: 0,
        lostRecords: 0,
        duplicatedRecords: 0,
      })
    }
    expect(result.topic.referenceWindows).toBe(result.sqlite.referenceWindows)
    expect(result.topicUndecided, report).toBe(0)
    expect(result.topicAbortedRecords, report).toBeGreaterThan(0)
    expect(result.identical).toBe(true)
    expect(report).toMatch(/PASS/)
  }, 120_000)

  it('fails when the job is only at-least-once: replays after the kills duplicate window results in the topic', async () => {
    const result = await runSoak({ cycles: 5, seed: 3, records: 3_000, killDelayMinMs: 200, killDelayMaxMs: 400, guarantee: 'at-least-once' })
    const report = formatSoakResult(result)
    expect(result.kills).toBe(5)
    expect(result.topic.duplicatedWindows, report).toBeGreaterThan(0)
    expect(result.topic.duplicatedRecords, report).toBeGreaterThan(0)
    expect(result.topic.lostWindows, report).toBe(0)
    expect(result.identical).toBe(false)
    expect(report).toMatch(/FAIL: the committed outputs differ/)
  }, 60_000)

  it('reports a window missing from the soak database as lost, and one that counted records twice as duplicated', () => {
    const db = new Database(join(dir, 'soak', 'soak.db'))
    try {
      const [first, second] = db.prepare(`SELECT * FROM ${TABLE} WHERE kind = 'tumbling' ORDER BY sensor, window_start LIMIT 2`).all() as WindowRow[]
      db.prepare(`DELETE FROM ${TABLE} WHERE kind = ? AND sensor = ? AND window_start = ?`).run(first.kind, first.sensor, first.window_start)
      db.prepare(`UPDATE ${TABLE} SET count = count + 3 WHERE kind = ? AND sensor = ? AND window_start = ?`).run(second.kind, second.sensor, second.window_start)
      const c = compareSqlite(dir)
      expect(c).toMatchObject({ lostWindows: 1, wrongWindows: 1, extraWindows: 0, duplicatedWindows: 0, lostRecords: first.count, duplicatedRecords: 3 })
      expect(identical(c)).toBe(false)
      expect(c.examples.join('\n')).toContain(`tumbling/${first.sensor}/${first.window_start}: lost`)
    } finally {
      db.close()
    }
  })

  it('compares window by window: extra and repeated windows, and fewer records counted, are differences too', () => {
    const reference = [row('a', 0, 4, 20), row('b', 0, 2, 6)]
    expect(identical(compareWindows(reference, reference))).toBe(true)
    expect(compareWindows(reference, [row('a', 0, 3, 15), row('b', 0, 2, 6), row('c', 0, 1, 1)])).toMatchObject({ lostRecords: 1, duplicatedRecords: 1, wrongWindows: 1, extraWindows: 1, lostWindows: 0, duplicatedWindows: 0 })
    // A topic can hold a window result twice.
    const twice = compareWindows(reference, [row('a', 0, 4, 20), row('b', 0, 2, 6), row('b', 0, 2, 6)])
    expect(twice).toMatchObject({ duplicatedWindows: 1, duplicatedRecords: 2, extraWindows: 0, lostWindows: 0 })
    expect(identical(twice)).toBe(false)
  })

  it('refuses options out of range, naming them', async () => {
    await expect(runSoak({ cycles: -1 })).rejects.toThrow(/soak option cycles must be an integer ≥ 0, got -1/)
    await expect(runSoak({ cycles: 1, killDelayMinMs: 500, killDelayMaxMs: 100 })).rejects.toThrow(/killDelayMaxMs \(100\) is below killDelayMinMs \(500\)/)
    await expect(runSoak({ cycles: 1, guarantee: 'at-most-once' as never })).rejects.toThrow(/soak option guarantee must be 'exactly-once' or 'at-least-once', got at-most-once/)
  })
})
