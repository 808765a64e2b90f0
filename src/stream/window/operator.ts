// The keyed window operator core: consumes columnar batches of (key,
// timestamp, value) and watermark advances, keeps one accumulator per key and
// window, fires windows by trigger, handles allowed lateness and the late side
// output, and purges state at end − 1 + allowedLateness.
//
// Semantics (Flink's, stated once):
// - A window [start, end) fires when the watermark W >= end − 1.
// - A (record, window) pair is late when end − 1 + allowedLateness <= W (W the
//   watermark before the batch). A late pair is skipped; a record all of whose
//   windows are late goes to the late side output. A record that falls in no
//   window (a gap of a sliding window with slide > size) is dropped and counted.
// - A batch that adds records to windows already fired (W >= end − 1) fires
//   each such window once more at the end of the batch (one re-fire per window
//   per batch, not per record: batch first).
// - State is purged when W >= end − 1 + allowedLateness.
// - Session windows: a record opens [t, t + gap) and merges with every session
//   of its key it intersects or touches; a merged window is a new window (it
//   fires on its own end). A record is late only when it merges with nothing
//   and its own window is late.
// - Results within one call are ordered by (windowEnd, windowStart, key).
import { StreamConfigError, StreamInputError, requireNonNegative } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import { storeFor, type AccumulatorStore, type AggregateFunction } from './aggregate.js'
import { triggers, type Trigger } from './triggers.js'
import type { WindowAssigner } from './windows.js'
import { decodeTime, encodeTime, malformed, readSnapshot, snapshotArray, snapshotKey, snapshotNumber, writeSnapshot } from '../operators/types.js'

// Snapshot (format 'eddy/windowOperator', version 1), UTF-8 JSON:
//   { format, version, assigner: kind, watermark, lateRecords, droppedOutsideWindows,
//     nextProcessingFire,
//     windows: [[key, start, end, count, fired, dirty, accumulator], ...] }
// One row per live (key, window); times through encodeTime (global windows are
// ±Infinity). Accumulators are the store's exportSlot() data, so only stores
// that can write theirs out (the numeric built-ins, custom aggregates marked
// portableAccumulator) snapshot; the others report no snapshot. Timers are not
// stored: restore re-arms them from each window's end, as newState does.
export const WINDOW_OPERATOR_FORMAT = 'eddy/windowOperator'
const WINDOW_OPERATOR_VERSION = 1

/** A record key: a string or a number (numbers are kept as numbers, never stringified). */
export type Key = string | number

/** A columnar batch: record i is (keys[i], timestamps[i], values[i]). */
export interface KeyedBatch<V> {
  readonly keys: ArrayLike<Key>
  readonly timestamps: Float64Array
  readonly values: ArrayLike<V>
}

export interface WindowResult<OUT> {
  key: Key
  windowStart: number
  windowEnd: number
  result: OUT
}

export interface LateRecord<V> {
  key: Key
  timestamp: number
  value: V
  /** The record's index in the batch it came in (so callers can find the whole record behind a selected value). */
  row: number
}

export interface WindowOutput<OUT, V> {
  results: WindowResult<OUT>[]
  /** The late side output: records too late for every window they belong to. */
  late: LateRecord<V>[]
}

export interface WindowOperatorOptions<IN, ACC, OUT> {
  assigner: WindowAssigner
  aggregate: AggregateFunction<IN, ACC, OUT>
  /** Default: triggers.eventTime() (required to be count or processingTime for global windows). */
  trigger?: Trigger
  /** How long (event-time ms) after a window fires late records still update it. Default 0. */
  allowedLatenessMs?: number
}

export interface WindowOperatorStats {
  watermark: number
  /** Live (key, window) states. */
  windows: number
  lateRecords: number
  droppedOutsideWindows: number
}

interface WindowState {
  key: Key
  start: number
  end: number
  slot: number
  /** Records added since the last purge (count trigger). */
  count: number
  fired: boolean
  alive: boolean
  /** Session merges: the state this one was merged into. */
  mergedInto: WindowState | undefined
  /** Last batch that added to this window. */
  touchedBatch: number
}

interface Timer {
  time: number
  cleanup: boolean
  state: WindowState
}

