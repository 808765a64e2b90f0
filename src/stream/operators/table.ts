// Tables (Kafka Streams' KTable) and the stream-table join.
//
// Table<V>: a topic materialised as its latest value per key, applied in log
// (arrival) order. A null or undefined value is a tombstone: it deletes the
// key. upsert() returns the changelog: one entry per record that changed the
// table, { key, timestamp, value, previous } with value undefined for a
// deletion and previous undefined for an insertion. A tombstone for an absent
// key and a value equal (options.equals, default Object.is) to the current one
// change nothing and produce no entry (the stored timestamp still advances).
//
// StreamTableJoinOperator<S, V, OUT> joins a stream to a table it owns.
// - Default (temporal: false), Kafka Streams' stream-table join: each stream
//   record is joined, when it arrives, with the table's current value for its
//   key; later table updates do not re-trigger it. Results carry the stream
//   record's timestamp, in batch order. mode 'inner' emits only when the key is
//   in the table; 'left' calls join(streamValue, undefined, key) when it is not.
//   The outcome depends on how the two inputs interleave.
// - temporal: true, Flink's event-time temporal join: stream records are
//   buffered until the watermark reaches their timestamp and are then joined
//   with the table's version as of that timestamp, i.e. the table update of
//   that key with the greatest timestamp <= the record's (among equal
//   timestamps, the one that arrived last; a tombstone there means no match).
//   Given the same records, the output does not depend on how the inputs were
//   batched or interleaved, nor on when the watermark advanced, as long as no
//   record is late: that is what makes parallel runs deterministic.
//   Late data: a stream record with timestamp <= W (the watermark before its
//   batch) is dropped, counted in lateRecords and returned in `late`. A table
//   update with timestamp <= W still updates the current table (and the
//   changelog) but is not used for temporal look-ups (counted in
//   lateTableUpdates): the stream records it could have affected have been
//   joined already. Results come out of advanceWatermark ordered by
//   (timestamp, key, arrival). Versions no longer needed (older than the
//   latest one at or before W) are purged as the watermark advances.
//
// Snapshots, UTF-8 JSON:
//   Table (format 'eddy/table', version 1):
//     { format, version, watermark, rows: [[key, timestamp, value], ...] } (insertion order)
//   StreamTableJoinOperator (format 'eddy/streamTableJoin', version 1):
//     { format, version, temporal, watermark, lateRecords, lateTableUpdates, nextSeq,
//       table: [[key, timestamp, value], ...],
//       pending: [[seq, key, timestamp, value], ...],         (temporal: buffered stream records)
//       versions: [[key, [[timestamp, seq, value | null], ...]], ...] }  (null: a tombstone)
import { StreamConfigError } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import {
  checkWatermark,
  compareKeys,
  decodeTime,
  encodeTime,
  malformed,
  MinHeap,
  partitionPoint,
  readSnapshot,
  snapshotArray,
  snapshotKey,
  snapshotNumber,
  validateBatch,
  writeSnapshot,
  type Batch,
  type Emitted,
  type JoinOutput,
  type Key,
  type OperatorStats,
} from './types.js'

/** One change to a table. */
export interface ChangelogEntry<V> {
  key: Key
  timestamp: number
  /** The new value; undefined when the key was deleted. */
  value: V | undefined
  /** The value before; undefined when the key was absent. */
  previous: V | undefined
}

export interface TableOptions<V> {
  /** Decides whether an upsert changes a key (no changelog entry when equal). Default Object.is. */
  equals?: (a: V, b: V) => boolean
}

export interface TableStats extends OperatorStats {
  /** stateSize: rows. lateRecords is always 0 (a table applies every record). */
  stateSize: number
  /** Records that changed the table (inserts, updates, deletions). */
  changes: number
}

/** The read side of a table. */
export interface ReadonlyTable<V> extends Iterable<[Key, V]> {
  readonly size: number
  get(key: Key): V | undefined
  has(key: Key): boolean
  /** Timestamp of the record that last set the key (undefined when absent). */
  timestampOf(key: Key): number | undefined
  keys(): IterableIterator<Key>
  values(): IterableIterator<V>
  entries(): IterableIterator<[Key, V]>
}

