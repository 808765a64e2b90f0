// SQL names and types the SQLite sinks accept, with no SQLite import, so the
// options of sinks.sqlite are checked where the job is defined (any platform).

export type SqliteColumnType = 'TEXT' | 'INTEGER' | 'REAL' | 'BLOB' | 'NUMERIC'

/** The column types the sinks accept (upper case). */
export const SQLITE_COLUMN_TYPES: ReadonlySet<string> = new Set<SqliteColumnType>(['TEXT', 'INTEGER', 'REAL', 'BLOB', 'NUMERIC'])

/** Column name → SQLite type, in table order. */
export type SqliteColumns = Record<string, SqliteColumnType>

/** The table where sinks record the checkpoint their rows belong to (one row per sink). */
export const CHECKPOINT_TABLE = 'eddy_sink_checkpoints'

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/
const IDENTIFIER_LENGTH_MAX = 64
/** Throws unless `name` is a plain SQL identifier (letters, digits, underscore; not starting with a digit or sqlite_). */
export function checkIdentifier(name: unknown, what: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name) || name.length > IDENTIFIER_LENGTH_MAX || /^sqlite_/i.test(name)) {
    throw new Error(
      `invalid ${what} ${JSON.stringify(name)}: use letters, digits and underscores only, starting with a letter or underscore, at most ${IDENTIFIER_LENGTH_MAX} characters, not starting with "sqlite_"`,
    )
  }
  return name
}
