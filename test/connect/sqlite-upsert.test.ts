// sinks.sqlite, the generic exactly-once SQLite sink: rows upserted by key; with
// protocol 'checkpoint' only together with a checkpoint id (a replayed id
// writes nothing); the two-phase protocol (prepare hides rows, commit shows
// them once, recover re-applies a prepared batch after a "crash" — a fresh
// writer on the same file); the protocol chosen by the job's guarantee; whole
// jobs writing through it, with and without a checkpoint store; bad options or
// a file that is not a database refused with errors that name them. Real files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { agg, defineJob, readSqliteCheckpoint, runJob, sinks, sources, windows, type SinkWriter } from '../../src/index.js'
import type { SqliteSinkOptions } from '../../src/connect/sqlite-upsert.js'
import { decodePreparedRows, encodePreparedRows } from '../../src/connect/sqlite-upsert-writer.js'

interface Row {
  sensor: string
  window_start: number
  n: number
  total: number
}

let dir: string
let path: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'eddy-sqlite-upsert-'))
  path = join(dir, 'out.db')
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

const base = (): SqliteSinkOptions<Row> => ({ path, table: 'minute', key: ['sensor', 'window_start'], columns: { sensor: 'TEXT', window_start: 'INTEGER', n: 'INTEGER', total: 'REAL' } })
const context = { collected: new Map() }
const batch = (rows: Row[]) => ({ values: rows, timestamps: rows.map((r) => r.window_start) })
type Writer = SinkWriter<Row> & { buffered: number }
const open = async (options: Partial<SqliteSinkOptions<Row>> = {}, guarantee?: 'at-least-once' | 'exactly-once') =>
  (await sinks.sqlite<Row>({ protocol: 'checkpoint', ...base(), ...options }).open({ ...context, guarantee })) as Writer

function tableRows(file = path): Row[] {
  const db = new Database(file, { readonly: true })
  try {
    return db.prepare('SELECT sensor, window_start, n, total FROM minute ORDER BY sensor, window_start').all() as Row[]
  } finally {
    db.close()
  }
}
function recordedCheckpoint(file = path): number | undefined {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare('SELECT checkpoint_id FROM eddy_sink_checkpoints WHERE sink = ?').get('minute') as { checkpoint_id: number } | undefined)?.checkpoint_id
  } finally {
    db.close()
  }
}

describe('sinks.sqlite, protocol "checkpoint"', () => {
  it('creates the table, keeps rows out of it until a checkpoint, then upserts them by key with the checkpoint in one transaction', async () => {
    const writer = await open()
    await writer.write(batch([{ sensor: 'a', window_start: 0, n: 1, total: 5 }, { sensor: 'b', window_start: 0, n: 2, total: 7 }]))
    expect(tableRows()).toEqual([])
    await writer.checkpoint!({ id: 1, bytes: new Uint8Array([1, 2, 3]) })
    // A later result for the same key replaces the row; a new key adds one.
    await writer.write(batch([{ sensor: 'a', window_start: 0, n: 3, total: 9.5 }, { sensor: 'a', window_start: 60_000, n: 1, total: 1 }]))
    await writer.checkpoint!({ id: 2, bytes: new Uint8Array([4]) })
    await writer.close!()
    expect(tableRows()).toEqual([
      { sensor: 'a', window_start: 0, n: 3, total: 9.5 },
      { sensor: 'a', window_start: 60_000, n: 1, total: 1 },
      { sensor: 'b', window_start: 0, n: 2, total: 7 },
    ])
    expect(await readSqliteCheckpoint(path, 'minute')).toMatchObject({ id: 2, bytes: new Uint8Array([4]) })
  })

  it('refuses a checkpoint id already recorded, writing nothing of its rows', async () => {
    const writer = await open()
    await writer.write(batch([{ sensor: 'a', window_start: 0, n: 1, total: 1 }]))
    await writer.checkpoint!({ id: 5, bytes: new Uint8Array([5]) })
    await writer.write(batch([{ sensor: 'a', window_start: 0, n: 99, total: 99 }]))
    await expect(writer.checkpoint!({ id: 5, bytes: new Uint8Array([6]) })).rejects.toThrow(/checkpoint 5 is not newer than checkpoint 5/)
    expect(tableRows()).toEqual([{ sensor: 'a', window_start: 0, n: 1, total: 1 }])
    expect(await readSqliteCheckpoint(path, 'minute')).toMatchObject({ id: 5, bytes: new Uint8Array([5]) })
    await writer.close!()
  })

  it('at close writes the rows still buffered (atClose "write") or drops them ("discard")', async () => {
    const kept = await open()
    await kept.write(batch([{ sensor: 'k', window_start: 0, n: 1, total: 1 }]))
    await kept.close!()
    const dropped = await open({ table: 'other', columns: base().columns })
    const discarding = await open({ atClose: 'discard' })
    await discarding.write(batch([{ sensor: 'd', window_start: 0, n: 1, total: 1 }]))
    await discarding.close!()
    await dropped.close!()
    expect(tableRows().map((r) => r.sensor)).toEqual(['k'])
  })

  it('chooses its protocol by the job\'s guarantee: two-phase under exactly-once, else direct writes (visible at once)', async () => {
    const exactlyOnce = await open({ protocol: undefined }, 'exactly-once')
    expect(typeof exactlyOnce.prepare).toBe('function')
    expect(exactlyOnce.checkpoint).toBeUndefined()
    await exactlyOnce.close!()
    const direct = await open({ protocol: undefined }, 'at-least-once')
    expect(direct.prepare).toBeUndefined()
    await direct.write(batch([{ sensor: 'a', window_start: 0, n: 1, total: 1 }]))
    await direct.write(batch([{ sensor: 'a', window_start: 0, n: 2, total: 4 }]))
    expect(tableRows()).toEqual([{ sensor: 'a', window_start: 0, n: 2, total: 4 }])
    await direct.close!()
  })
})