interface Row<V> {
  value: V
  timestamp: number
}

const TABLE_FORMAT = 'eddy/table'
const JOIN_FORMAT = 'eddy/streamTableJoin'
const VERSION = 1

function tableRows<V>(rows: Map<Key, Row<V>>): unknown[] {
  return [...rows].map(([key, row]) => [key, row.timestamp, row.value])
}

function readTableRows<V>(value: unknown, field: string): Map<Key, Row<V>> {
  const rows = new Map<Key, Row<V>>()
  snapshotArray(value, field).forEach((row, i) => {
    const r = snapshotArray(row, `${field}[${i}]`)
    const key = snapshotKey(r[0], `${field}[${i}][0]`)
    const timestamp = snapshotNumber(r[1], `${field}[${i}][1]`)
    if (r[2] === null || r[2] === undefined) throw malformed(`${field}[${i}][2]`, r[2])
    rows.set(key, { value: r[2] as V, timestamp })
  })
  return rows
}

/** A KTable: latest value per key, with a changelog. Iterates [key, value] in first-insertion order. */
export class Table<V> implements ReadonlyTable<V> {
  private rows = new Map<Key, Row<V>>()
  private readonly equals: (a: V, b: V) => boolean
  private currentWatermark = MIN_WATERMARK
  private changes = 0

  constructor(options: TableOptions<V> = {}) {
    if (options.equals !== undefined && typeof options.equals !== 'function') throw new StreamConfigError('equals', 'must be a function (a, b) => boolean')
    this.equals = options.equals ?? Object.is
  }

  /** Applies records in order (null/undefined values delete); returns the changelog entries of the records that changed the table. */
  upsert(batch: Batch<V | null | undefined>): ChangelogEntry<V>[] {
    const n = validateBatch(batch, 'table batch')
    const changelog: ChangelogEntry<V>[] = []
    for (let i = 0; i < n; i++) {
      const change = this.apply(batch.keys[i], batch.timestamps[i], batch.values[i])
      if (change !== undefined) changelog.push(change)
    }
    return changelog
  }

  /** Applies one validated record. */
  private apply(key: Key, timestamp: number, value: V | null | undefined): ChangelogEntry<V> | undefined {
    const row = this.rows.get(key)
    if (value === null || value === undefined) {
      if (row === undefined) return undefined
      this.rows.delete(key)
      this.changes++
      return { key, timestamp, value: undefined, previous: row.value }
    }
    if (row === undefined) {
      this.rows.set(key, { value, timestamp })
      this.changes++
      return { key, timestamp, value, previous: undefined }
    }
    const previous = row.value
    row.timestamp = timestamp
    if (this.equals(previous, value)) return undefined
    row.value = value
    this.changes++
    return { key, timestamp, value, previous }
  }

  get size(): number {
    return this.rows.size
  }

  get(key: Key): V | undefined {
    return this.rows.get(key)?.value
  }

  has(key: Key): boolean {
    return this.rows.has(key)
  }

  timestampOf(key: Key): number | undefined {
    return this.rows.get(key)?.timestamp
  }

  *keys(): IterableIterator<Key> {
    yield* this.rows.keys()
  }

  *values(): IterableIterator<V> {
    for (const row of this.rows.values()) yield row.value
  }

  *entries(): IterableIterator<[Key, V]> {
    for (const [key, row] of this.rows) yield [key, row.value]
  }

  [Symbol.iterator](): IterableIterator<[Key, V]> {
    return this.entries()
  }

  get watermark(): number {
    return this.currentWatermark
  }

  /** Records the watermark (a lower or equal one is ignored); a table fires nothing, so this returns []. */
  advanceWatermark(watermark: number): ChangelogEntry<V>[] {
    checkWatermark(watermark)
    if (watermark > this.currentWatermark) this.currentWatermark = watermark
    return []
  }

