// The Node side of sinks.sqlite (src/connect/sqlite-upsert.ts): the writers of
// both checkpoint protocols over the table storage of src/connect/sqlite.ts,
// and the format of prepared rows. Loaded lazily when a job opens the sink.
import { existsSync } from 'node:fs'
import Database from 'better-sqlite3'
import { CHECKPOINT_TABLE, SqliteWindowSink, type SqliteColumns } from './sqlite.js'
import type { CheckedOptions, SqliteSinkProtocol, SqliteSinkWriter } from './sqlite-upsert.js'

/** Opens the table and the writer of the protocol chosen. */
export function openSqliteWriter<T>(o: CheckedOptions<T>, protocol: SqliteSinkProtocol): SqliteSinkWriter<T> {
  const table = openSqliteTable({ path: o.path, table: o.table, keys: o.keys, values: o.values, sinkId: o.sinkId })
  if (protocol === 'checkpoint') return checkpointWriter(o, table)
  if (protocol === 'two-phase') return twoPhaseWriter(o, table)
  return directWriter(o, table)
}

/** Opens the table, turning "not a database" and the like into an error that names the file. */
function openSqliteTable(options: { path: string; table: string; keys: SqliteColumns; values: SqliteColumns; sinkId?: string }): SqliteWindowSink<Record<string, unknown>> {
  try {
    return SqliteWindowSink.open<Record<string, unknown>>(options)
  } catch (error) {
    throw new Error(`sinks.sqlite: cannot use ${options.path} as the database for table "${options.table}": ${(error as Error).message}`, { cause: error })
  }
}

/** Shared by the writers: buffering, the closed check, and close. */
function bufferingWriter<T>(o: CheckedOptions<T>, table: SqliteWindowSink<Record<string, unknown>>) {
  const state = { buffer: [] as Record<string, unknown>[], closed: false }
  const assertOpen = () => {
    if (state.closed) throw new Error(`sinks.sqlite: the sink for table "${o.table}" is closed`)
  }
  return {
    state,
    assertOpen,
    get buffered() {
      return state.buffer.length
    },
    write(batch: { values: T[] }) {
      assertOpen()
      for (const value of batch.values) state.buffer.push(o.row(value))
    },
    close() {
      if (state.closed) return
      state.closed = true
      try {
        if (o.atClose === 'write' && state.buffer.length > 0) table.writeBatch(state.buffer)
        state.buffer = []
      } finally {
        table.close()
      }
    },
  }
}

function directWriter<T>(o: CheckedOptions<T>, table: SqliteWindowSink<Record<string, unknown>>): SqliteSinkWriter<T> {
  // Nothing is ever buffered, so the base's close only closes the table.
  const base = bufferingWriter(o, table)
  return {
    buffered: 0,
    write(batch) {
      base.assertOpen()
      const rows = batch.values.map((value) => o.row(value))
      if (rows.length > 0) table.writeBatch(rows)
    },
    close: () => base.close(),
  }
}

function checkpointWriter<T>(o: CheckedOptions<T>, table: SqliteWindowSink<Record<string, unknown>>): SqliteSinkWriter<T> {
  const base = bufferingWriter(o, table)
  return {
    get buffered() {
      return base.buffered
    },
    write: (batch) => base.write(batch),
    close: () => base.close(),
    async checkpoint(checkpoint: { id: number; bytes: Uint8Array; offsets?: Record<string, number> }) {
      base.assertOpen()
      const rows = base.state.buffer
      // One transaction: the rows and the checkpoint. On failure the rows stay buffered for the next one.
      const result = table.writeBatch(rows, { checkpointId: checkpoint.id, state: checkpoint.bytes, ...(checkpoint.offsets ? { offsets: checkpoint.offsets } : {}) })
      if (result.skipped) {
        throw new Error(
          `sinks.sqlite: checkpoint ${checkpoint.id} is not newer than checkpoint ${table.lastCheckpoint()?.checkpointId}, already committed to ${o.path}: restore the job from readSqliteCheckpoint(path, sinkId)`,
        )
      }
      base.state.buffer = []
      o.onCommit?.({ checkpointId: checkpoint.id, rows: rows.length })
    },
  } as SqliteSinkWriter<T>
}

