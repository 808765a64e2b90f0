// The window join: Flink's a.join(b).where(k).equalTo(k).window(w).apply(fn).
// An inner join of two keyed streams within tumbling or sliding event-time
// windows: every (left, right) pair with the same key in the same window.
//
// Semantics (stated once):
// - A record belongs to the windows its assigner gives it. A (record, window)
//   pair is late when end − 1 + allowedLateness <= W (W the watermark before
//   the batch); late pairs are skipped. A record all of whose windows are late
//   is late: counted and returned in the batch's `late` side output. A record
//   in no window (the gap of a sliding window with slide > size) is dropped
//   and counted in droppedOutsideWindows (not late).
// - A window fires when the watermark reaches end − 1: it emits every pair
//   of its buffered records with the same key, each with timestamp end − 1.
// - A record added to a window that has already fired (end − 1 <= W but within
//   allowed lateness) emits at the end of its batch only the pairs it adds:
//   itself with the other side's records of that window and key. So every pair
//   is emitted exactly once. (Flink instead re-evaluates the whole window on
//   each late element, repeating pairs already emitted.)
// - A window's buffered records are purged when W >= end − 1 + allowedLateness.
// - Order, within each call: window end, window start, key (compareKeys), left
//   arrival order, right arrival order.
//
// Snapshot (format 'eddy/windowJoin', version 1), UTF-8 JSON:
//   { format, version, watermark, lateRecords, droppedOutsideWindows,
//     nextSeq: [left, right],
//     left:  [[seq, key, timestamp, value], ...],   (buffered, by arrival)
//     right: [[seq, key, timestamp, value], ...] }
// Window membership is not stored: a buffered record is in exactly those of
// its windows that are not yet purged (end − 1 + lateness > W), so restore
// recomputes it; restore with the same assigner and lateness.
import { StreamConfigError, requireNonNegative } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import type { TimeWindow, WindowAssigner } from '../window/windows.js'
import {
  checkWatermark,
  compareKeys,
  decodeTime,
  encodeTime,
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

export interface WindowJoinOptions<L, R, OUT> {
  /** A tumbling or sliding assigner (session and global windows are refused). */
  assigner: WindowAssigner
  /** Builds one result from a pair with the same key in the same window. */
  join: (left: L, right: R, key: Key, window: TimeWindow) => OUT
  /** How long (event-time ms) after end − 1 a window still accepts records. Default 0. */
  allowedLatenessMs?: number
}

export interface WindowJoinStats extends OperatorStats {
  /** stateSize: buffered (record, window) entries (a record in k windows counts k times). */
  stateSize: number
  /** Live windows (over all keys). */
  windows: number
  droppedOutsideWindows: number
}

interface Entry<T> {
  seq: number
  key: Key
  timestamp: number
  value: T
}

interface Bucket<L, R> {
  left: Entry<L>[]
  right: Entry<R>[]
}

interface JoinWindow<L, R> {
  start: number
  end: number
  window: TimeWindow
  keys: Map<Key, Bucket<L, R>>
}

const FORMAT = 'eddy/windowJoin'
const VERSION = 1

function windowOrder(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return a.end - b.end || a.start - b.start
}

export class WindowJoinOperator<L, R, OUT> {
  readonly assigner: WindowAssigner
  readonly allowedLatenessMs: number
  private readonly joinFn: (left: L, right: R, key: Key, window: TimeWindow) => OUT
  private currentWatermark = MIN_WATERMARK
  /** Live windows by start (tumbling and sliding windows all have the same size). */
  private readonly windows = new Map<number, JoinWindow<L, R>>()
  /** The same windows sorted by (end, start). */
  private readonly ordered: JoinWindow<L, R>[] = []
  private readonly scratch: Float64Array
  private readonly nextSeq = [0, 0]
  private buffered = 0
  private lateCount = 0
  private droppedCount = 0

  constructor(options: WindowJoinOptions<L, R, OUT>) {
    const assigner = options?.assigner
    if (assigner === undefined || assigner === null) throw new StreamConfigError('assigner', 'is required (a tumbling or sliding assigner)')
    if (assigner.merging || assigner.isGlobal || (assigner.kind !== 'tumbling' && assigner.kind !== 'sliding')) {
      throw new StreamConfigError('assigner', `a window join needs tumbling or sliding windows, got ${String(assigner.kind)} windows`)
    }
    if (typeof options.join !== 'function') throw new StreamConfigError('join', 'is required: a function (left, right, key, window) => result')
    this.allowedLatenessMs = options.allowedLatenessMs ?? 0
    requireNonNegative('allowedLatenessMs', this.allowedLatenessMs)
    this.assigner = assigner
    this.joinFn = options.join
    this.scratch = new Float64Array(2 * Math.max(1, assigner.maxWindowsPerRecord))
  }

  get watermark(): number {
    return this.currentWatermark
  }

  stats(): WindowJoinStats {
    return {
      watermark: this.currentWatermark,
      stateSize: this.buffered,
      lateRecords: this.lateCount,
      windows: this.ordered.length,
      droppedOutsideWindows: this.droppedCount,
    }
  }

  /** Adds left records; returns the pairs they add to already-fired windows and the late side output. */
  processLeft(batch: Batch<L>): JoinOutput<OUT, L> {
    return this.processSide(0, batch)
  }

  /** Adds right records; returns the pairs they add to already-fired windows and the late side output. */
  processRight(batch: Batch<R>): JoinOutput<OUT, R> {
    return this.processSide(1, batch)
  }

  private windowFor(start: number, end: number): JoinWindow<L, R> {
    let w = this.windows.get(start)
    if (w === undefined) {
      w = { start, end, window: Object.freeze({ start, end }), keys: new Map() }
      this.windows.set(start, w)
      const created = w
      const at = partitionPoint(this.ordered, (x) => windowOrder(x, created) < 0)
      this.ordered.splice(at, 0, w)
    }
    return w
  }

  /**
   * Adds one record to its live windows; returns the number of windows that
   * accepted it, or −1 if it falls in no window. Fired windows it joins are
   * noted in `touched` (window → key → index of the key's first new entry).
   */
  private add<T>(side: 0 | 1, key: Key, timestamp: number, value: T, seq: number | undefined, touched?: Map<JoinWindow<L, R>, Map<Key, number>>): number {
    const wm = this.currentWatermark
    const count = this.assigner.assign(timestamp, this.scratch)
    if (count === 0) return -1
    let entry: Entry<T> | undefined
    let accepted = 0
    for (let w = 0; w < count; w++) {
      const start = this.scratch[2 * w]
      const end = this.scratch[2 * w + 1]
      if (end - 1 + this.allowedLatenessMs <= wm) continue
      entry ??= { seq: seq ?? this.nextSeq[side]++, key, timestamp, value }
      const jw = this.windowFor(start, end)
      let bucket = jw.keys.get(key)
      if (bucket === undefined) {
        bucket = { left: [], right: [] }
        jw.keys.set(key, bucket)
      }
      const list = (side === 0 ? bucket.left : bucket.right) as unknown as Entry<T>[]
      if (touched !== undefined && end - 1 <= wm) {
        let keys = touched.get(jw)
        if (keys === undefined) {
          keys = new Map()
          touched.set(jw, keys)
        }
        if (!keys.has(key)) keys.set(key, list.length)
      }
      list.push(entry)
      this.buffered++
      accepted++
    }
    return accepted
  }

  private processSide<T>(side: 0 | 1, batch: Batch<T>): JoinOutput<OUT, T> {
    const n = validateBatch(batch, side === 0 ? 'left batch' : 'right batch')
    const out: JoinOutput<OUT, T> = { results: [], late: [] }
    const { keys, timestamps, values } = batch
    const touched = new Map<JoinWindow<L, R>, Map<Key, number>>()
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const timestamp = timestamps[i]
      const value = values[i]
      const accepted = this.add(side, key, timestamp, value, undefined, touched)
      if (accepted < 0) this.droppedCount++
      else if (accepted === 0) {
        this.lateCount++
        out.late.push({ key, timestamp, value })
      }
    }
    if (touched.size > 0) {
      const fired = [...touched.keys()].sort(windowOrder)
      for (const jw of fired) {
        const from = touched.get(jw) as Map<Key, number>
        for (const key of [...from.keys()].sort(compareKeys)) {
          const bucket = jw.keys.get(key) as Bucket<L, R>
          const start = from.get(key) as number
          if (side === 0) this.pairs(jw, key, bucket, start, 0, out.results)
          else this.pairs(jw, key, bucket, 0, start, out.results)
        }
      }
    }
    return out
  }

  /** Emits left[leftFrom..] × right[rightFrom..] of one key in one window, left-major. */
  private pairs(jw: JoinWindow<L, R>, key: Key, bucket: Bucket<L, R>, leftFrom: number, rightFrom: number, out: Emitted<OUT>[]): void {
    const { left, right } = bucket
    const timestamp = jw.end - 1
    for (let l = leftFrom; l < left.length; l++) {
      for (let r = rightFrom; r < right.length; r++) {
        out.push({ key, timestamp, value: this.joinFn(left[l].value, right[r].value, key, jw.window) })
      }
    }
  }

  /**
   * Advances the watermark (a lower or equal one is ignored): fires windows
   * whose end − 1 it reaches, then purges those past end − 1 + lateness.
   */
  advanceWatermark(watermark: number): Emitted<OUT>[] {
    checkWatermark(watermark)
    const previous = this.currentWatermark
    if (watermark <= previous) return []
    this.currentWatermark = watermark
    const results: Emitted<OUT>[] = []
    const ordered = this.ordered
    for (let i = partitionPoint(ordered, (w) => w.end - 1 <= previous); i < ordered.length; i++) {
      const jw = ordered[i]
      if (jw.end - 1 > watermark) break
      for (const key of [...jw.keys.keys()].sort(compareKeys)) this.pairs(jw, key, jw.keys.get(key) as Bucket<L, R>, 0, 0, results)
    }
    let purge = 0
    while (purge < ordered.length && ordered[purge].end - 1 + this.allowedLatenessMs <= watermark) {
      const jw = ordered[purge++]
      for (const bucket of jw.keys.values()) this.buffered -= bucket.left.length + bucket.right.length
      this.windows.delete(jw.start)
    }
    if (purge > 0) ordered.splice(0, purge)
    return results
  }

  /** The buffered records of one side, each once, by arrival. */
  private bufferedSide(side: 0 | 1): Entry<unknown>[] {
    const seen = new Set<Entry<unknown>>()
    for (const jw of this.ordered) {
      for (const bucket of jw.keys.values()) for (const e of side === 0 ? bucket.left : bucket.right) seen.add(e)
    }
    return [...seen].sort((a, b) => a.seq - b.seq)
  }

  /** Serialises the operator's state (format in the header comment). */
  snapshot(): Uint8Array {
    const rows = (side: 0 | 1) => this.bufferedSide(side).map((e) => [e.seq, e.key, e.timestamp, e.value])
    return writeSnapshot(FORMAT, VERSION, {
      watermark: encodeTime(this.currentWatermark),
      lateRecords: this.lateCount,
      droppedOutsideWindows: this.droppedCount,
      nextSeq: [...this.nextSeq],
      left: rows(0),
      right: rows(1),
    })
  }

  /** Rebuilds an operator from snapshot() bytes; `options` must match the original's (same assigner and lateness). */
  static restore<L, R, OUT>(options: WindowJoinOptions<L, R, OUT>, bytes: Uint8Array): WindowJoinOperator<L, R, OUT> {
    const op = new WindowJoinOperator(options)
    const s = readSnapshot(bytes, FORMAT, VERSION)
    op.currentWatermark = decodeTime(s.watermark, 'watermark')
    op.lateCount = snapshotNumber(s.lateRecords, 'lateRecords')
    op.droppedCount = snapshotNumber(s.droppedOutsideWindows, 'droppedOutsideWindows')
    const nextSeq = snapshotArray(s.nextSeq, 'nextSeq')
    op.nextSeq[0] = snapshotNumber(nextSeq[0], 'nextSeq[0]')
    op.nextSeq[1] = snapshotNumber(nextSeq[1], 'nextSeq[1]')
    for (const side of [0, 1] as const) {
      const field = side === 0 ? 'left' : 'right'
      const rows = snapshotArray(s[field], field).map((row, i) => {
        const r = snapshotArray(row, `${field}[${i}]`)
        return {
          seq: snapshotNumber(r[0], `${field}[${i}][0]`),
          key: snapshotKey(r[1], `${field}[${i}][1]`),
          timestamp: snapshotNumber(r[2], `${field}[${i}][2]`),
          value: r[3],
        }
      })
      rows.sort((a, b) => a.seq - b.seq)
      for (const r of rows) op.add(side, r.key, r.timestamp, r.value, r.seq)
    }
    return op
  }
}