  stats(): TableStats {
    return { watermark: this.currentWatermark, stateSize: this.rows.size, lateRecords: 0, changes: this.changes }
  }

  /** Serialises the table (format in the header comment). */
  snapshot(): Uint8Array {
    return writeSnapshot(TABLE_FORMAT, VERSION, { watermark: encodeTime(this.currentWatermark), changes: this.changes, rows: tableRows(this.rows) })
  }

  static restore<V>(options: TableOptions<V> | undefined, bytes: Uint8Array): Table<V> {
    const table = new Table<V>(options)
    const s = readSnapshot(bytes, TABLE_FORMAT, VERSION)
    table.currentWatermark = decodeTime(s.watermark, 'watermark')
    table.changes = snapshotNumber(s.changes, 'changes')
    table.rows = readTableRows<V>(s.rows, 'rows')
    return table
  }

  /** @internal Used by StreamTableJoinOperator. */
  static applyRecord<V>(table: Table<V>, key: Key, timestamp: number, value: V | null | undefined): ChangelogEntry<V> | undefined {
    return table.apply(key, timestamp, value)
  }

  /** @internal Used by StreamTableJoinOperator's snapshots. */
  static rowsOf<V>(table: Table<V>): unknown[] {
    return tableRows(table.rows)
  }

  /** @internal Used by StreamTableJoinOperator's restore. */
  static loadRows<V>(table: Table<V>, rows: unknown, field: string): void {
    table.rows = readTableRows<V>(rows, field)
  }
}

export interface StreamTableJoinOptions<S, V, OUT> {
  /** Builds a result; tableValue is undefined only in 'left' mode when the key has no row. */
  join: (streamValue: S, tableValue: V | undefined, key: Key) => OUT
  /** 'inner' (default): only stream records whose key is in the table; 'left': every stream record. */
  mode?: 'inner' | 'left'
  /** Event-time (temporal) join instead of joining with the current table; see the header. Default false. */
  temporal?: boolean
  /** Passed to the table (decides which upserts are changes). */
  equals?: (a: V, b: V) => boolean
}

export interface StreamTableJoinStats extends OperatorStats {
  /** stateSize: table rows + table versions kept for temporal look-ups + buffered stream records. */
  stateSize: number
  /** lateRecords: stream records dropped as late (temporal mode only). */
  lateRecords: number
  /** Table updates that arrived behind the watermark (temporal mode): applied to the table, not used for look-ups. */
  lateTableUpdates: number
  tableSize: number
  versions: number
  pendingStream: number
}

interface Pending<S> {
  seq: number
  key: Key
  timestamp: number
  value: S
}

interface Version<V> {
  timestamp: number
  seq: number
  /** undefined: a tombstone. */
  value: V | undefined
}

function pendingLess<S>(a: Pending<S>, b: Pending<S>): boolean {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp
  const k = compareKeys(a.key, b.key)
  return k !== 0 ? k < 0 : a.seq < b.seq
}

export class StreamTableJoinOperator<S, V, OUT> {
  readonly mode: 'inner' | 'left'
  readonly temporal: boolean
  private readonly owned: Table<V>
  private readonly joinFn: (streamValue: S, tableValue: V | undefined, key: Key) => OUT
  private currentWatermark = MIN_WATERMARK
  private lateCount = 0
  private lateTableCount = 0
  private nextSeq = 0
  // Temporal mode.
  private readonly pending = new MinHeap<Pending<S>>(pendingLess)
  /** Per key: versions sorted by (timestamp, seq). */
  private readonly versions = new Map<Key, Version<V>[]>()
  private versionCount = 0
  /** (version timestamp, key): when the watermark reaches the time, the key's older versions can go. */
  private readonly prunes = new MinHeap<{ time: number; key: Key }>((a, b) => a.time < b.time)

