// A transactional SQLite sink for windowed results (Node only, better-sqlite3).
//
// Rows are upserted by their key columns (for windows: the key and the window
// start), so writing the same window again replaces it: a replay after a crash
// is idempotent. A batch may carry a checkpoint — its id, the job's opaque state
// bytes and its source offsets — which is written to `eddy_sink_checkpoints` in
// the SAME transaction as the rows. After a crash, lastCheckpoint() says exactly
// what the database holds: every row of every committed checkpoint, nothing of
// one that did not commit. A job restores from it and replays from its offsets.
//
// Durability: WAL journal with synchronous=FULL, so a committed transaction
// survives power loss, not only a process crash.
import Database from 'better-sqlite3'
import { CHECKPOINT_TABLE, SQLITE_COLUMN_TYPES, checkIdentifier, type SqliteColumnType, type SqliteColumns } from './sqlite-identifiers.js'

export { checkIdentifier, CHECKPOINT_TABLE } from './sqlite-identifiers.js'
export type { SqliteColumnType, SqliteColumns } from './sqlite-identifiers.js'

export interface SqliteWindowSinkOptions {
  /** Database file (created if missing); ':memory:' for a private in-memory database. */
  path: string
  table: string
  /** Primary-key columns: the row's identity (e.g. sensor_id and window_start). Never NULL. */
  keys: SqliteColumns
  /** Columns replaced when a row with the same key is written again. */
  values: SqliteColumns
  /** Row name in eddy_sink_checkpoints (default: the table name), so sinks can share one file. */
  sinkId?: string
  /** PRAGMA synchronous (default FULL: a commit is on stable storage when writeBatch returns). */
  synchronous?: 'FULL' | 'EXTRA' | 'NORMAL'
  /** How long to wait for another connection's lock, ms (default 5000). */
  busyTimeoutMs?: number
}

export interface SinkCommit {
  /** Increases with every checkpoint; a batch whose id is not above the last committed one is a replay and is skipped. */
  checkpointId: number
  /**
   * Write and record `checkpointId` even when a higher id is recorded: the
   * job started a new checkpoint history (a fresh checkpoint store, or a
   * restore from an older checkpoint or savepoint) and its ids restart lower.
   */
  rewind?: boolean
  /** The job's state at this checkpoint, opaque to the sink. */
  state?: Uint8Array
  /** Source positions at this checkpoint (e.g. { 'sensors/0': 1234 }). */
  offsets?: Record<string, number>
}

export interface SinkCheckpoint {
  checkpointId: number
  state?: Uint8Array
  offsets?: Record<string, number>
  /** Wall-clock ms of the commit. */
  committedAt: number
}

export interface WriteResult {
  /** Rows upserted (0 when skipped). */
  rows: number
  /** True when the batch's checkpoint id was already committed: nothing was written. */
  skipped: boolean
  checkpointId?: number
}

const quote = (name: string) => `"${name}"`

/** The IoT job's table: one row per sensor and one-minute window. */
export const SENSOR_MINUTE_TABLE = {
  table: 'sensor_minute',
  keys: { sensor_id: 'TEXT', window_start: 'INTEGER' },
  values: { window_end: 'INTEGER', avg: 'REAL', min: 'REAL', max: 'REAL', count: 'INTEGER' },
} as const satisfies Pick<SqliteWindowSinkOptions, 'table' | 'keys' | 'values'>

export interface SensorMinuteRow {
  sensor_id: string
  window_start: number
  window_end: number
  avg: number
  min: number
  max: number
  count: number
}

export class SqliteWindowSink<Row extends object = Record<string, unknown>> {
  readonly table: string
  readonly sinkId: string
  readonly keyColumns: readonly string[]
  readonly valueColumns: readonly string[]
  private readonly db: Database.Database
  private readonly columns: readonly string[]
  private readonly upsert: Database.Statement<unknown[]>
  private readonly readCheckpoint: Database.Statement<[string], { checkpoint_id: number; state: Buffer | null; offsets: string | null; committed_at: number }>
  private readonly writeCheckpoint: Database.Statement<unknown[]>
  private readonly write: (rows: readonly Row[], commit: SinkCommit | undefined) => WriteResult
  private closed = false

  static open<Row extends object = Record<string, unknown>>(options: SqliteWindowSinkOptions): SqliteWindowSink<Row> {
    return new SqliteWindowSink<Row>(options)
  }