describe('sinks.sqlite in a job', () => {
  const job = defineJob<{ path: string }>({
    name: 'sqlite-upsert-test',
    build(env, params) {
      env
        .source(sources.fromArray([1, 2, 3, 4, 5, 6].map((i) => ({ sensor: i % 2 === 0 ? 'even' : 'odd', ts: (i - 1) * 10_000, value: i })), { timestamp: (r) => r.ts }))
        .keyBy((r) => r.sensor)
        .window(windows.tumbling({ size: 30_000 }))
        .aggregate({ n: agg.count(), total: agg.sum((r: { value: number }) => r.value) })
        .sink(sinks.sqlite({ ...base(), path: params.path, row: (w: { key: unknown; windowStart: number; result: { n: number; total: number } }) => ({ sensor: String(w.key), window_start: w.windowStart, ...w.result }) }))
    },
  })
  // Windows [0, 30 s) and [30 s, 60 s): odd 1, 3 | 5; even 2 | 4, 6.
  const expected = [
    { sensor: 'even', window_start: 0, n: 1, total: 2 },
    { sensor: 'even', window_start: 30_000, n: 2, total: 10 },
    { sensor: 'odd', window_start: 0, n: 2, total: 4 },
    { sensor: 'odd', window_start: 30_000, n: 1, total: 5 },
  ]

  it('maps records to rows with `row`: keyed tumbling windows, written directly under the default guarantee', async () => {
    await runJob(job, { params: { path } })
    expect(tableRows()).toEqual(expected)
    expect(recordedCheckpoint()).toBeUndefined()
  })

  it('under exactly-once with a checkpoint store, commits rows with checkpoint ids through prepare/commit, the rest at the end of input', async () => {
    // 3000 readings over 300 s of event time, read in about 150 ms, checkpointed every 10 ms.
    const paced = defineJob<{ path: string }>({
      name: 'sqlite-upsert-paced',
      build(env, params) {
        env
          .source(sources.generator({ generate: (i) => ({ sensor: `s${i % 3}`, ts: i * 100, value: i }), count: 3000, ratePerSecond: 20_000, timestamp: (r) => r.ts, batchSize: 50, splits: 1 }))
          .keyBy((r) => r.sensor)
          .window(windows.tumbling({ size: 10_000 }))
          .aggregate({ n: agg.count(), total: agg.sum((r: { value: number }) => r.value) })
          .sink(sinks.sqlite({ ...base(), path: params.path, row: (w: { key: unknown; windowStart: number; result: { n: number; total: number } }) => ({ sensor: String(w.key), window_start: w.windowStart, ...w.result }) }))
      },
    })
    await runJob(paced, { params: { path }, guarantee: 'exactly-once', checkpoints: { dir: join(dir, 'checkpoints'), intervalMs: 10 } })
    const want = new Map<string, Row>()
    for (let i = 0; i < 3000; i++) {
      const sensor = `s${i % 3}`
      const start = Math.floor((i * 100) / 10_000) * 10_000
      const row = want.get(`${sensor}@${start}`) ?? { sensor, window_start: start, n: 0, total: 0 }
      row.n++
      row.total += i
      want.set(`${sensor}@${start}`, row)
    }
    expect(tableRows()).toEqual([...want.values()].sort((a, b) => a.sensor.localeCompare(b.sensor) || a.window_start - b.window_start))
    expect(recordedCheckpoint()).toBeGreaterThan(1)
  })
})