  constructor(options: StreamTableJoinOptions<S, V, OUT>) {
    if (typeof options?.join !== 'function') throw new StreamConfigError('join', 'is required: a function (streamValue, tableValue, key) => result')
    const mode = options.mode ?? 'inner'
    if (mode !== 'inner' && mode !== 'left') throw new StreamConfigError('mode', `must be 'inner' or 'left', got ${String(mode)}`)
    if (options.temporal !== undefined && typeof options.temporal !== 'boolean') throw new StreamConfigError('temporal', 'must be a boolean')
    this.mode = mode
    this.temporal = options.temporal === true
    this.joinFn = options.join
    this.owned = new Table<V>({ equals: options.equals })
  }

  /** The table as it stands (latest value per key, in arrival order). Update it through processTable. */
  get table(): ReadonlyTable<V> {
    return this.owned
  }

  get watermark(): number {
    return this.currentWatermark
  }

  stats(): StreamTableJoinStats {
    return {
      watermark: this.currentWatermark,
      stateSize: this.owned.size + this.versionCount + this.pending.size,
      lateRecords: this.lateCount,
      lateTableUpdates: this.lateTableCount,
      tableSize: this.owned.size,
      versions: this.versionCount,
      pendingStream: this.pending.size,
    }
  }

  private joinOne(key: Key, timestamp: number, value: S, tableValue: V | undefined, out: Emitted<OUT>[]): void {
    if (tableValue === undefined && this.mode === 'inner') return
    out.push({ key, timestamp, value: this.joinFn(value, tableValue, key) })
  }