function twoPhaseWriter<T>(o: CheckedOptions<T>, table: SqliteWindowSink<Record<string, unknown>>): SqliteSinkWriter<T> {
  const base = bufferingWriter(o, table)
  // Prepared batches not yet committed, by checkpoint id. A checkpoint that
  // fails after its prepare is never committed itself; its rows go out with
  // the next checkpoint that commits (all pending ids up to it, in order).
  const pending = new Map<number, Record<string, unknown>[]>()
  // Checkpoint ids up to this one are committed in this job's history: a
  // commit of one of them again writes nothing. Learnt from recover() or from
  // our own commits, never from the id the file records: a job that starts a
  // new history (a fresh checkpoint store, a restore from an older savepoint)
  // numbers its checkpoints from lower ids, and its commits must be written.
  let committedUpTo: number | undefined
  return {
    get buffered() {
      return base.buffered
    },
    write: (batch) => base.write(batch),
    close() {
      // At end of input, rows of a checkpoint that failed after its prepare are as final as the buffered ones.
      if (o.atClose === 'write' && !base.state.closed) base.state.buffer = [...[...pending.keys()].sort((a, b) => a - b).flatMap((id) => pending.get(id)!), ...base.state.buffer]
      pending.clear()
      base.close()
    },
    prepare(checkpointId: number): Uint8Array {
      base.assertOpen()
      const rows = base.state.buffer
      const bytes = encodePreparedRows(o.columnNames, rows)
      pending.set(checkpointId, rows)
      base.state.buffer = []
      return bytes
    },
    commit(checkpointId: number, prepared: Uint8Array): void {
      base.assertOpen()
      const ids = [...pending.keys()].filter((id) => id <= checkpointId).sort((a, b) => a - b)
      if (committedUpTo !== undefined && checkpointId <= committedUpTo) {
        for (const id of ids) pending.delete(id)
        return
      }
      // After a restart nothing is pending here: the rows come from the prepared bytes.
      const rows = ids.length > 0 ? ids.flatMap((id) => pending.get(id)!) : decodePreparedRows(o.columnNames, prepared)
      const result = table.writeBatch(rows, { checkpointId, rewind: true })
      committedUpTo = checkpointId
      for (const id of ids) pending.delete(id)
      o.onCommit?.({ checkpointId, rows: result.rows })
    },
    recover(checkpointId: number, prepared: Uint8Array | undefined): void {
      base.assertOpen()
      // Whatever was written after the checkpoint is replayed by the restored job: drop it.
      base.state.buffer = []
      pending.clear()
      committedUpTo = checkpointId
      const last = table.lastCheckpoint()?.checkpointId
      if (last !== undefined && last >= checkpointId) {
        // Committed already (commits go in id order). A higher id recorded means the job went back
        // to an older checkpoint: record where it resumes, so the file says which history it holds.
        if (last > checkpointId) table.writeBatch([], { checkpointId, rewind: true })
        return
      }
      // The crash came between the checkpoint being stored and its commit: commit it now.
      if (prepared !== undefined) table.writeBatch(decodePreparedRows(o.columnNames, prepared), { checkpointId })
    },
  } as SqliteSinkWriter<T>
}

/** The last checkpoint the sink committed to `path` with its job state (protocol 'checkpoint'), for `runJob({ restore })`; undefined for a new file. */
export function readSqliteCheckpointNow(path: string, sinkId: string): { id: number; bytes: Uint8Array; committedAt: number } | undefined {
  if (!existsSync(path)) return undefined
  let db: Database.Database | undefined
  try {
    db = new Database(path, { readonly: true, fileMustExist: true })
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(CHECKPOINT_TABLE)
    if (table === undefined) return undefined
    const row = db.prepare(`SELECT checkpoint_id, state, committed_at FROM ${CHECKPOINT_TABLE} WHERE sink = ?`).get(sinkId) as
      | { checkpoint_id: number; state: Buffer | null; committed_at: number }
      | undefined
    if (row === undefined || row.state === null) return undefined
    return { id: row.checkpoint_id, bytes: new Uint8Array(row.state), committedAt: row.committed_at }
  } catch (error) {
    throw new Error(`sinks.sqlite: cannot read the last checkpoint of "${sinkId}" from ${path}: ${(error as Error).message}`, { cause: error })
  } finally {
    db?.close()
  }
}