describe('sinks.sqlite, protocol "two-phase"', () => {
  const rowsA = [{ sensor: 'a', window_start: 0, n: 2, total: 3 }]
  const rowsB = [{ sensor: 'b', window_start: 0, n: 4, total: 8 }]

  it('prepare hides the rows, commit shows them with the checkpoint id, and a second commit of that id is a no-op', async () => {
    const writer = await open({ protocol: 'two-phase' })
    await writer.write(batch(rowsA))
    const prepared = await writer.prepare!(1)
    expect(writer.buffered).toBe(0)
    expect(tableRows()).toEqual([])
    await writer.commit!(1, prepared)
    expect(tableRows()).toEqual(rowsA)
    expect(recordedCheckpoint()).toBe(1)
    // The same id again, even with other rows: nothing changes.
    await writer.commit!(1, encodePreparedRows(['sensor', 'window_start', 'n', 'total'], [{ sensor: 'a', window_start: 0, n: 99, total: 99 }]))
    expect(tableRows()).toEqual(rowsA)
    await writer.close!()
  })

  it('commits the rows of a checkpoint that failed after its prepare with the next one that commits, or at the end of input', async () => {
    const writer = await open({ protocol: 'two-phase' })
    await writer.write(batch(rowsA))
    await writer.prepare!(1) // checkpoint 1 failed: no commit
    await writer.write(batch(rowsB))
    await writer.commit!(2, await writer.prepare!(2))
    expect(tableRows()).toEqual([...rowsA, ...rowsB])
    expect(recordedCheckpoint()).toBe(2)
    // At end of input (atClose 'write') a prepared batch whose checkpoint never completed is written too.
    const rowsC = [{ sensor: 'c', window_start: 0, n: 1, total: 1 }]
    await writer.write(batch(rowsC))
    await writer.prepare!(3)
    await writer.close!()
    expect(tableRows()).toEqual([...rowsA, ...rowsB, ...rowsC])
    expect(recordedCheckpoint()).toBe(2)
  })

  it('recover re-applies a batch prepared but not committed before a crash, once, and drops what was written after the checkpoint', async () => {
    const crashed = await open({ protocol: 'two-phase', atClose: 'discard' })
    await crashed.write(batch(rowsA))
    const prepared = await crashed.prepare!(7)
    await crashed.close!() // the process died before commit(7)
    expect(tableRows()).toEqual([])

    const restarted = await open({ protocol: 'two-phase', atClose: 'discard' })
    await restarted.write(batch(rowsB)) // not part of checkpoint 7: must not survive recover
    await restarted.recover!(7, prepared)
    expect(restarted.buffered).toBe(0)
    expect(tableRows()).toEqual(rowsA)
    expect(recordedCheckpoint()).toBe(7)
    // A second restart from the same checkpoint finds it committed: nothing is written twice.
    await restarted.recover!(7, encodePreparedRows(['sensor', 'window_start', 'n', 'total'], [{ sensor: 'z', window_start: 0, n: 1, total: 1 }]))
    expect(tableRows()).toEqual(rowsA)
    await restarted.close!()
  })

  it('writes the commits of a job that starts a new checkpoint history, whose ids restart below the recorded one', async () => {
    const earlier = await open({ protocol: 'two-phase' })
    await earlier.write(batch(rowsA))
    await earlier.commit!(50, await earlier.prepare!(50))
    await earlier.close!()
    // A fresh checkpoint store: the job numbers its checkpoints from 1 again, and recovers nothing.
    const fresh = await open({ protocol: 'two-phase' })
    await fresh.write(batch(rowsB))
    await fresh.commit!(1, await fresh.prepare!(1))
    expect(tableRows()).toEqual([...rowsA, ...rowsB])
    expect(recordedCheckpoint()).toBe(1)
    await fresh.close!()
  })

  it('recovering an older checkpoint (a savepoint) records where the job went back to, and the commits after it are written', async () => {
    const first = await open({ protocol: 'two-phase' })
    await first.write(batch(rowsA))
    const preparedTwo = await first.prepare!(2)
    await first.commit!(2, preparedTwo)
    await first.commit!(3, await first.prepare!(3))
    await first.close!()
    expect(recordedCheckpoint()).toBe(3)

    const resumed = await open({ protocol: 'two-phase' })
    await resumed.recover!(2, preparedTwo)
    expect(recordedCheckpoint()).toBe(2)
    expect(tableRows()).toEqual(rowsA)
    const changed = [{ sensor: 'a', window_start: 0, n: 5, total: 50 }]
    await resumed.write(batch(changed))
    await resumed.commit!(3, await resumed.prepare!(3))
    expect(tableRows()).toEqual(changed)
    expect(recordedCheckpoint()).toBe(3)
    await resumed.close!()
  })

  it('prepared rows keep BLOBs and bigints, and bytes of another schema or format are refused by name', () => {
    const columns = ['id', 'payload']
    const rows = decodePreparedRows(columns, encodePreparedRows(columns, [{ id: 12345678901234567890n, payload: new Uint8Array([0, 255]) }]))
    expect(rows).toEqual([{ id: 12345678901234567890n, payload: new Uint8Array([0, 255]) }])
    expect(() => decodePreparedRows(['id'], encodePreparedRows(columns, []))).toThrow(/columns \["id","payload"\], but the sink's are \["id"\]/)
    expect(() => decodePreparedRows(columns, new TextEncoder().encode('{"format":"zip"}'))).toThrow(/format "zip", expected "eddy\/sqlite-rows"/)
    expect(() => encodePreparedRows(columns, [{ id: 1, payload: Number.NaN }])).toThrow(/row 0 has NaN in column "payload"/)
  })
})

describe('sinks.sqlite, bad input', () => {
  it('names the option at fault', () => {
    const columns = base().columns
    expect(() => sinks.sqlite({ ...base(), path: '' })).toThrow(/sinks\.sqlite path: must be the database file path/)
    expect(() => sinks.sqlite({ ...base(), table: 'drop table' })).toThrow(/sinks\.sqlite table: invalid table name "drop table"/)
    expect(() => sinks.sqlite({ ...base(), key: [] })).toThrow(/sinks\.sqlite key: must be a non-empty array/)
    expect(() => sinks.sqlite({ ...base(), key: ['sensor', 'minute'] })).toThrow(/sinks\.sqlite key: names "minute", which is not one of the columns \(sensor, window_start, n, total\)/)
    expect(() => sinks.sqlite({ ...base(), columns: { ...columns, n: 'FLOAT' as never } })).toThrow(/sinks\.sqlite columns: column "n" has type "FLOAT"/)
    expect(() => sinks.sqlite({ ...base(), protocol: 'three-phase' as never })).toThrow(/sinks\.sqlite protocol: must be 'two-phase', 'checkpoint' or 'direct'/)
    expect(() => sinks.sqlite({ ...base(), atClose: 'keep' as never })).toThrow(/sinks\.sqlite atClose/)
    expect(() => sinks.sqlite({ ...base(), keys: ['sensor'] } as never)).toThrow(/sinks\.sqlite keys: is not an option/)
  })

  it('refuses a file that is not a SQLite database, naming the file, and leaves it as it was', async () => {
    const notADatabase = join(dir, 'notes.db')
    writeFileSync(notADatabase, 'these are my notes, not a database\n'.repeat(200))
    await expect(open({ path: notADatabase })).rejects.toThrow(new RegExp(`cannot use ${notADatabase.replace(/[.]/g, '\\.')} as the database for table "minute": file is not a database`))
    await expect(readSqliteCheckpoint(notADatabase, 'minute')).rejects.toThrow(/cannot read the last checkpoint of "minute" from .*notes\.db: file is not a database/)
    expect(await readSqliteCheckpoint(join(dir, 'missing.db'), 'minute')).toBeUndefined()
  })

  it('refuses a row without a key value, writing nothing of its batch', async () => {
    const writer = await open()
    await writer.write(batch([{ sensor: 'a', window_start: 0, n: 1, total: 1 }, { sensor: null as never, window_start: 0, n: 1, total: 1 }]))
    await expect(writer.checkpoint!({ id: 1, bytes: new Uint8Array() })).rejects.toThrow(/row 1 of the batch has no value for key column "sensor"/)
    expect(tableRows()).toEqual([])
    expect(recordedCheckpoint()).toBeUndefined()
    // The bad row is still buffered: closing (atClose 'write') refuses it too, and still closes the file.
    expect(() => writer.close!()).toThrow(/row 1 of the batch has no value for key column "sensor"/)
    expect(tableRows()).toEqual([])
  })
})