/** Min-heap of timers by time. */
class TimerHeap {
  private items: Timer[] = []
  get size(): number {
    return this.items.length
  }
  push(timer: Timer): void {
    const items = this.items
    items.push(timer)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent].time <= timer.time) break
      items[i] = items[parent]
      i = parent
    }
    items[i] = timer
  }
  peekTime(): number {
    return this.items.length > 0 ? this.items[0].time : Infinity
  }
  pop(): Timer {
    const items = this.items
    const top = items[0]
    const last = items.pop() as Timer
    if (items.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= items.length) break
        const r = l + 1
        const c = r < items.length && items[r].time < items[l].time ? r : l
        if (items[c].time >= last.time) break
        items[i] = items[c]
        i = c
      }
      items[i] = last
    }
    return top
  }
}

/** Checks a keyed batch's columns (Float64Array timestamps, equal lengths); returns the row count. */
export function checkColumns<IN>(batch: KeyedBatch<IN>): number {
  const { keys, timestamps, values } = batch ?? ({} as KeyedBatch<IN>)
  if (!(timestamps instanceof Float64Array)) throw new StreamInputError('batch.timestamps must be a Float64Array')
  const n = timestamps.length
  if (keys?.length !== n || values?.length !== n) {
    throw new StreamInputError(`batch columns differ in length: keys ${keys?.length}, timestamps ${n}, values ${values?.length}`)
  }
  return n
}

/** Key order: numbers before strings; numbers numerically, strings by code unit. */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a !== typeof b) return typeof a === 'number' ? -1 : 1
  return a < b ? -1 : a > b ? 1 : 0
}

function byWindowThenKey(a: WindowState, b: WindowState): number {
  return a.end - b.end || a.start - b.start || compareKeys(a.key, b.key)
}

function resolve(state: WindowState): WindowState {
  while (state.mergedInto !== undefined) state = state.mergedInto
  return state
}

export class WindowOperator<IN, ACC, OUT> {
  readonly assigner: WindowAssigner
  readonly trigger: Trigger
  readonly allowedLatenessMs: number
  private readonly store: AccumulatorStore<IN, OUT>
  private readonly numericInput: boolean
  private currentWatermark = MIN_WATERMARK
  /** Non-merging assigners: key → window start → state. */
  private readonly byKey = new Map<Key, Map<number, WindowState>>()
  /** Session windows: key → live sessions sorted by start. */
  private readonly sessions = new Map<Key, WindowState[]>()
  private readonly timers = new TimerHeap()
  private readonly dirty = new Set<WindowState>()
  private nextProcessingFire = -Infinity
  private batchNumber = 0
  private liveWindows = 0
  private lateCount = 0
  private droppedCount = 0
  private readonly scratch: Float64Array
  // Pending adds of the current batch: (state, row) pairs, applied in one addBatch.
  private pendingStates: WindowState[] = []
  private pendingRows = new Int32Array(1024)
  private pendingSlots = new Int32Array(1024)

  constructor(options: WindowOperatorOptions<IN, ACC, OUT>) {
    if (options?.assigner === undefined) throw new StreamConfigError('assigner', 'is required (tumbling, sliding, session or globalWindows)')
    if (options.aggregate === undefined) throw new StreamConfigError('aggregate', 'is required (an AggregateFunction or a built-in such as sum())')
    this.assigner = options.assigner
    this.trigger = options.trigger ?? triggers.eventTime()
    this.allowedLatenessMs = options.allowedLatenessMs ?? 0
    requireNonNegative('allowedLatenessMs', this.allowedLatenessMs)
    if (this.assigner.isGlobal && this.trigger.kind === 'eventTime') {
      throw new StreamConfigError('trigger', 'global windows never end, so they need a count or processingTime trigger')
    }
    if (this.assigner.merging && this.trigger.kind === 'count') {
      throw new StreamConfigError('trigger', 'a count trigger is not supported with session windows')
    }
    this.store = storeFor(options.aggregate)
    this.numericInput = options.aggregate.numericInput === true
    this.scratch = new Float64Array(2 * this.assigner.maxWindowsPerRecord)
  }

  get watermark(): number {
    return this.currentWatermark
  }

  stats(): WindowOperatorStats {
    return { watermark: this.currentWatermark, windows: this.liveWindows, lateRecords: this.lateCount, droppedOutsideWindows: this.droppedCount }
  }

