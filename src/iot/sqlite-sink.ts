// The IoT job's window rows as a stream sink: table sensor_minute in a SQLite
// file (src/connect/sqlite.ts), written exactly once per checkpoint.
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
import { openSensorMinuteSink, type SensorMinuteRow, type SqliteWindowSink } from '../connect/sqlite.js'
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

/** The sink: one SQLite connection, opened by the runtime when the job starts, closed when it ends. */
export function sensorMinuteSink(options: SensorMinuteSinkOptions): SinkSpec<SensorMinuteRow> {
  if (typeof options?.path !== 'string' || options.path === '') throw new TypeError('sensorMinuteSink needs the database file path')
  const atClose = options.atClose ?? 'write'
  if (atClose !== 'write' && atClose !== 'discard') throw new TypeError(`sensorMinuteSink atClose must be 'write' or 'discard', got ${String(atClose)}`)
  return {
    kind: 'sqlite',
    name: 'sink(sqlite sensor_minute)',
    runsIn: 'coordinator',
    open(): SensorMinuteWriter {
      const sink: SqliteWindowSink<SensorMinuteRow> = openSensorMinuteSink(options.path)
      let buffer: SensorMinuteRow[] = []
      let closed = false
      return {
        get buffered() {
          return buffer.length
        },
        write(batch) {
          if (closed) throw new Error('the sensor_minute sink is closed')
          for (const row of batch.values) buffer.push(row)
        },
        async checkpoint(checkpoint) {
          if (closed) throw new Error('the sensor_minute sink is closed')
          const rows = buffer
          // One transaction: the rows and the checkpoint. On failure the rows stay buffered.
          const result = sink.writeBatch(rows, { checkpointId: checkpoint.id, state: checkpoint.bytes, ...(checkpoint.offsets ? { offsets: checkpoint.offsets } : {}) })
          if (result.skipped) {
            const last = sink.lastCheckpoint()?.checkpointId
            throw new Error(`checkpoint ${checkpoint.id} is not newer than checkpoint ${last}, already committed to ${options.path}: was the job restored from an older checkpoint?`)
          }
          buffer = []
          options.onCommit?.({ checkpointId: checkpoint.id, rows: rows.length })
        },
        close() {
          if (closed) return
          closed = true
          try {
            if (atClose === 'write' && buffer.length > 0) sink.writeBatch(buffer)
            buffer = []
          } finally {
            sink.close()
          }
        },
      }
    },
  }
}

/** The window result the job produces for each sensor and minute, as a table row. */
export function sensorMinuteRow(result: { key: string | number; windowStart: number; windowEnd: number; result: { avg: number; min: number; max: number; count: number } }): SensorMinuteRow {
  const { avg, min, max, count } = result.result
  return { sensor_id: String(result.key), window_start: result.windowStart, window_end: result.windowEnd, avg, min, max, count }
}

/** The last checkpoint committed to the database at `path` (undefined for a new or checkpoint-less file). */
export function readLastCheckpoint(path: string): (JobCheckpoint & { committedAt: number }) | undefined {
  const sink = openSensorMinuteSink(path)
  try {
    const last = sink.lastCheckpoint()
    if (last === undefined || last.state === undefined) return undefined
    return { id: last.checkpointId, bytes: last.state, committedAt: last.committedAt }
  } finally {
    sink.close()
  }
}
