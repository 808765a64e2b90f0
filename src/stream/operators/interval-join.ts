// The interval join: Flink's a.keyBy(k).intervalJoin(b.keyBy(k))
// .between(lower, upper).process(fn). Joins a left record l with every right
// record r of the same key such that l.ts + lower <= r.ts <= l.ts + upper.
//
// Semantics (stated once):
// - A pair is emitted as soon as its second record arrives, with timestamp
//   max(l.ts, r.ts), from the processLeft / processRight call that brought it.
// - A record with timestamp <= W (W the watermark before the batch) is late:
//   the watermark promised nothing at or before W was still to come. It is
//   dropped, counted and returned in the batch's `late` side output (Flink
//   drops records behind the watermark the same way). Because only on-time
//   records are accepted, every pair of accepted records that satisfies the
//   interval is emitted exactly once, however the inputs are batched,
//   interleaved or watermarked.
// - Buffers: a left record can still match a future right record (r.ts > W)
//   only while l.ts + upper > W, a right one only while r.ts − lower > W; each
//   is dropped from its buffer once the watermark reaches that point (Flink
//   keeps them until max(upper, 0) / max(−lower, 0), which is never needed).
// - Order, within one call: the batch's records in batch order; for each, its
//   matches from the other side by (timestamp, arrival order).
//
// Snapshot (format 'eddy/intervalJoin', version 1), UTF-8 JSON:
//   { format, version, lowerBoundMs, upperBoundMs, watermark, lateRecords,
//     nextSeq: [left, right],
//     left:  [[seq, key, timestamp, value], ...],
//     right: [[seq, key, timestamp, value], ...] }
// restore() refuses options with other bounds (a StreamConfigError).
import { StreamConfigError } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import {
  checkWatermark,
  decodeTime,
  encodeTime,
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

export interface IntervalJoinOptions<L, R, OUT> {
  /** Lower bound (ms, may be negative) of r.ts − l.ts, inclusive. */
  lowerBoundMs: number
  /** Upper bound (ms, >= lowerBoundMs) of r.ts − l.ts, inclusive. */
  upperBoundMs: number
  /** Builds one result from a matching pair. */
  join: (left: L, right: R, key: Key) => OUT
}

export interface IntervalJoinStats extends OperatorStats {
  /** stateSize: buffered records (both sides). */
  stateSize: number
  bufferedLeft: number
  bufferedRight: number
}

interface Entry<T> {
  seq: number
  key: Key
  timestamp: number
  value: T
}

interface Cleanup {
  time: number
  side: 0 | 1
  key: Key
}

const FORMAT = 'eddy/intervalJoin'
const VERSION = 1

function checkBound(option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new StreamConfigError(option, `must be a finite number, got ${String(value)}`)
  }
}

export class IntervalJoinOperator<L, R, OUT> {
  readonly lowerBoundMs: number
  readonly upperBoundMs: number
  private readonly joinFn: (left: L, right: R, key: Key) => OUT
  private currentWatermark = MIN_WATERMARK
  /** Per side, per key: buffered records sorted by (timestamp, seq). */
  private readonly buffers: [Map<Key, Entry<L>[]>, Map<Key, Entry<R>[]>] = [new Map(), new Map()]
  private readonly counts = [0, 0]
  private readonly nextSeq = [0, 0]
  private readonly cleanups = new MinHeap<Cleanup>((a, b) => a.time < b.time)
  private lateCount = 0

  constructor(options: IntervalJoinOptions<L, R, OUT>) {
    checkBound('lowerBoundMs', options?.lowerBoundMs)
    checkBound('upperBoundMs', options.upperBoundMs)
    if (options.lowerBoundMs > options.upperBoundMs) {
      throw new StreamConfigError('lowerBoundMs', `must be <= upperBoundMs (${options.upperBoundMs}), got ${options.lowerBoundMs}`)
    }
    if (typeof options.join !== 'function') throw new StreamConfigError('join', 'is required: a function (left, right, key) => result')
    this.lowerBoundMs = options.lowerBoundMs
    this.upperBoundMs = options.upperBoundMs
    this.joinFn = options.join
  }

  get watermark(): number {
    return this.currentWatermark
  }

  stats(): IntervalJoinStats {
    return {
      watermark: this.currentWatermark,
      stateSize: this.counts[0] + this.counts[1],
      lateRecords: this.lateCount,
      bufferedLeft: this.counts[0],
      bufferedRight: this.counts[1],
    }
  }

  /** Adds left records; returns their pairs with buffered right records, and the late side output. */
  processLeft(batch: Batch<L>): JoinOutput<OUT, L> {
    return this.processSide(0, batch)
  }

  /** Adds right records; returns their pairs with buffered left records, and the late side output. */
  processRight(batch: Batch<R>): JoinOutput<OUT, R> {
    return this.processSide(1, batch)
  }

  /** The time at which a record of `side` at `timestamp` can no longer match anything still to come. */
  private expiry(side: 0 | 1, timestamp: number): number {
    return side === 0 ? timestamp + this.upperBoundMs : timestamp - this.lowerBoundMs
  }

  private buffer<T>(side: 0 | 1, entry: Entry<T>): void {
    const buffers = this.buffers[side] as unknown as Map<Key, Entry<T>[]>
    let list = buffers.get(entry.key)
    if (list === undefined) {
      list = []
      buffers.set(entry.key, list)
    }
    const at = partitionPoint(list, (e) => e.timestamp < entry.timestamp || (e.timestamp === entry.timestamp && e.seq < entry.seq))
    list.splice(at, 0, entry)
    this.counts[side]++
    this.cleanups.push({ time: this.expiry(side, entry.timestamp), side, key: entry.key })
  }

