// A generic exactly-once SQLite sink: `sinks.sqlite({ path, table, key, columns })`
// (Node only, better-sqlite3; the table storage is src/connect/sqlite.ts).
//
// Records become rows (the record itself, or `row(record)`), which are upserted
// by the `key` columns. With the checkpoint protocols below, rows are buffered
// and reach the database only in a transaction that also records the
// checkpoint id in `eddy_sink_checkpoints`, so the file holds exactly the
// output of the checkpoints it recorded. Restoring the job from that
// checkpoint and replaying its input recomputes the rest: nothing is lost,
// and nothing appears twice (a row written again replaces itself, and a
// checkpoint already committed is not written again).
//
// How it takes part in checkpoints (SinkWriter in src/stream/sinks/spec.ts),
// chosen with `protocol`:
// - 'two-phase' (the default when the job runs with guarantee 'exactly-once'
//   and a checkpoint store): `prepare` hands the buffered rows to the
//   checkpoint as bytes, `commit` writes them with the checkpoint id once the
//   checkpoint is stored (a no-op for an id already committed), and
//   `recover` re-applies a batch that was prepared in a stored checkpoint but
//   not committed before a crash (docs/checkpoints.md has the details).
// - 'checkpoint': the runtime calls `checkpoint({ id, bytes })` and the sink
//   stores the job's checkpoint bytes itself, in the same transaction as the
//   rows; restore the job with `readSqliteCheckpoint(path, sinkId)` (no
//   checkpoint store needed; the IoT app works this way).
// - 'direct' (the default under the other guarantees): each batch is upserted
//   at once in its own transaction. Replayed input rewrites the same rows, so
//   deterministic results (event-time windows) still end up exactly once.
import { StreamConfigError } from '../stream/errors.js'
import type { SinkSpec, SinkWriter } from '../stream/sinks/spec.js'
import { SQLITE_COLUMN_TYPES, checkIdentifier, type SqliteColumnType, type SqliteColumns } from './sqlite-identifiers.js'

export type { SqliteColumns, SqliteColumnType } from './sqlite-identifiers.js'

export type SqliteSinkProtocol = 'two-phase' | 'checkpoint' | 'direct'

export interface SqliteSinkOptions<T> {
  /** Database file, created with its tables if missing. */
  path: string
  table: string
  /** The columns that identify a row (for window results: the key and the window start). */
  key: readonly string[]
  /** Every column, key columns included: name → SQLite type, in table order. */
  columns: SqliteColumns
  /** Maps a record to its row (default: the record itself is the row). */
  row?: (value: T) => Record<string, unknown>
  /** How the sink takes part in checkpoints (see the header). Default: 'two-phase' under guarantee 'exactly-once', else 'direct'. */
  protocol?: SqliteSinkProtocol
  /** Name of this sink's row in eddy_sink_checkpoints (default: the table name), so sinks can share a file. */
  sinkId?: string
  /**
   * Rows still buffered at end of input: 'write' them without a checkpoint
   * (default: a bounded run keeps everything) or 'discard' them (a job that
   * always resumes from its checkpoints: a cancelled run's partial windows must
   * not reach the table).
   */
  atClose?: 'write' | 'discard'
  /** Called after each commit with the checkpoint id and the rows written. */
  onCommit?: (commit: { checkpointId: number; rows: number }) => void
}

/** The writer, with the methods of the protocol chosen. */
export interface SqliteSinkWriter<T> extends SinkWriter<T> {
  /** Rows waiting for the next checkpoint (prepared but uncommitted rows not included). */
  readonly buffered: number
}

const OPTION_KEYS = new Set(['path', 'table', 'key', 'columns', 'row', 'protocol', 'sinkId', 'atClose', 'onCommit'])

/** The options after checking, as the writer uses them. */
export interface CheckedOptions<T> {
  path: string
  table: string
  keys: SqliteColumns
  values: SqliteColumns
  columnNames: string[]
  row: (value: T) => Record<string, unknown>
  /** Undefined: chosen by the job's delivery guarantee when the sink opens. */
  protocol: SqliteSinkProtocol | undefined
  sinkId: string
  atClose: 'write' | 'discard'
  onCommit?: (commit: { checkpointId: number; rows: number }) => void
}