  /**
   * Adds stream records. Default mode: returns their join with the current
   * table. Temporal mode: buffers them (results come from advanceWatermark)
   * and returns only the late side output.
   */
  processStream(batch: Batch<S>): JoinOutput<OUT, S> {
    const n = validateBatch(batch, 'stream batch')
    const out: JoinOutput<OUT, S> = { results: [], late: [] }
    const { keys, timestamps, values } = batch
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const timestamp = timestamps[i]
      const value = values[i]
      if (!this.temporal) {
        this.joinOne(key, timestamp, value, this.owned.get(key), out.results)
      } else if (timestamp <= this.currentWatermark) {
        this.lateCount++
        out.late.push({ key, timestamp, value })
      } else {
        this.pending.push({ seq: this.nextSeq++, key, timestamp, value })
      }
    }
    return out
  }

  /** Applies table records (null/undefined values delete) in order; returns the table's changelog. */
  processTable(batch: Batch<V | null | undefined>): ChangelogEntry<V>[] {
    const n = validateBatch(batch, 'table batch')
    const changelog: ChangelogEntry<V>[] = []
    const { keys, timestamps, values } = batch
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const timestamp = timestamps[i]
      const value = values[i]
      const change = Table.applyRecord(this.owned, key, timestamp, value)
      if (change !== undefined) changelog.push(change)
      if (!this.temporal) continue
      if (timestamp <= this.currentWatermark) {
        this.lateTableCount++
        continue
      }
      this.addVersion(key, { timestamp, seq: this.nextSeq++, value: value ?? undefined })
    }
    return changelog
  }

  private addVersion(key: Key, version: Version<V>): void {
    let list = this.versions.get(key)
    if (list === undefined) {
      list = []
      this.versions.set(key, list)
    }
    const at = partitionPoint(list, (v) => v.timestamp < version.timestamp || (v.timestamp === version.timestamp && v.seq < version.seq))
    list.splice(at, 0, version)
    this.versionCount++
    this.prunes.push({ time: version.timestamp, key })
  }

  /** The value of `key` as of `timestamp` (temporal look-up). */
  private versionAt(key: Key, timestamp: number): V | undefined {
    const list = this.versions.get(key)
    if (list === undefined) return undefined
    const at = partitionPoint(list, (v) => v.timestamp <= timestamp)
    return at === 0 ? undefined : list[at - 1].value
  }

  /**
   * Advances the watermark (a lower or equal one is ignored). Temporal mode:
   * joins and returns the buffered stream records with timestamp <= the
   * watermark, ordered by (timestamp, key, arrival), then purges versions no
   * longer needed. Default mode: returns [].
   */
  advanceWatermark(watermark: number): Emitted<OUT>[] {
    checkWatermark(watermark)
    if (watermark <= this.currentWatermark) return []
    this.currentWatermark = watermark
    this.owned.advanceWatermark(watermark)
    const results: Emitted<OUT>[] = []
    if (!this.temporal) return results
    for (let p = this.pending.peek(); p !== undefined && p.timestamp <= watermark; p = this.pending.peek()) {
      this.pending.pop()
      this.joinOne(p.key, p.timestamp, p.value, this.versionAt(p.key, p.timestamp), results)
    }
    // Keep, per key, the latest version at or before the watermark (unless a tombstone) and all later ones.
    for (let p = this.prunes.peek(); p !== undefined && p.time <= watermark; p = this.prunes.peek()) {
      this.prunes.pop()
      const list = this.versions.get(p.key)
      if (list === undefined) continue
      const settled = partitionPoint(list, (v) => v.timestamp <= watermark)
      if (settled === 0) continue
      const drop = list[settled - 1].value === undefined ? settled : settled - 1
      if (drop === 0) continue
      this.versionCount -= drop
      if (drop === list.length) this.versions.delete(p.key)
      else list.splice(0, drop)
    }
    return results
  }

  /** Serialises the operator's state (format in the header comment). */
  snapshot(): Uint8Array {
    return writeSnapshot(JOIN_FORMAT, VERSION, {
      temporal: this.temporal,
      watermark: encodeTime(this.currentWatermark),
      lateRecords: this.lateCount,
      lateTableUpdates: this.lateTableCount,
      nextSeq: this.nextSeq,
      table: Table.rowsOf(this.owned),
      pending: this.pending
        .toArray()
        .sort((a, b) => a.seq - b.seq)
        .map((p) => [p.seq, p.key, p.timestamp, p.value]),
      versions: [...this.versions].map(([key, list]) => [key, list.map((v) => [v.timestamp, v.seq, v.value ?? null])]),
    })
  }

  /** Rebuilds an operator from snapshot() bytes; `options.temporal` must match the snapshot's. */
  static restore<S, V, OUT>(options: StreamTableJoinOptions<S, V, OUT>, bytes: Uint8Array): StreamTableJoinOperator<S, V, OUT> {
    const op = new StreamTableJoinOperator(options)
    const s = readSnapshot(bytes, JOIN_FORMAT, VERSION)
    if (s.temporal !== op.temporal) {
      throw new StreamConfigError('temporal', `the snapshot was taken with temporal: ${String(s.temporal)}; restore it with the same setting`)
    }
    op.currentWatermark = decodeTime(s.watermark, 'watermark')
    op.owned.advanceWatermark(op.currentWatermark)
    op.lateCount = snapshotNumber(s.lateRecords, 'lateRecords')
    op.lateTableCount = snapshotNumber(s.lateTableUpdates, 'lateTableUpdates')
    op.nextSeq = snapshotNumber(s.nextSeq, 'nextSeq')
    Table.loadRows(op.owned, s.table, 'table')
    snapshotArray(s.pending, 'pending').forEach((row, i) => {
      const r = snapshotArray(row, `pending[${i}]`)
      op.pending.push({
        seq: snapshotNumber(r[0], `pending[${i}][0]`),
        key: snapshotKey(r[1], `pending[${i}][1]`),
        timestamp: snapshotNumber(r[2], `pending[${i}][2]`),
        value: r[3] as S,
      })
    })
    snapshotArray(s.versions, 'versions').forEach((entry, i) => {
      const e = snapshotArray(entry, `versions[${i}]`)
      const key = snapshotKey(e[0], `versions[${i}][0]`)
      snapshotArray(e[1], `versions[${i}][1]`).forEach((row, j) => {
        const r = snapshotArray(row, `versions[${i}][1][${j}]`)
        op.addVersion(key, {
          timestamp: snapshotNumber(r[0], `versions[${i}][1][${j}][0]`),
          seq: snapshotNumber(r[1], `versions[${i}][1][${j}][1]`),
          value: r[2] === null ? undefined : (r[2] as V),
        })
      })
    })
    return op
  }
}