  constructor(options: SqliteWindowSinkOptions) {
    if (typeof options?.path !== 'string' || options.path === '') throw new Error('SqliteWindowSink needs a database file path')
    this.table = checkIdentifier(options.table, 'table name')
    if (this.table === CHECKPOINT_TABLE) throw new Error(`table name "${CHECKPOINT_TABLE}" is reserved for the sink's checkpoints`)
    const keys = checkColumns(options.keys, 'key column')
    const values = checkColumns(options.values ?? {}, 'value column')
    if (keys.length === 0) throw new Error(`table "${this.table}" needs at least one key column`)
    const all = [...keys, ...values]
    const seen = new Set<string>()
    for (const [name] of all) {
      if (seen.has(name.toLowerCase())) throw new Error(`column "${name}" is given twice (SQLite column names ignore case)`)
      seen.add(name.toLowerCase())
    }
    this.keyColumns = keys.map(([name]) => name)
    this.valueColumns = values.map(([name]) => name)
    this.columns = all.map(([name]) => name)
    this.sinkId = options.sinkId ?? this.table
    const synchronous = options.synchronous ?? 'FULL'
    if (!['FULL', 'EXTRA', 'NORMAL'].includes(synchronous)) throw new Error(`synchronous must be FULL, EXTRA or NORMAL, got ${JSON.stringify(synchronous)}`)

    this.db = new Database(options.path, { timeout: options.busyTimeoutMs ?? 5000 })
    try {
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${synchronous}`)
      const columnDefs = all.map(([name, type]) => `${quote(name)} ${type}${this.keyColumns.includes(name) ? ' NOT NULL' : ''}`)
      this.db.exec(
        `CREATE TABLE IF NOT EXISTS ${quote(this.table)} (${columnDefs.join(', ')}, PRIMARY KEY (${this.keyColumns.map(quote).join(', ')}))`,
      )
      this.db.exec(
        `CREATE TABLE IF NOT EXISTS ${CHECKPOINT_TABLE} (sink TEXT PRIMARY KEY NOT NULL, checkpoint_id INTEGER NOT NULL, state BLOB, offsets TEXT, committed_at INTEGER NOT NULL)`,
      )
      this.checkExistingTable()

      const placeholders = this.columns.map(() => '?').join(', ')
      const conflict = `ON CONFLICT (${this.keyColumns.map(quote).join(', ')}) DO ${
        this.valueColumns.length === 0 ? 'NOTHING' : `UPDATE SET ${this.valueColumns.map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ')}`
      }`
      try {
        this.upsert = this.db.prepare(`INSERT INTO ${quote(this.table)} (${this.columns.map(quote).join(', ')}) VALUES (${placeholders}) ${conflict}`)
      } catch (error) {
        throw new Error(`table "${this.table}" in ${options.path} has no primary key or unique index on (${this.keyColumns.join(', ')}): ${(error as Error).message}`)
      }
      this.readCheckpoint = this.db.prepare(`SELECT checkpoint_id, state, offsets, committed_at FROM ${CHECKPOINT_TABLE} WHERE sink = ?`)
      this.writeCheckpoint = this.db.prepare(
        `INSERT INTO ${CHECKPOINT_TABLE} (sink, checkpoint_id, state, offsets, committed_at) VALUES (?, ?, ?, ?, ?) ` +
          `ON CONFLICT (sink) DO UPDATE SET checkpoint_id = excluded.checkpoint_id, state = excluded.state, offsets = excluded.offsets, committed_at = excluded.committed_at`,
      )
    } catch (error) {
      this.db.close()
      throw error
    }

    const columnCount = this.columns.length
    const keyCount = this.keyColumns.length
    const columns = this.columns
    const bound: unknown[] = new Array(columnCount)
    // One transaction per batch: the rows, then the checkpoint row; any throw rolls all of it back.
    const transaction = this.db.transaction((rows: readonly Row[], commit: SinkCommit | undefined): WriteResult => {
      if (commit) {
        const last = this.readCheckpoint.get(this.sinkId)
        if (last && commit.checkpointId <= last.checkpoint_id && commit.rewind !== true) return { rows: 0, skipped: true, checkpointId: commit.checkpointId }
      }
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as Record<string, unknown>
        if (row === null || typeof row !== 'object') throw new Error(`row ${i} of the batch is not an object`)
        for (let c = 0; c < columnCount; c++) {
          const value = row[columns[c]]
          if (value === undefined || (c < keyCount && value === null)) {
            throw new Error(`row ${i} of the batch has no value for ${c < keyCount ? 'key ' : ''}column "${columns[c]}" of table "${this.table}"`)
          }
          bound[c] = typeof value === 'boolean' ? (value ? 1 : 0) : value
        }
        this.upsert.run(bound)
      }
      if (commit) {
        this.writeCheckpoint.run(
          this.sinkId,
          commit.checkpointId,
          commit.state === undefined ? null : Buffer.from(commit.state.buffer, commit.state.byteOffset, commit.state.byteLength),
          commit.offsets === undefined ? null : JSON.stringify(commit.offsets),
          Date.now(),
        )
      }
      return commit ? { rows: rows.length, skipped: false, checkpointId: commit.checkpointId } : { rows: rows.length, skipped: false }
    })
    this.write = (rows, commit) => transaction.immediate(rows, commit)
  }

  /**
   * Upserts `rows` and, with `commit`, records the checkpoint in the same
   * transaction. All or nothing: on any error nothing of the batch is visible.
   * With a checkpoint id not above the last committed one, the batch is a
   * replay of committed work: nothing is written and `skipped` is true.
   */
  writeBatch(rows: readonly Row[], commit?: SinkCommit): WriteResult {
    this.assertOpen()
    if (!Array.isArray(rows)) throw new TypeError('writeBatch needs an array of rows')
    if (commit !== undefined) checkCommit(commit)
    return this.write(rows, commit)
  }

  /** The last committed checkpoint of this sink, or undefined if none was ever committed. */
  lastCheckpoint(): SinkCheckpoint | undefined {
    this.assertOpen()
    const row = this.readCheckpoint.get(this.sinkId)
    if (!row) return undefined
    return {
      checkpointId: row.checkpoint_id,
      ...(row.state === null ? {} : { state: new Uint8Array(row.state) }),
      ...(row.offsets === null ? {} : { offsets: JSON.parse(row.offsets) as Record<string, number> }),
      committedAt: row.committed_at,
    }
  }

  /** Every row, ordered by the key columns. */
  rows(): Row[] {
    this.assertOpen()
    return this.db.prepare(`SELECT ${this.columns.map(quote).join(', ')} FROM ${quote(this.table)} ORDER BY ${this.keyColumns.map(quote).join(', ')}`).all() as Row[]
  }

  /** The row with this key, or undefined. */
  get(key: Partial<Row>): Row | undefined {
    this.assertOpen()
    const where = this.keyColumns.map((c) => `${quote(c)} = ?`).join(' AND ')
    const params = this.keyColumns.map((c) => {
      const v = (key as Record<string, unknown>)[c]
      if (v === undefined || v === null) throw new Error(`get needs a value for key column "${c}"`)
      return v
    })
    return this.db.prepare(`SELECT ${this.columns.map(quote).join(', ')} FROM ${quote(this.table)} WHERE ${where}`).get(...params) as Row | undefined
  }

  count(): number {
    this.assertOpen()
    return (this.db.prepare(`SELECT count(*) AS n FROM ${quote(this.table)}`).get() as { n: number }).n
  }

  /** The underlying connection, for queries of your own (do not write the sink's tables behind its back). */
  get database(): Database.Database {
    return this.db
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.db.close()
  }

  private checkExistingTable(): void {
    const info = this.db.prepare(`PRAGMA table_info(${quote(this.table)})`).all() as { name: string }[]
    const present = new Set(info.map((c) => c.name.toLowerCase()))
    const missing = this.columns.filter((c) => !present.has(c.toLowerCase()))
    if (missing.length > 0) {
      throw new Error(`table "${this.table}" already exists with columns (${info.map((c) => c.name).join(', ')}); missing: ${missing.join(', ')}`)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`the SQLite sink for "${this.table}" is closed`)
  }
}

/** Opens the IoT job's sink: table sensor_minute in the file at `path` (e.g. `<dataDir>/iot.db`). */
export function openSensorMinuteSink(path: string, options: Pick<SqliteWindowSinkOptions, 'sinkId' | 'synchronous'> = {}): SqliteWindowSink<SensorMinuteRow> {
  return SqliteWindowSink.open<SensorMinuteRow>({ path, ...SENSOR_MINUTE_TABLE, keys: { ...SENSOR_MINUTE_TABLE.keys }, values: { ...SENSOR_MINUTE_TABLE.values }, ...options })
}

function checkColumns(spec: SqliteColumns, what: string): [string, SqliteColumnType][] {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) throw new Error(`${what}s must be an object of column name → type`)
  return Object.entries(spec).map(([name, type]) => {
    checkIdentifier(name, what + ' name')
    const upper = typeof type === 'string' ? type.toUpperCase() : type
    if (typeof upper !== 'string' || !SQLITE_COLUMN_TYPES.has(upper)) {
      throw new Error(`${what} "${name}" has type ${JSON.stringify(type)}; use one of ${[...SQLITE_COLUMN_TYPES].join(', ')}`)
    }
    return [name, upper as SqliteColumnType]
  })
}

function checkCommit(commit: SinkCommit): void {
  if (commit === null || typeof commit !== 'object') throw new TypeError('the commit must be an object { checkpointId, state?, offsets? }')
  if (!Number.isSafeInteger(commit.checkpointId) || commit.checkpointId < 0) {
    throw new Error(`checkpointId must be a non-negative integer, got ${String(commit.checkpointId)}`)
  }
  if (commit.state !== undefined && !(commit.state instanceof Uint8Array)) throw new TypeError('commit.state must be a Uint8Array')
  if (commit.rewind !== undefined && typeof commit.rewind !== 'boolean') throw new TypeError('commit.rewind must be a boolean')
  if (commit.offsets !== undefined) {
    if (commit.offsets === null || typeof commit.offsets !== 'object' || Array.isArray(commit.offsets)) throw new TypeError('commit.offsets must be an object of name → offset')
    for (const [name, offset] of Object.entries(commit.offsets)) {
      if (typeof offset !== 'number' || !Number.isFinite(offset)) throw new Error(`commit.offsets["${name}"] must be a finite number, got ${String(offset)}`)
    }
  }
}