// Prepared rows, as stored in a checkpoint (version 1): UTF-8 JSON
//   { "format": "eddy/sqlite-rows", "version": 1, "columns": ["a", "b"], "rows": [[1, "x"], ...] }
// A value is a JSON number, string or null; a BLOB is { "base64": "..." } and
// a bigint { "bigint": "123" }. Columns are checked on decode, so bytes from a
// sink with another schema are refused rather than written into wrong columns.
const PREPARED_FORMAT = 'eddy/sqlite-rows'
const PREPARED_VERSION = 1
const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function encodePreparedRows(columns: readonly string[], rows: readonly Record<string, unknown>[]): Uint8Array {
  const out: unknown[][] = new Array(rows.length)
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    const values: unknown[] = new Array(columns.length)
    for (let c = 0; c < columns.length; c++) values[c] = encodeValue(row?.[columns[c]], i, columns[c])
    out[i] = values
  }
  return encoder.encode(JSON.stringify({ format: PREPARED_FORMAT, version: PREPARED_VERSION, columns, rows: out }))
}

export function decodePreparedRows(columns: readonly string[], bytes: Uint8Array): Record<string, unknown>[] {
  let parsed: { format?: unknown; version?: unknown; columns?: unknown; rows?: unknown }
  try {
    parsed = JSON.parse(decoder.decode(bytes))
  } catch (error) {
    throw new Error(`sinks.sqlite: the prepared rows are not ${PREPARED_FORMAT} JSON (${(error as Error).message})`)
  }
  if (parsed?.format !== PREPARED_FORMAT) throw new Error(`sinks.sqlite: the prepared rows have format ${JSON.stringify(parsed?.format)}, expected "${PREPARED_FORMAT}"`)
  if (parsed.version !== PREPARED_VERSION) throw new Error(`sinks.sqlite: the prepared rows have version ${JSON.stringify(parsed.version)}; this eddy reads version ${PREPARED_VERSION}`)
  if (JSON.stringify(parsed.columns) !== JSON.stringify(columns)) {
    throw new Error(`sinks.sqlite: the prepared rows have columns ${JSON.stringify(parsed.columns)}, but the sink's are ${JSON.stringify(columns)}`)
  }
  if (!Array.isArray(parsed.rows)) throw new Error('sinks.sqlite: the prepared rows have no rows array')
  return parsed.rows.map((values: unknown) => {
    if (!Array.isArray(values) || values.length !== columns.length) throw new Error(`sinks.sqlite: a prepared row does not have ${columns.length} values`)
    const row: Record<string, unknown> = {}
    for (let c = 0; c < columns.length; c++) row[columns[c]] = decodeValue(values[c])
    return row
  })
}

function encodeValue(value: unknown, index: number, column: string): unknown {
  if (value === null || typeof value === 'string') return value
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`sinks.sqlite: row ${index} has ${value} in column "${column}"; SQLite stores no NaN or infinity`)
    return value
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  if (typeof value === 'bigint') return { bigint: value.toString() }
  if (value instanceof Uint8Array) return { base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') }
  if (value === undefined) throw new Error(`sinks.sqlite: row ${index} has no value for column "${column}"`)
  throw new Error(`sinks.sqlite: row ${index} has a ${typeof value} in column "${column}"; use a number, string, bigint, boolean, Uint8Array or null`)
}

function decodeValue(value: unknown): unknown {
  if (value !== null && typeof value === 'object') {
    const tagged = value as { base64?: unknown; bigint?: unknown }
    if (typeof tagged.base64 === 'string') return new Uint8Array(Buffer.from(tagged.base64, 'base64'))
    if (typeof tagged.bigint === 'string') return BigInt(tagged.bigint)
    throw new Error(`sinks.sqlite: a prepared value ${JSON.stringify(value)} is neither a BLOB nor a bigint`)
  }
  return value
}
