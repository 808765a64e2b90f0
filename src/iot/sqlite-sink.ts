// The IoT job's window rows as a stream sink: table sensor_minute in a SQLite
// file through sinks.sqlite (src/connect/sqlite-upsert.ts, protocol
// 'checkpoint'), written exactly once per checkpoint.
//
// The writer buffers the rows it is given. When the runtime completes a
// checkpoint it calls `checkpoint({ id, bytes })`, and the buffered rows are
// upserted together with the checkpoint (id and the job's state bytes) in ONE
// SQLite transaction. So the database always holds exactly the rows of every
// committed checkpoint: after a crash, the job restores the last checkpoint
// recorded in the file (`readLastCheckpoint`), replays its sources from the
// offsets in it, and recomputes the rows that had not been committed — none
// lost, none twice (and a row written again is an upsert anyway).
//
// At end of input (`close`), rows still buffered are written without a
// checkpoint (`atClose: 'write'`, the default: a bounded run keeps everything)
// or dropped (`atClose: 'discard'`: a job that always resumes from its
// checkpoints, such as `npm start`, whose cancelled run fires its open windows
// early — those partial rows must not reach the table; the restarted job
// recomputes them whole).
import { SENSOR_MINUTE_TABLE, type SensorMinuteRow } from '../connect/sqlite.js'
import { sqliteSink } from '../connect/sqlite-upsert.js'
import { readSqliteCheckpointNow } from '../connect/sqlite-upsert-writer.js'
import type { SinkSpec, SinkWriter } from '../stream/sinks/spec.js'

export type { SensorMinuteRow } from '../connect/sqlite.js'

export interface SensorMinuteSinkOptions {
  /** The database file, e.g. `<dataDir>/iot.db` (created with its tables if missing). */
  path: string
  /** Rows still buffered at end of input: 'write' them (default) or 'discard' them (see the header). */
  atClose?: 'write' | 'discard'
  /** Called after each commit. */
  onCommit?: (commit: { checkpointId: number; rows: number }) => void
}

/** A checkpoint as the runtime hands it to sinks and takes it back in `restore`. */
export interface JobCheckpoint {
  id: number
  bytes: Uint8Array
}

/** The writer, with the checkpoint hook the runtime calls. */
export interface SensorMinuteWriter extends SinkWriter<SensorMinuteRow> {
  checkpoint(checkpoint: JobCheckpoint & { offsets?: Record<string, number> }): Promise<void>
  /** Rows waiting for the next checkpoint. */
  readonly buffered: number
}

/** The sink: sinks.sqlite on table sensor_minute with protocol 'checkpoint' (the rows and the job's checkpoint in one transaction). */
export function sensorMinuteSink(options: SensorMinuteSinkOptions): SinkSpec<SensorMinuteRow> {
  if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('sensorMinuteSink needs the database file path')
  const atClose = options.atClose ?? 'write'
  if (atClose !== 'write' && atClose !== 'discard') throw new TypeError(`sensorMinuteSink atClose must be 'write' or 'discard', got ${String(atClose)}`)
  const { table, keys, values } = SENSOR_MINUTE_TABLE
  return sqliteSink<SensorMinuteRow>({
    path: options.path,
    table,
    key: Object.keys(keys),
    columns: { ...keys, ...values },
    protocol: 'checkpoint',
    atClose,
    ...(options.onCommit ? { onCommit: options.onCommit } : {}),
  })
}

/** The window result the job produces for each sensor and minute, as a table row. */
export function sensorMinuteRow(result: { key: string | number; windowStart: number; windowEnd: number; result: { avg: number; min: number; max: number; count: number } }): SensorMinuteRow {
  const { avg, min, max, count } = result.result
  return { sensor_id: String(result.key), window_start: result.windowStart, window_end: result.windowEnd, avg, min, max, count }
}

/** The last checkpoint committed to the database at `path` (undefined for a new or checkpoint-less file). */
export function readLastCheckpoint(path: string): (JobCheckpoint & { committedAt: number }) | undefined {
  return readSqliteCheckpointNow(path, SENSOR_MINUTE_TABLE.table)
}