/** Checks the options when the job is defined, so a mistake shows before anything runs; each error names its option. */
function checkOptions<T>(options: SqliteSinkOptions<T>): CheckedOptions<T> {
  const option = (name: string) => `sinks.sqlite ${name}`
  if (options === null || typeof options !== 'object') throw new StreamConfigError('sinks.sqlite', 'needs options { path, table, key, columns }')
  for (const name of Object.keys(options)) {
    if (!OPTION_KEYS.has(name)) throw new StreamConfigError(option(name), `is not an option; the options are ${[...OPTION_KEYS].join(', ')}`)
  }
  if (typeof options.path !== 'string' || options.path === '') throw new StreamConfigError(option('path'), `must be the database file path, got ${JSON.stringify(options.path)}`)
  wrapIdentifier(option('table'), options.table, 'table name')
  if (options.columns === null || typeof options.columns !== 'object' || Array.isArray(options.columns)) {
    throw new StreamConfigError(option('columns'), 'must be an object of column name → type (TEXT, INTEGER, REAL, BLOB, NUMERIC)')
  }
  const columnNames = Object.keys(options.columns)
  if (columnNames.length === 0) throw new StreamConfigError(option('columns'), 'names no column')
  for (const [name, type] of Object.entries(options.columns)) {
    wrapIdentifier(option('columns'), name, 'column name')
    if (typeof type !== 'string' || !SQLITE_COLUMN_TYPES.has(type.toUpperCase())) {
      throw new StreamConfigError(option('columns'), `column "${name}" has type ${JSON.stringify(type)}; use one of ${[...SQLITE_COLUMN_TYPES].join(', ')}`)
    }
  }
  if (!Array.isArray(options.key) || options.key.length === 0) throw new StreamConfigError(option('key'), `must be a non-empty array of column names, got ${JSON.stringify(options.key)}`)
  const keys: SqliteColumns = {}
  for (const name of options.key) {
    if (typeof name !== 'string' || !(name in options.columns)) {
      throw new StreamConfigError(option('key'), `names ${JSON.stringify(name)}, which is not one of the columns (${columnNames.join(', ')})`)
    }
    if (name in keys) throw new StreamConfigError(option('key'), `names "${name}" twice`)
    keys[name] = options.columns[name].toUpperCase() as SqliteColumnType
  }
  const values: SqliteColumns = {}
  for (const name of columnNames) if (!(name in keys)) values[name] = options.columns[name].toUpperCase() as SqliteColumnType
  if (options.row !== undefined && typeof options.row !== 'function') throw new StreamConfigError(option('row'), 'must be a function from a record to its row')
  const protocol = options.protocol
  if (protocol !== undefined && protocol !== 'two-phase' && protocol !== 'checkpoint' && protocol !== 'direct') {
    throw new StreamConfigError(option('protocol'), `must be 'two-phase', 'checkpoint' or 'direct', got ${JSON.stringify(protocol)}`)
  }
  const atClose = options.atClose ?? 'write'
  if (atClose !== 'write' && atClose !== 'discard') throw new StreamConfigError(option('atClose'), `must be 'write' or 'discard', got ${JSON.stringify(atClose)}`)
  if (options.sinkId !== undefined && (typeof options.sinkId !== 'string' || options.sinkId === '')) throw new StreamConfigError(option('sinkId'), 'must be a non-empty string')
  if (options.onCommit !== undefined && typeof options.onCommit !== 'function') throw new StreamConfigError(option('onCommit'), 'must be a function')
  return {
    path: options.path,
    table: options.table,
    keys,
    values,
    columnNames,
    row: options.row ?? ((value: T) => value as Record<string, unknown>),
    protocol,
    sinkId: options.sinkId ?? options.table,
    atClose,
    onCommit: options.onCommit,
  }
}

function wrapIdentifier(option: string, name: unknown, what: string): void {
  try {
    checkIdentifier(name, what)
  } catch (error) {
    throw new StreamConfigError(option, (error as Error).message)
  }
}

/** The exactly-once SQLite sink (see the header). Runs in the coordinator. */
export function sqliteSink<T = Record<string, unknown>>(options: SqliteSinkOptions<T>): SinkSpec<T> {
  const o = checkOptions(options)
  return {
    kind: 'sqlite',
    name: `sink(sqlite ${o.table})`,
    runsIn: 'coordinator',
    async open(context): Promise<SqliteSinkWriter<T>> {
      const protocol = o.protocol ?? (context.guarantee === 'exactly-once' ? 'two-phase' : 'direct')
      const { openSqliteWriter } = await loadWriterModule()
      return openSqliteWriter(o, protocol)
    },
  }
}

/** The last checkpoint the sink committed to `path` with its job state (protocol 'checkpoint'), for `runJob({ restore })`; undefined for a new file. */
export async function readSqliteCheckpoint(path: string, sinkId: string): Promise<{ id: number; bytes: Uint8Array; committedAt: number } | undefined> {
  if (typeof path !== 'string' || path === '') throw new StreamConfigError('readSqliteCheckpoint path', `must be the database file path, got ${JSON.stringify(path)}`)
  if (typeof sinkId !== 'string' || sinkId === '') throw new StreamConfigError('readSqliteCheckpoint sinkId', 'must be the sink id (default: the table name)')
  const { readSqliteCheckpointNow } = await loadWriterModule()
  return readSqliteCheckpointNow(path, sinkId)
}

// The writer module imports better-sqlite3, a native Node module. It is loaded
// when a job opens the sink, so the package root stays loadable where there is
// no SQLite (browsers, Deno); the specifier is a variable so that bundlers
// (esbuild, for the browser bundle) leave it out rather than fail on it.
const WRITER_MODULE = './sqlite-upsert-writer.js'
function loadWriterModule(): Promise<typeof import('./sqlite-upsert-writer.js')> {
  return import(/* @vite-ignore */ WRITER_MODULE)
}