  private processSide<T>(side: 0 | 1, batch: Batch<T>): JoinOutput<OUT, T> {
    const n = validateBatch(batch, side === 0 ? 'left batch' : 'right batch')
    const out: JoinOutput<OUT, T> = { results: [], late: [] }
    const { keys, timestamps, values } = batch
    const wm = this.currentWatermark
    const other = this.buffers[1 - side] as Map<Key, Entry<unknown>[]>
    // Other-side timestamps that match: [ts + lo, ts + hi].
    const lo = side === 0 ? this.lowerBoundMs : -this.upperBoundMs
    const hi = side === 0 ? this.upperBoundMs : -this.lowerBoundMs
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const timestamp = timestamps[i]
      const value = values[i]
      if (timestamp <= wm) {
        this.lateCount++
        out.late.push({ key, timestamp, value })
        continue
      }
      const matches = other.get(key)
      if (matches !== undefined) {
        const from = timestamp + lo
        const to = timestamp + hi
        for (let m = partitionPoint(matches, (e) => e.timestamp < from); m < matches.length && matches[m].timestamp <= to; m++) {
          const match = matches[m]
          const result = side === 0 ? this.joinFn(value as unknown as L, match.value as R, key) : this.joinFn(match.value as L, value as unknown as R, key)
          out.results.push({ key, timestamp: Math.max(timestamp, match.timestamp), value: result })
        }
      }
      const seq = this.nextSeq[side]++
      // A record that cannot match anything still to come is not kept.
      if (this.expiry(side, timestamp) > wm) this.buffer(side, { seq, key, timestamp, value })
    }
    return out
  }

  /** Advances the watermark (a lower or equal one is ignored) and drops buffered records that can no longer match. Emits nothing. */
  advanceWatermark(watermark: number): Emitted<OUT>[] {
    checkWatermark(watermark)
    if (watermark <= this.currentWatermark) return []
    this.currentWatermark = watermark
    for (let c = this.cleanups.peek(); c !== undefined && c.time <= watermark; c = this.cleanups.peek()) {
      this.cleanups.pop()
      const buffers = this.buffers[c.side] as Map<Key, Entry<unknown>[]>
      const list = buffers.get(c.key)
      if (list === undefined) continue
      const keep = partitionPoint(list, (e) => this.expiry(c.side, e.timestamp) <= watermark)
      if (keep === 0) continue
      this.counts[c.side] -= keep
      if (keep === list.length) buffers.delete(c.key)
      else list.splice(0, keep)
    }
    return []
  }

  /** Serialises the operator's state (format in the header comment). */
  snapshot(): Uint8Array {
    const rows = (side: 0 | 1) =>
      [...(this.buffers[side] as Map<Key, Entry<unknown>[]>).values()]
        .flat()
        .sort((a, b) => a.seq - b.seq)
        .map((e) => [e.seq, e.key, e.timestamp, e.value])
    return writeSnapshot(FORMAT, VERSION, {
      lowerBoundMs: this.lowerBoundMs,
      upperBoundMs: this.upperBoundMs,
      watermark: encodeTime(this.currentWatermark),
      lateRecords: this.lateCount,
      nextSeq: [...this.nextSeq],
      left: rows(0),
      right: rows(1),
    })
  }

  /** Rebuilds an operator from snapshot() bytes; the bounds in `options` must equal the snapshot's. */
  static restore<L, R, OUT>(options: IntervalJoinOptions<L, R, OUT>, bytes: Uint8Array): IntervalJoinOperator<L, R, OUT> {
    const op = new IntervalJoinOperator(options)
    const s = readSnapshot(bytes, FORMAT, VERSION)
    const lower = snapshotNumber(s.lowerBoundMs, 'lowerBoundMs')
    const upper = snapshotNumber(s.upperBoundMs, 'upperBoundMs')
    if (lower !== op.lowerBoundMs || upper !== op.upperBoundMs) {
      throw new StreamConfigError(
        'lowerBoundMs',
        `the snapshot was taken with bounds [${lower}, ${upper}]; restore it with the same bounds, not [${op.lowerBoundMs}, ${op.upperBoundMs}]`,
      )
    }
    op.currentWatermark = decodeTime(s.watermark, 'watermark')
    op.lateCount = snapshotNumber(s.lateRecords, 'lateRecords')
    const nextSeq = snapshotArray(s.nextSeq, 'nextSeq')
    op.nextSeq[0] = snapshotNumber(nextSeq[0], 'nextSeq[0]')
    op.nextSeq[1] = snapshotNumber(nextSeq[1], 'nextSeq[1]')
    for (const side of [0, 1] as const) {
      const field = side === 0 ? 'left' : 'right'
      snapshotArray(s[field], field).forEach((row, i) => {
        const r = snapshotArray(row, `${field}[${i}]`)
        op.buffer(side, {
          seq: snapshotNumber(r[0], `${field}[${i}][0]`),
          key: snapshotKey(r[1], `${field}[${i}][1]`),
          timestamp: snapshotNumber(r[2], `${field}[${i}][2]`),
          value: r[3],
        })
      })
    }
    return op
  }
}