  /** Checks a batch completely before any of it is applied. */
  private validate(batch: KeyedBatch<IN>): number {
    const n = checkColumns(batch)
    const { keys, timestamps, values } = batch
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(timestamps[i])) throw new StreamInputError(`batch.timestamps[${i}] is ${timestamps[i]}; timestamps must be finite`)
      const kind = typeof keys[i]
      if (kind !== 'string' && (kind !== 'number' || Number.isNaN(keys[i]))) throw new StreamInputError(`batch.keys[${i}] is ${kind === 'number' ? 'NaN' : `a ${kind}`}; keys must be strings or numbers`)
    }
    if (this.numericInput && !(values instanceof Float64Array)) {
      for (let i = 0; i < n; i++) {
        if (typeof values[i] !== 'number') throw new StreamInputError(`batch.values[${i}] is a ${typeof values[i]}; this aggregate needs numbers`)
      }
    }
    return n
  }

  /** Adds a batch. Returns windows fired by it (count trigger, late updates of fired windows) and the late side output. */
  processBatch(batch: KeyedBatch<IN>): WindowOutput<OUT, IN> {
    const n = this.validate(batch)
    const out: WindowOutput<OUT, IN> = { results: [], late: [] }
    const batchId = ++this.batchNumber
    const touched: WindowState[] = []
    const { keys, timestamps, values } = batch
    const wm = this.currentWatermark
    const lateness = this.allowedLatenessMs
    const global = this.assigner.isGlobal
    const countTrigger = this.trigger.kind === 'count' ? this.trigger : undefined
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const ts = timestamps[i]
      if (this.assigner.merging) {
        const state = this.mergeSession(key, ts, wm)
        if (state === undefined) {
          this.lateCount++
          out.late.push({ key, timestamp: ts, value: values[i], row: i })
          continue
        }
        this.addPending(state, i, batchId, touched)
        continue
      }
      const windows = this.assigner.assign(ts, this.scratch)
      if (windows === 0) {
        this.droppedCount++
        continue
      }
      let accepted = false
      for (let w = 0; w < windows; w++) {
        const start = this.scratch[2 * w]
        const end = this.scratch[2 * w + 1]
        if (!global && end - 1 + lateness <= wm) continue
        accepted = true
        const state = this.stateFor(key, start, end, wm)
        this.addPending(state, i, batchId, touched)
        if (countTrigger !== undefined && ++state.count >= countTrigger.count) {
          this.flush(values)
          out.results.push(this.emit(state))
          if (countTrigger.purge) {
            if (global) this.remove(state)
            else this.store.reset(state.slot)
          }
          state.count = 0
        }
      }
      if (!accepted) {
        this.lateCount++
        out.late.push({ key, timestamp: ts, value: values[i], row: i })
      }
    }
    this.flush(values)
    if (this.trigger.kind === 'eventTime') {
      const refire = touched.filter((s) => s.alive && s.end - 1 <= wm)
      refire.sort(byWindowThenKey)
      for (const state of refire) {
        state.fired = true
        out.results.push(this.emit(state))
      }
    }
    return out
  }

  private addPending(state: WindowState, row: number, batchId: number, touched: WindowState[]): void {
    const k = this.pendingStates.length
    if (k === this.pendingRows.length) {
      const rows = new Int32Array(k * 2)
      rows.set(this.pendingRows)
      this.pendingRows = rows
      this.pendingSlots = new Int32Array(k * 2)
    }
    this.pendingStates.push(state)
    this.pendingRows[k] = row
    if (state.touchedBatch !== batchId) {
      state.touchedBatch = batchId
      touched.push(state)
    }
    if (this.trigger.kind === 'processingTime') this.dirty.add(state)
  }

  /** Applies pending adds in one store call (sessions: to the window each pending state was merged into). */
  private flush(values: ArrayLike<IN>): void {
    const k = this.pendingStates.length
    if (k === 0) return
    for (let i = 0; i < k; i++) this.pendingSlots[i] = resolve(this.pendingStates[i]).slot
    this.store.addBatch(this.pendingSlots, this.pendingRows, k, values)
    this.pendingStates.length = 0
  }

  private newState(key: Key, start: number, end: number, wm: number, slot: number): WindowState {
    const state: WindowState = { key, start, end, slot, count: 0, fired: false, alive: true, mergedInto: undefined, touchedBatch: 0 }
    this.liveWindows++
    if (!this.assigner.isGlobal) {
      if (this.trigger.kind === 'eventTime' && end - 1 > wm) this.timers.push({ time: end - 1, cleanup: false, state })
      this.timers.push({ time: end - 1 + this.allowedLatenessMs, cleanup: true, state })
    }
    return state
  }

  private stateFor(key: Key, start: number, end: number, wm: number): WindowState {
    let windows = this.byKey.get(key)
    if (windows === undefined) {
      windows = new Map()
      this.byKey.set(key, windows)
    }
    let state = windows.get(start)
    if (state === undefined) {
      state = this.newState(key, start, end, wm, this.store.allocate())
      windows.set(start, state)
    }
    return state
  }

  /** Session assignment with merging; undefined when the record is late. */
  private mergeSession(key: Key, ts: number, wm: number): WindowState | undefined {
    this.assigner.assign(ts, this.scratch)
    let start = this.scratch[0]
    let end = this.scratch[1]
    let list = this.sessions.get(key)
    if (list === undefined) {
      list = []
      this.sessions.set(key, list)
    }
    // Sessions are disjoint and not touching, sorted by start: the intersecting ones are contiguous.
    let first = 0
    while (first < list.length && list[first].end < start) first++
    let last = first
    while (last < list.length && list[last].start <= end) last++
    if (last === first) {
      if (end - 1 + this.allowedLatenessMs <= wm) {
        if (list.length === 0) this.sessions.delete(key)
        return undefined
      }
      const state = this.newState(key, start, end, wm, this.store.allocate())
      list.splice(first, 0, state)
      return state
    }
    if (last - first === 1 && list[first].start <= start && end <= list[first].end) return list[first]
    const merging = list.slice(first, last)
    start = Math.min(start, merging[0].start)
    end = Math.max(end, merging[merging.length - 1].end)
    const target = merging[0]
    const merged = this.newState(key, start, end, wm, target.slot)
    for (let m = 1; m < merging.length; m++) {
      this.store.merge(merged.slot, merging[m].slot)
      this.store.release(merging[m].slot)
    }
    for (const old of merging) {
      old.alive = false
      old.mergedInto = merged
      this.liveWindows--
      this.dirty.delete(old)
    }
    if (this.trigger.kind === 'processingTime') this.dirty.add(merged)
    list.splice(first, last - first, merged)
    return merged
  }

  private emit(state: WindowState): WindowResult<OUT> {
    return { key: state.key, windowStart: state.start, windowEnd: state.end, result: this.store.result(state.slot) }
  }

  private remove(state: WindowState): void {
    if (!state.alive) return
    state.alive = false
    this.liveWindows--
    this.dirty.delete(state)
    this.store.release(state.slot)
    if (this.assigner.merging) {
      const list = this.sessions.get(state.key)
      if (list !== undefined) {
        const at = list.indexOf(state)
        if (at >= 0) list.splice(at, 1)
        if (list.length === 0) this.sessions.delete(state.key)
      }
    } else {
      const windows = this.byKey.get(state.key)
      if (windows !== undefined) {
        windows.delete(state.start)
        if (windows.size === 0) this.byKey.delete(state.key)
      }
    }
  }

  /**
   * Advances the watermark (a lower or equal one is ignored): fires windows
   * whose end − 1 it reaches, then purges those past end − 1 + lateness.
   * MAX_WATERMARK (Infinity) at end of input fires and purges every time window.
   */
  advanceWatermark(watermark: number): WindowResult<OUT>[] {
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) throw new StreamInputError(`watermark must be a number, got ${String(watermark)}`)
    if (watermark <= this.currentWatermark) return []
    this.currentWatermark = watermark
    const fire: WindowState[] = []
    const cleanup: WindowState[] = []
    while (this.timers.size > 0 && this.timers.peekTime() <= watermark) {
      const timer = this.timers.pop()
      if (!timer.state.alive) continue
      if (timer.cleanup) cleanup.push(timer.state)
      else if (!timer.state.fired) fire.push(timer.state)
    }
    const results: WindowResult<OUT>[] = []
    fire.sort(byWindowThenKey)
    for (const state of fire) {
      state.fired = true
      results.push(this.emit(state))
    }
    cleanup.sort(byWindowThenKey)
    for (const state of cleanup) {
      if (this.trigger.kind === 'processingTime' && this.dirty.has(state)) results.push(this.emit(state))
      this.remove(state)
    }
    return results
  }

  /** The operator's state as bytes (format above), or undefined when its accumulators cannot be written out. */
  snapshot(): Uint8Array | undefined {
    const store = this.store
    if (store.exportSlot === undefined || store.importSlot === undefined) return undefined
    const windows: unknown[] = []
    const add = (state: WindowState) => {
      if (state.alive) windows.push([state.key, encodeTime(state.start), encodeTime(state.end), state.count, state.fired, this.dirty.has(state), store.exportSlot!(state.slot)])
    }
    for (const byStart of this.byKey.values()) for (const state of byStart.values()) add(state)
    for (const list of this.sessions.values()) for (const state of list) add(state)
    return writeSnapshot(WINDOW_OPERATOR_FORMAT, WINDOW_OPERATOR_VERSION, {
      assigner: this.assigner.kind,
      watermark: encodeTime(this.currentWatermark),
      lateRecords: this.lateCount,
      droppedOutsideWindows: this.droppedCount,
      nextProcessingFire: encodeTime(this.nextProcessingFire),
      windows,
    })
  }

  /** An operator with the state of snapshot()'s bytes; `options` must describe the same windows and aggregate. */
  static restore<IN, ACC, OUT>(options: WindowOperatorOptions<IN, ACC, OUT>, bytes: Uint8Array): WindowOperator<IN, ACC, OUT> {
    const op = new WindowOperator(options)
    const store = op.store
    if (store.importSlot === undefined) throw new StreamInputError('WindowOperator.restore: this aggregate keeps accumulators that cannot be restored (mark a custom aggregate portableAccumulator: true)')
    const s = readSnapshot(bytes, WINDOW_OPERATOR_FORMAT, WINDOW_OPERATOR_VERSION)
    if (s.assigner !== op.assigner.kind) throw new StreamInputError(`WindowOperator.restore: the snapshot was taken with ${String(s.assigner)} windows, these options have ${op.assigner.kind} windows`)
    op.currentWatermark = decodeTime(s.watermark, 'watermark')
    op.lateCount = snapshotNumber(s.lateRecords, 'lateRecords')
    op.droppedCount = snapshotNumber(s.droppedOutsideWindows, 'droppedOutsideWindows')
    op.nextProcessingFire = decodeTime(s.nextProcessingFire, 'nextProcessingFire')
    snapshotArray(s.windows, 'windows').forEach((row, i) => {
      const f = `windows[${i}]`
      const r = snapshotArray(row, f)
      const key = snapshotKey(r[0], `${f}[0]`)
      const start = decodeTime(r[1], `${f}[1]`)
      const end = decodeTime(r[2], `${f}[2]`)
      if (typeof r[4] !== 'boolean') throw malformed(`${f}[4]`, r[4])
      if (typeof r[5] !== 'boolean') throw malformed(`${f}[5]`, r[5])
      const state = op.newState(key, start, end, op.currentWatermark, store.importSlot!(r[6]))
      state.count = snapshotNumber(r[3], `${f}[3]`)
      state.fired = r[4]
      if (r[5]) op.dirty.add(state)
      if (op.assigner.merging) {
        let list = op.sessions.get(key)
        if (list === undefined) op.sessions.set(key, (list = []))
        list.push(state)
      } else {
        let byStart = op.byKey.get(key)
        if (byStart === undefined) op.byKey.set(key, (byStart = new Map()))
        if (byStart.has(start)) throw malformed(`${f}[1]`, start)
        byStart.set(start, state)
      }
    })
    for (const list of op.sessions.values()) list.sort((a, b) => a.start - b.start)
    return op
  }

  /** Processing-time trigger: at each crossing of a multiple of intervalMs, fires windows updated since their last firing. */
  advanceProcessingTime(nowMs: number): WindowResult<OUT>[] {
    if (this.trigger.kind !== 'processingTime' || nowMs < this.nextProcessingFire) return []
    const interval = this.trigger.intervalMs
    this.nextProcessingFire = (Math.floor(nowMs / interval) + 1) * interval
    const states = [...this.dirty].filter((s) => s.alive)
    this.dirty.clear()
    states.sort(byWindowThenKey)
    return states.map((s) => this.emit(s))
  }
}
