// The fast path of the keyed window operator for its most common use:
// tumbling or sliding windows, the event-time trigger and a built-in numeric
// aggregate (count, sum, min, max, avg). Same contract as WindowOperator
// (see the header of operator.ts): same results in the same order, same late
// side output, lateness, re-firing and purging, same stats().
//
// The pane technique: time is cut into panes of g = gcd(size, slide) ms, so
// every window is a run of size/g whole panes and every record lies in
// exactly one pane. A record updates ONE accumulator, that of its (key, pane),
// whatever the number of windows it belongs to; a window's result is the
// merge of its panes when it fires. Accumulators live in core.wasm's memory
// (assembly/window/panes.ts): a node per (key, pane) found through a hash
// table, and a directory of panes in time order whose node lists give each
// window's contents at firing time. A batch crosses into Wasm once (per 32k
// rows): JS maps each key to a dense key index with one Map lookup and writes
// key indices, timestamps and values into Wasm columns; firing is one call
// per watermark advance that writes (window, key, result) rows out, each
// window's keys already in key order (JS keeps every key's rank in Wasm
// memory). A pane's nodes are freed when its last window is purged, and a
// key's index (after an idle period, see IDLE_KEYS_MIN) when it has none.
//
// Why per-(record, window) lateness needs no per-window bookkeeping here: a
// (record, window) pair is late exactly when the window is purged (both are
// end − 1 + allowedLateness <= W), and a purged window never fires again, so
// adding a record to its pane can only affect windows that are on time for it.
// A record goes to the late side output when its newest window is purged.
//
// Exactness: window bounds, firing and purging use the same f64 expressions
// as WindowOperator (end − 1 <= W, end − 1 + lateness <= W), so they agree
// bit for bit. Counts, min and max agree exactly; sum and avg add per pane
// first, so with non-integer values they can differ from WindowOperator in the
// last bits (floating-point addition order); with integers below 2^53 they
// are exact. Timestamps must lie within ±2^52 ms (about ±142,000 years), so
// every pane and window index is an exact integer.
import { StreamConfigError, StreamInputError, requireNonNegative } from '../errors.js'
import { MIN_WATERMARK } from '../time/watermarks.js'
import type { AggregateFunction } from './aggregate.js'
import {
  checkColumns,
  compareKeys,
  WindowOperator,
  type Key,
  type KeyedBatch,
  type WindowOperatorOptions,
  type WindowOperatorStats,
  type WindowOutput,
  type WindowResult,
} from './operator.js'
import { triggers, type Trigger } from './triggers.js'
import { GrowableBytes } from '../../growable-bytes.js'
import type { WindowAssigner } from './windows.js'
import {
  H,
  HeapViews,
  K,
  paneKernels,
  PANE_DIR_BYTES,
  PANE_HEADER_BYTES,
  PANE_KEY_BYTES,
  PANE_NODE_BYTES,
  WasmBlock,
  wasmAlloc,
  wasmFree,
} from '../../wasm/panes.js'

/** What the runtime drives: a WindowOperator or its pane fast path. */
export interface WindowAggregator<IN, OUT> {
  readonly watermark: number
  processBatch(batch: KeyedBatch<IN>): WindowOutput<OUT, IN>
  advanceWatermark(watermark: number): WindowResult<OUT>[]
  advanceProcessingTime(nowMs: number): WindowResult<OUT>[]
  stats(): WindowOperatorStats
  /** Frees native (Wasm) memory at once; only aggregators that hold some have it. */
  dispose?(): void
}

type Builtin = 'count' | 'sum' | 'min' | 'max' | 'avg'
const KIND_CODE: Record<Builtin, number> = { count: 0, sum: 1, min: 2, max: 3, avg: 4 }
const BUILTINS = Object.keys(KIND_CODE) as Builtin[]

/** Timestamps the pane aggregator takes: |t| <= 2^52 keeps every pane and window index exact in f64. */
export const PANE_TIMESTAMP_LIMIT = 2 ** 52
/** Largest window size and slide (ms) the pane aggregator takes (about 35 years). */
export const PANE_PERIOD_LIMIT = 2 ** 40
/** Probing an assigner for its slide walks at most this many steps of `size` (slide <= 65,536 × size). */
const PROBE_STEPS = 1 << 16
/** Rows per Wasm call; room for this many new nodes, keys and panes is reserved before each call. */
const CHUNK_ROWS = 1 << 15
/**
 * Keys whose last accumulator was purged stay known (index, rank, Map entry)
 * as idle keys, so a key that comes back soon (common with tumbling windows)
 * costs nothing; the oldest idle keys are freed once they outnumber the live
 * ones two to one (and this many), which keeps memory bounded when the key
 * set keeps changing. See evictIdle.
 */
const IDLE_KEYS_MIN = 4096

interface PaneParams {
  size: number
  slide: number
  /** Canonical offset: 0 <= offset < slide. */
  offset: number
  g: number
  r: number
  m: number
}

function floorMod(a: number, b: number): number {
  const r = a % b
  return r < 0 ? r + b : r
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b
    a = b
    b = t
  }
  return a
}

function isPeriod(x: number): boolean {
  return Number.isInteger(x) && x >= 1 && x <= PANE_PERIOD_LIMIT
}

/** Windows of `t` by definition (latest start first, as the assigners write them). */
function modelWindows(p: PaneParams, t: number, out: number[]): void {
  out.length = 0
  for (let start = p.offset + Math.floor((t - p.offset) / p.slide) * p.slide; start > t - p.size; start -= p.slide) out.push(start, start + p.size)
}

/**
 * The assigners do not publish size, slide and offset, so they are read off
 * `assign` itself: one window gives size, a timestamp shared by two windows
 * (or, for slide >= size, the next window found by walking in steps of size)
 * gives slide, and the window's start gives the offset. The result is then
 * checked against `assign` at timestamps across the whole range; anything
 * that does not match exactly is not pane-able.
 */
function probeParams(a: WindowAssigner): PaneParams | undefined {
  if ((a.kind !== 'tumbling' && a.kind !== 'sliding') || a.merging !== false || a.isGlobal !== false || typeof a.assign !== 'function') return undefined
  const maxWindows = a.maxWindowsPerRecord
  if (!Number.isInteger(maxWindows) || maxWindows < 1 || maxWindows > 1 << 20) return undefined
  const out = new Float64Array(2 * maxWindows + 2)
  try {
    let t = 0
    let n = a.assign(t, out)
    for (let step = 0; n === 0 && step < PROBE_STEPS; step++) n = a.assign(--t, out)
    if (n === 0) return undefined
    const start = out[0]
    const size = out[1] - out[0]
    if (!isPeriod(size) || !Number.isInteger(start)) return undefined
    let slide = size
    if (a.kind === 'sliding') {
      // The last instant of a window is also in the next one when slide < size.
      if (a.assign(start + size - 1, out) >= 2) slide = out[0] - out[2]
      else {
        slide = NaN
        for (let j = 1; j <= PROBE_STEPS; j++) {
          if (a.assign(start + j * size, out) > 0) {
            slide = out[0] - start
            break
          }
        }
      }
    }
    if (!isPeriod(slide)) return undefined
    const g = gcd(size, slide)
    const params: PaneParams = { size, slide, offset: floorMod(start, slide) + 0, g, r: slide / g, m: size / g }
    if (Math.ceil(size / slide) !== maxWindows) return undefined
    const probes = [0, 1, -1, start, start - 1, start + 1, start + size - 1, start + size, start + slide - 1, start + slide, 1_700_000_000_123, -1_700_000_000_123, 123_456_789, -987_654_321, PANE_TIMESTAMP_LIMIT, -PANE_TIMESTAMP_LIMIT]
    let x = 0x2545f491
    for (let i = 0; i < 24; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0
      probes.push(Math.round((x / 2 ** 32 - 0.5) * 2 ** (20 + i)))
    }
    const expected: number[] = []
    for (const probe of probes) {
      modelWindows(params, probe, expected)
      const count = a.assign(probe, out)
      if (count * 2 !== expected.length) return undefined
      for (let i = 0; i < expected.length; i++) if (out[i] !== expected[i]) return undefined
    }
    return params
  } catch {
    return undefined
  }
}

const paramsCache = new WeakMap<object, PaneParams | null>()

function paneParams(assigner: WindowAssigner | undefined): PaneParams | undefined {
  if (typeof assigner !== 'object' || assigner === null) return undefined
  let params = paramsCache.get(assigner)
  if (params === undefined) {
    params = probeParams(assigner) ?? null
    paramsCache.set(assigner, params)
  }
  return params ?? undefined
}

function builtinOf(aggregate: AggregateFunction<any, any, any> | undefined): Builtin | undefined {
  const name = aggregate?.builtin
  return name !== undefined && BUILTINS.includes(name) ? name : undefined
}

/**
 * Whether PaneWindowAggregator can stand in for WindowOperator: tumbling or
 * sliding windows with integer size and slide (<= 2^40 ms), the event-time
 * trigger (the default), and a built-in count(), sum(), min(), max() or avg().
 */
export function canUsePanes(assigner: WindowAssigner | undefined, aggregate: AggregateFunction<any, any, any> | undefined, trigger?: Trigger): boolean {
  return (trigger === undefined || trigger.kind === 'eventTime') && builtinOf(aggregate) !== undefined && paneParams(assigner) !== undefined
}

/** A PaneWindowAggregator when canUsePanes allows, else a WindowOperator: the same results either way. */
export function createWindowAggregator<IN, ACC, OUT>(options: WindowOperatorOptions<IN, ACC, OUT>): WindowAggregator<IN, OUT> {
  if (options !== undefined && options !== null && canUsePanes(options.assigner, options.aggregate, options.trigger)) {
    return new PaneWindowAggregator<IN>(options as unknown as WindowOperatorOptions<IN, unknown, number>) as unknown as WindowAggregator<IN, OUT>
  }
  return new WindowOperator(options)
}

// Snapshot format (all little-endian), version 1:
//
//   offset  size        field
//   0       4           magic         "EPAN"
//   4       2           version       u16, 1
//   6       1           aggregate     u8: 0 count, 1 sum, 2 min, 3 max, 4 avg
//   7       1           reserved      0
//   8       8           size          f64, window size (ms)
//   16      8           slide         f64 (= size for tumbling windows)
//   24      8           offset        f64, canonical: 0 <= offset < slide
//   32      8           lateness      f64, allowedLatenessMs
//   40      8           watermark     f64 (−Infinity before the first advance)
//   48      8           lateRecords   f64, stats().lateRecords
//   56      8           dropped       f64, stats().droppedOutsideWindows
//   64      4           nodeCount     u32, (key, pane) accumulators
//   68      4           keyCount      u32, keys holding at least one node
//   72      4           keyTableBytes u32
//   76      4           reserved      0
//   80      32·nodes    nodes         pane f64, count f64, acc f64, key u32 (key table
//                                     position), reserved u32 — copied out of Wasm
//                                     memory, in pane order
//   …       keyTableBytes keys        per key: tag u8 (0 number, 1 string), then an
//                                     f64 (number) or a u32 byte length and UTF-8 bytes
//
// The total length must be exactly 80 + 32·nodeCount + keyTableBytes. Size,
// slide, offset, lateness and aggregate must match the options restore() is given.
const SNAPSHOT_MAGIC = 0x4e415045 // "EPAN" read as a little-endian u32
const SNAPSHOT_VERSION = 1
const SNAPSHOT_HEADER_BYTES = 80
const SNAPSHOT_NODE_BYTES = 32

const releaseBlocks = new FinalizationRegistry<WasmBlock[]>((blocks) => {
  for (const block of blocks) block.free()
})

const utf8Encoder = new TextEncoder()

export class PaneWindowAggregator<IN = number> implements WindowAggregator<IN, number> {
  /** snapshot(headroom) leaves room for a caller's header (see snapshot). */
  readonly snapshotHeadroom = true
  readonly assigner: WindowAssigner
  readonly trigger: Trigger
  readonly allowedLatenessMs: number
  private readonly params: PaneParams
  private readonly kind: Builtin
  private readonly numericInput: boolean
  /** Most windows one pane belongs to. */
  private readonly windowsPerPane: number
  private readonly kMin: number
  private readonly kMax: number
  private currentWatermark = MIN_WATERMARK
  /** Windows k <= kf have fired, k <= kp are purged (at the current watermark). */
  private kf = -Infinity
  private kp = -Infinity
  private lateCount = 0
  private droppedCount = 0
  private disposed = false

  // Keys: dense indices shared with Wasm. Freed indices wait in pendingFree
  // until the next rank rebuild, so `sorted` never names a reused index.
  // Keys left without accumulators queue in `idle` (oldest first) until freed.
  private readonly keyIndex = new Map<Key, number>()
  private idle: number[] = []
  private idleHead = 0
  private idleMark = new Uint8Array(16)
  private readonly keyOf: (Key | undefined)[] = []
  private keyHigh = 0
  private freeList: number[] = []
  private pendingFree: number[] = []
  private newKeys: number[] = []
  /** Key indices in key order as of the last rank rebuild. */
  private sorted: number[] = []

  // Wasm memory.
  private readonly views = new HeapViews()
  private readonly state = new WasmBlock()
  private readonly nodes = new WasmBlock()
  private readonly hash = new WasmBlock()
  private readonly dir = new WasmBlock()
  private readonly keys = new WasmBlock()
  private readonly rankToKey = new WasmBlock()
  private readonly sort = new WasmBlock()
  private readonly dead = new WasmBlock()
  private readonly input = new WasmBlock()
  private readonly touched = new WasmBlock()
  private readonly out = new WasmBlock()
  private readonly pairs = new WasmBlock()
  private nodeCap = 0
  private hashSize = 0
  private dirCap = 0
  private keyCap = 0
  private sortCap = 0
  private inputCap = 0
  private touchedCap = 0
  private outCap = 0
  private pairCap = 0

  /** 'sorted' (default): each window's results in key order, as WindowOperator gives them; 'arrival': in key-index order (cheaper). */
  readonly keyOrder: 'sorted' | 'arrival'

  constructor(options: WindowOperatorOptions<IN, unknown, number> & { keyOrder?: 'sorted' | 'arrival' }) {
    this.keyOrder = options?.keyOrder ?? 'sorted'
    if (options?.assigner === undefined) throw new StreamConfigError('assigner', 'is required (tumbling or sliding windows)')
    if (options.aggregate === undefined) throw new StreamConfigError('aggregate', 'is required (count(), sum(), min(), max() or avg())')
    this.assigner = options.assigner
    this.trigger = options.trigger ?? triggers.eventTime()
    this.allowedLatenessMs = options.allowedLatenessMs ?? 0
    requireNonNegative('allowedLatenessMs', this.allowedLatenessMs)
    if (this.trigger.kind !== 'eventTime') throw new StreamConfigError('trigger', 'the pane aggregator fires on event time only; use WindowOperator for count and processing-time triggers')
    const kind = builtinOf(options.aggregate)
    if (kind === undefined) throw new StreamConfigError('aggregate', 'the pane aggregator takes the built-in count(), sum(), min(), max() or avg(); use WindowOperator for other aggregates')
    const params = paneParams(this.assigner)
    if (params === undefined) {
      throw new StreamConfigError('assigner', `the pane aggregator takes tumbling or sliding windows with integer size and slide up to 2^40 ms; use WindowOperator for ${this.assigner.kind} windows like these`)
    }
    this.kind = kind
    this.params = params
    this.numericInput = kind !== 'count'
    this.windowsPerPane = Math.ceil(params.m / params.r)
    this.kMin = Math.floor((-PANE_TIMESTAMP_LIMIT - params.size - params.offset) / params.slide) - 2
    this.kMax = Math.ceil((PANE_TIMESTAMP_LIMIT - params.offset) / params.slide) + 2

    this.state.grow(PANE_HEADER_BYTES, 0)
    const blocks = [this.state, this.nodes, this.hash, this.dir, this.keys, this.rankToKey, this.sort, this.dead, this.input, this.touched, this.out, this.pairs]
    releaseBlocks.register(this, blocks, this)
    const v = this.views.refresh()
    const s = this.state.ptr
    v.f64[(s + H.g) >>> 3] = params.g
    v.f64[(s + H.offset) >>> 3] = params.offset
    v.f64[(s + H.r) >>> 3] = params.r
    v.f64[(s + H.m) >>> 3] = params.m
    v.u32[(s + H.kind) >>> 2] = KIND_CODE[kind]
    v.u32[(s + H.nodeNext) >>> 2] = 1
    this.reserve(64, 16)
    this.reserveOut(64)
  }

  get watermark(): number {
    return this.currentWatermark
  }

  stats(): WindowOperatorStats {
    const s = this.live()
    const windows = this.header(H.liveNodes) === 0 ? 0 : paneKernels.paneCountWindows(s, this.kp)
    return { watermark: this.currentWatermark, windows, lateRecords: this.lateCount, droppedOutsideWindows: this.droppedCount }
  }

  /** Frees the Wasm memory now. Idempotent; any later use throws. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    releaseBlocks.unregister(this)
    for (const block of [this.state, this.nodes, this.hash, this.dir, this.keys, this.rankToKey, this.sort, this.dead, this.input, this.touched, this.out, this.pairs]) block.free()
  }

  private live(): number {
    if (this.disposed) throw new Error('PaneWindowAggregator was disposed; it cannot be used any more')
    return this.state.ptr
  }

  private header(field: number): number {
    return this.views.refresh().u32[(this.state.ptr + field) >>> 2]
  }

  private setHeader(field: number, value: number): void {
    this.views.refresh().u32[(this.state.ptr + field) >>> 2] = value
  }

  /** Checks a batch completely before any of it is applied (WindowOperator's checks, plus the timestamp range). */
  private validate(batch: KeyedBatch<IN>): number {
    const n = checkColumns(batch)
    const { keys, timestamps, values } = batch
    for (let i = 0; i < n; i++) {
      const t = timestamps[i]
      if (!(t >= -PANE_TIMESTAMP_LIMIT && t <= PANE_TIMESTAMP_LIMIT)) {
        if (!Number.isFinite(t)) throw new StreamInputError(`batch.timestamps[${i}] is ${t}; timestamps must be finite`)
        throw new StreamInputError(`batch.timestamps[${i}] is ${t}; the pane aggregator takes timestamps within ±2^52 ms`)
      }
      const key = keys[i]
      if (typeof key !== 'string' && (typeof key !== 'number' || key !== key)) {
        const kind = typeof key
        throw new StreamInputError(`batch.keys[${i}] is ${kind === 'number' ? 'NaN' : `a ${kind}`}; keys must be strings or numbers`)
      }
    }
    if (this.numericInput && !(values instanceof Float64Array)) {
      for (let i = 0; i < n; i++) {
        if (typeof values[i] !== 'number') throw new StreamInputError(`batch.values[${i}] is a ${typeof values[i]}; this aggregate needs numbers`)
      }
    }
    return n
  }

  /**
   * Adds a batch. Returns the windows it re-fires (already-fired windows it
   * added late records to, once each, after the whole batch) and the late side output.
   */
  processBatch(batch: KeyedBatch<IN>): WindowOutput<number, IN> {
    const s = this.live()
    const n = this.validate(batch)
    const out: WindowOutput<number, IN> = { results: [], late: [] }
    if (n === 0) return out
    const { keys, timestamps, values } = batch
    const firstNewKey = this.newKeys.length
    paneKernels.paneBeginBatch(s)
    for (let from = 0; from < n; from += CHUNK_ROWS) {
      const to = Math.min(n, from + CHUNK_ROWS)
      const rows = to - from
      this.reserve(rows, rows)
      const v = this.views.refresh()
      const u32 = v.u32
      // Keys → dense indices: one Map lookup per record, numbers used as they are.
      const map = this.keyIndex
      let at = (this.input.ptr + 16 * this.inputCap) >>> 2
      for (let i = from; i < to; i++) {
        const key = keys[i]
        let index = map.get(key)
        if (index === undefined) index = this.addKey(key)
        u32[at++] = index
      }
      v.f64.set(rows === n ? timestamps : timestamps.subarray(from, to), this.input.ptr >>> 3)
      if (this.numericInput) {
        const valuesAt = (this.input.ptr + 8 * this.inputCap) >>> 3
        if (values instanceof Float64Array) v.f64.set(rows === n ? values : values.subarray(from, to), valuesAt)
        else {
          const f64 = v.f64
          for (let i = from; i < to; i++) f64[valuesAt + i - from] = values[i] as number
        }
      }
      const late = paneKernels.paneApply(s, rows, this.kp, this.kf)
      this.droppedCount += u32[(s + H.dropped) >>> 2]
      if (late > 0) {
        const lateAt = (this.input.ptr + 20 * this.inputCap) >>> 2
        for (let j = 0; j < late; j++) {
          const row = from + u32[lateAt + j]
          out.late.push({ key: keys[row], timestamp: timestamps[row], value: values[row], row })
        }
      }
    }
    this.lateCount += out.late.length
    // Keys first seen in this batch whose every record was late or dropped hold nothing.
    const u32 = this.views.refresh().u32
    const keyBase = this.keys.ptr
    for (let i = firstNewKey; i < this.newKeys.length; i++) {
      const index = this.newKeys[i]
      if (u32[(keyBase + index * PANE_KEY_BYTES + K.nodes) >>> 2] === 0) this.makeIdle(index)
    }
    this.evictIdle()
    const touched = u32[(s + H.touchedLen) >>> 2]
    if (touched > 0) {
      this.rebuildRanks()
      const pairs = touched * Math.max(1, Math.min(this.windowsPerPane, this.kf - this.kp))
      this.reservePairs(pairs)
      this.reserveOut(pairs)
      const rows = paneKernels.paneRefire(s, this.kp, this.kf)
      this.emit(rows, out.results)
    }
    return out
  }

  /**
   * Advances the watermark (a lower or equal one is ignored): fires windows
   * whose end − 1 it reaches, then purges those past end − 1 + lateness.
   * MAX_WATERMARK (Infinity) at end of input fires and purges every window.
   */
  advanceWatermark(watermark: number): WindowResult<number>[] {
    const s = this.live()
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) throw new StreamInputError(`watermark must be a number, got ${String(watermark)}`)
    if (watermark <= this.currentWatermark) return []
    this.currentWatermark = watermark
    const results: WindowResult<number>[] = []
    const kf = this.lastWindow(watermark, 0)
    const kp = this.allowedLatenessMs === 0 ? kf : this.lastWindow(watermark, this.allowedLatenessMs)
    if (kf > this.kf && this.header(H.liveNodes) > 0) {
      this.rebuildRanks()
      this.reserveOut(this.header(H.liveNodes))
      let from = this.kf + 1
      for (;;) {
        const rows = paneKernels.paneFire(s, from, kf)
        this.emit(rows, results)
        const v = this.views.refresh()
        if (v.u32[(s + H.fireDone) >>> 2] === 1) break
        from = v.f64[(s + H.resumeK) >>> 3]
      }
    }
    this.kf = kf
    if (kp > this.kp) {
      if (this.header(H.liveNodes) > 0) {
        const dead = paneKernels.panePurge(s, kp)
        if (dead > 0) {
          const u32 = this.views.refresh().u32
          const at = this.dead.ptr >>> 2
          for (let i = 0; i < dead; i++) this.makeIdle(u32[at + i])
          this.evictIdle()
        }
      }
      this.kp = kp
    }
    // Freed key indices return to the free list at the next rebuild; rebuild for them alone only when
    // they are many (a rebuild walks every key, so doing it per watermark would cost O(keys) per batch).
    if (this.pendingFree.length > 1024 && this.pendingFree.length * 2 > this.keyIndex.size) this.rebuildRanks()
    return results
  }

  /** The event-time trigger never fires on processing time (as WindowOperator with it). */
  advanceProcessingTime(_nowMs: number): WindowResult<number>[] {
    this.live()
    return []
  }

  /**
   * The largest window k with end − 1 + lateness <= W, evaluated with
   * WindowOperator's f64 expression (so both agree exactly); ±Infinity when
   * every or no window a timestamp within range can fall in qualifies.
   */
  private lastWindow(watermark: number, lateness: number): number {
    if (watermark === Infinity) return Infinity
    if (watermark === -Infinity) return -Infinity
    const { offset, slide, size } = this.params
    const reached = (k: number) => offset + k * slide + size - 1 + lateness <= watermark
    let lo = this.kMin
    let hi = this.kMax
    if (reached(hi)) return Infinity
    if (!reached(lo)) return -Infinity
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (reached(mid)) lo = mid
      else hi = mid
    }
    return lo
  }

  /** Turns `rows` output rows (window index, key index, result) into results. */
  private emit(rows: number, results: WindowResult<number>[]): void {
    if (rows === 0) return
    const v = this.views.refresh()
    const { offset, slide, size } = this.params
    const f64 = v.f64
    const u32 = v.u32
    const kAt = this.out.ptr >>> 3
    const valAt = (this.out.ptr + 8 * this.outCap) >>> 3
    const keyAt = (this.out.ptr + 16 * this.outCap) >>> 2
    const keyOf = this.keyOf
    for (let j = 0; j < rows; j++) {
      const windowStart = offset + f64[kAt + j] * slide
      results.push({ key: keyOf[u32[keyAt + j]] as Key, windowStart, windowEnd: windowStart + size, result: f64[valAt + j] })
    }
  }

  private addKey(key: Key): number {
    const index = this.freeList.length > 0 ? (this.freeList.pop() as number) : this.keyHigh++
    this.keyIndex.set(key, index)
    this.keyOf[index] = key
    this.newKeys.push(index)
    const record = this.keys.ptr + index * PANE_KEY_BYTES
    const v = this.views
    v.f64[(record + K.lastPane) >>> 3] = NaN
    v.u32[(record + K.nodes) >>> 2] = 0
    return index
  }

  private makeIdle(index: number): void {
    if (this.idleMark[index] === 1) return
    this.idleMark[index] = 1
    this.idle.push(index)
  }

  /**
   * When queued keys exceed two thirds of all known keys (and IDLE_KEYS_MIN),
   * drops the keys that came back from the queue, then frees the oldest idle
   * ones until at most max(IDLE_KEYS_MIN, live keys) are idle. Known keys thus
   * stay under 3 × live + 2 × IDLE_KEYS_MIN, and each key is scanned O(1)
   * times per time it goes idle.
   */
  private evictIdle(): void {
    const queued = this.idle.length - this.idleHead
    if (queued <= IDLE_KEYS_MIN || 3 * queued <= 2 * this.keyIndex.size) return
    const u32 = this.views.refresh().u32
    const keyBase = this.keys.ptr
    const idle: number[] = []
    for (let i = this.idleHead; i < this.idle.length; i++) {
      const index = this.idle[i]
      if (u32[(keyBase + index * PANE_KEY_BYTES + K.nodes) >>> 2] === 0) idle.push(index)
      else this.idleMark[index] = 0
    }
    let at = 0
    // Each free lowers the idle count and the known-key count by one: stops at idle <= live.
    while (idle.length - at > IDLE_KEYS_MIN && 2 * (idle.length - at) > this.keyIndex.size) {
      const index = idle[at++]
      this.idleMark[index] = 0
      this.freeKey(index)
    }
    this.idle = at === 0 ? idle : idle.slice(at)
    this.idleHead = 0
  }

  private freeKey(index: number): void {
    this.keyIndex.delete(this.keyOf[index] as Key)
    this.keyOf[index] = undefined
    this.pendingFree.push(index)
  }

  /** Brings ranks (each live key's position in key order) up to date in Wasm memory, and recycles freed indices. */
  private rebuildRanks(): void {
    if (this.newKeys.length === 0 && this.pendingFree.length === 0) return
    if (this.keyOrder === 'arrival') return this.identityRanks()
    const keyOf = this.keyOf
    const fresh = this.newKeys.filter((i) => keyOf[i] !== undefined)
    fresh.sort((a, b) => compareKeys(keyOf[a] as Key, keyOf[b] as Key))
    const old = this.sorted
    const merged: number[] = []
    let i = 0
    let j = 0
    while (i < old.length || j < fresh.length) {
      if (i < old.length && keyOf[old[i]] === undefined) {
        i++
        continue
      }
      if (j >= fresh.length || (i < old.length && compareKeys(keyOf[old[i]] as Key, keyOf[fresh[j]] as Key) < 0)) merged.push(old[i++])
      else merged.push(fresh[j++])
    }
    const u32 = this.views.refresh().u32
    const keyBase = this.keys.ptr
    const rankAt = this.rankToKey.ptr >>> 2
    for (let rank = 0; rank < merged.length; rank++) {
      const index = merged[rank]
      u32[(keyBase + index * PANE_KEY_BYTES + K.rank) >>> 2] = rank
      u32[rankAt + rank] = index
    }
    this.sorted = merged
    this.newKeys = []
    for (const index of this.pendingFree) this.freeList.push(index)
    this.pendingFree = []
  }

  /**
   * keyOrder 'arrival': a key's rank is its index, so a window's keys come out
   * in index order and no rebuild ever walks or sorts all keys (the runtime
   * uses this: it does not promise an order within a window's results).
   */
  private identityRanks(): void {
    const u32 = this.views.refresh().u32
    const keyBase = this.keys.ptr
    const rankAt = this.rankToKey.ptr >>> 2
    for (const index of this.newKeys) {
      if (this.keyOf[index] === undefined) continue
      u32[(keyBase + index * PANE_KEY_BYTES + K.rank) >>> 2] = index
      u32[rankAt + index] = index
    }
    this.newKeys = []
    for (const index of this.pendingFree) this.freeList.push(index)
    this.pendingFree = []
  }

  /** Room for `rows` more input rows, each possibly a new node, pane and key. */
  private reserve(rows: number, newKeys: number): void {
    const s = this.state.ptr
    let v = this.views.refresh()
    // Nodes: free-list nodes are used first, then never-used indices.
    const next = v.u32[(s + H.nodeNext) >>> 2]
    const liveNodes = v.u32[(s + H.liveNodes) >>> 2]
    const freeNodes = next - 1 - liveNodes
    const nodesNeeded = next + Math.max(0, rows - freeNodes)
    if (nodesNeeded > this.nodeCap) {
      this.nodes.grow(nodesNeeded * PANE_NODE_BYTES, next * PANE_NODE_BYTES)
      this.nodeCap = Math.floor(this.nodes.bytes / PANE_NODE_BYTES)
    }
    // Hash table: at most half full.
    let size = Math.max(this.hashSize, 64)
    while (size < 2 * (liveNodes + rows)) size *= 2
    if (size > this.hashSize) {
      const table = wasmAlloc(size * 4)
      if (this.hash.ptr !== 0) {
        this.setHeader(H.nodes, this.nodes.ptr)
        paneKernels.paneRehash(s, table, size - 1)
        wasmFree(this.hash.ptr)
      }
      this.hash.ptr = table
      this.hash.bytes = size * 4
      this.hashSize = size
    }
    // Pane directory.
    v = this.views.refresh()
    const dirLen = v.u32[(s + H.dirLen) >>> 2]
    if (dirLen + rows > this.dirCap) {
      this.dir.grow((dirLen + rows) * PANE_DIR_BYTES, dirLen * PANE_DIR_BYTES)
      this.dirCap = Math.floor(this.dir.bytes / PANE_DIR_BYTES)
    }
    // Keys and everything sized by them.
    const keysNeeded = this.keyHigh + Math.max(0, newKeys - this.freeList.length)
    if (keysNeeded > this.keyCap) {
      this.keys.grow(keysNeeded * PANE_KEY_BYTES, this.keyHigh * PANE_KEY_BYTES)
      this.keyCap = Math.floor(this.keys.bytes / PANE_KEY_BYTES)
      this.rankToKey.grow(this.keyCap * 4, this.keyHigh * 4)
      this.dead.grow(this.keyCap * 4, 0)
      this.reserveSort(this.keyCap)
      const mark = new Uint8Array(this.keyCap)
      mark.set(this.idleMark.subarray(0, Math.min(this.idleMark.length, this.keyCap)))
      this.idleMark = mark
    }
    // Batch input columns: ts f64, values f64, keys u32, late rows u32 (inputCap each).
    if (rows > this.inputCap) {
      this.input.grow(rows * 24, 0)
      this.inputCap = Math.floor(this.input.bytes / 24)
    }
    v = this.views.refresh()
    const touchedLen = v.u32[(s + H.touchedLen) >>> 2]
    if (touchedLen + rows > this.touchedCap) {
      this.touched.grow((touchedLen + rows) * 4, touchedLen * 4)
      this.touchedCap = Math.floor(this.touched.bytes / 4)
    }
    this.writePointers()
  }

  private reserveSort(entries: number): void {
    if (entries <= this.sortCap) return
    this.sort.grow(entries * 8, 0)
    this.sortCap = Math.floor(this.sort.bytes / 8)
    this.writePointers()
  }

  private reserveOut(rows: number): void {
    if (rows > this.outCap) {
      this.out.grow(rows * 20, 0)
      this.outCap = Math.floor(this.out.bytes / 20)
      this.writePointers()
    }
  }

  private reservePairs(pairs: number): void {
    if (pairs > this.pairCap) {
      this.pairs.grow(pairs * 12, 0)
      this.pairCap = Math.floor(this.pairs.bytes / 12)
    }
    this.reserveSort(pairs)
    this.writePointers()
  }

  /** Writes every block's address (and the capacities the kernels read) into the header. */
  private writePointers(): void {
    const u32 = this.views.refresh().u32
    const at = this.state.ptr >>> 2
    const set = (field: number, value: number) => {
      u32[at + (field >>> 2)] = value
    }
    set(H.nodes, this.nodes.ptr)
    set(H.nodeCap, this.nodeCap)
    set(H.hash, this.hash.ptr)
    set(H.hashMask, this.hashSize - 1)
    set(H.dir, this.dir.ptr)
    set(H.dirCap, this.dirCap)
    set(H.keys, this.keys.ptr)
    set(H.keyCap, this.keyCap)
    set(H.rankToKey, this.rankToKey.ptr)
    set(H.inTs, this.input.ptr)
    set(H.inVal, this.input.ptr + 8 * this.inputCap)
    set(H.inKey, this.input.ptr + 16 * this.inputCap)
    set(H.lateOut, this.input.ptr + 20 * this.inputCap)
    set(H.touched, this.touched.ptr)
    set(H.outK, this.out.ptr)
    set(H.outVal, this.out.ptr + 8 * this.outCap)
    set(H.outKey, this.out.ptr + 16 * this.outCap)
    set(H.outCap, this.outCap)
    set(H.sortA, this.sort.ptr)
    set(H.sortB, this.sort.ptr + 4 * this.sortCap)
    set(H.deadOut, this.dead.ptr)
    set(H.pairK, this.pairs.ptr)
    set(H.pairKey, this.pairs.ptr + 8 * this.pairCap)
  }

  /** All state, watermark included, as bytes (format in the comment above SNAPSHOT_MAGIC). */
  /**
   * The state as bytes. With `headroom`, the buffer returned starts with that
   * many free bytes before the snapshot (a caller framing it writes its header
   * there instead of copying tens of megabytes into a new buffer).
   */
  snapshot(headroom = 0): Uint8Array {
    const s = this.live()
    const nodeCount = this.header(H.liveNodes)
    // Live keys get consecutive positions in the key table, written as they are found (one pass, no per-key objects).
    const position = new Int32Array(this.keyHigh).fill(-1)
    const table = new KeyTableWriter(16 * Math.max(1, this.keyIndex.size))
    let keyCount = 0
    const u32 = this.views.refresh().u32
    for (let index = 0; index < this.keyHigh; index++) {
      const key = this.keyOf[index]
      // Idle keys (no accumulators) are left out: they hold no state.
      if (key === undefined || u32[(this.keys.ptr + index * PANE_KEY_BYTES + K.nodes) >>> 2] === 0) continue
      position[index] = keyCount++
      if (typeof key === 'number') table.number(key)
      else table.string(key)
    }
    const keyTableBytes = table.at
    const whole = new Uint8Array(headroom + SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES + keyTableBytes)
    const bytes = whole.subarray(headroom)
    const view = new DataView(whole.buffer, headroom)
    view.setUint32(0, SNAPSHOT_MAGIC, true)
    view.setUint16(4, SNAPSHOT_VERSION, true)
    view.setUint8(6, KIND_CODE[this.kind])
    view.setFloat64(8, this.params.size, true)
    view.setFloat64(16, this.params.slide, true)
    view.setFloat64(24, this.params.offset, true)
    view.setFloat64(32, this.allowedLatenessMs, true)
    view.setFloat64(40, this.currentWatermark, true)
    view.setFloat64(48, this.lateCount, true)
    view.setFloat64(56, this.droppedCount, true)
    view.setUint32(64, nodeCount, true)
    view.setUint32(68, keyCount, true)
    view.setUint32(72, keyTableBytes, true)
    if (nodeCount > 0) {
      const buffer = wasmAlloc(nodeCount * SNAPSHOT_NODE_BYTES)
      try {
        const written = paneKernels.paneExport(s, buffer)
        if (written !== nodeCount) throw new Error(`PaneWindowAggregator.snapshot: exported ${written} nodes, expected ${nodeCount}`)
        const v = this.views.refresh()
        bytes.set(v.u8.subarray(buffer, buffer + nodeCount * SNAPSHOT_NODE_BYTES), SNAPSHOT_HEADER_BYTES)
      } finally {
        wasmFree(buffer)
      }
      for (let i = 0; i < nodeCount; i++) {
        const at = SNAPSHOT_HEADER_BYTES + i * SNAPSHOT_NODE_BYTES + 24
        view.setUint32(at, position[view.getUint32(at, true)], true)
      }
    }
    bytes.set(table.bytes.subarray(0, keyTableBytes), SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES)
    return whole
  }

  /** An aggregator with the state of `snapshot()`'s bytes; `options` must describe the same windows, aggregate and lateness. */
  static restore<IN = number>(options: WindowOperatorOptions<IN, unknown, number>, bytes: Uint8Array): PaneWindowAggregator<IN> {
    const aggregator = new PaneWindowAggregator<IN>(options)
    try {
      aggregator.load(bytes)
    } catch (error) {
      aggregator.dispose()
      throw error
    }
    return aggregator
  }

  private load(bytes: Uint8Array): void {
    const fail = (message: string): never => {
      throw new StreamInputError(`PaneWindowAggregator.restore: ${message}`)
    }
    if (!(bytes instanceof Uint8Array)) fail('the snapshot must be a Uint8Array')
    if (bytes.length < SNAPSHOT_HEADER_BYTES) fail(`the snapshot is ${bytes.length} bytes, shorter than its ${SNAPSHOT_HEADER_BYTES}-byte header`)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (view.getUint32(0, true) !== SNAPSHOT_MAGIC) fail('these bytes are not a pane aggregator snapshot (bad magic)')
    const version = view.getUint16(4, true)
    if (version !== SNAPSHOT_VERSION) fail(`snapshot version ${version} is not supported (this build reads version ${SNAPSHOT_VERSION})`)
    const nodeCount = view.getUint32(64, true)
    const keyCount = view.getUint32(68, true)
    const keyTableBytes = view.getUint32(72, true)
    const expected = SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES + keyTableBytes
    if (bytes.length !== expected) fail(`the snapshot is ${bytes.length} bytes but its header describes ${expected} (${nodeCount} nodes, ${keyTableBytes} bytes of keys)`)
    const mismatch = (what: string, theirs: number, ours: number) => {
      if (!Object.is(theirs, ours)) fail(`the snapshot was taken with ${what} ${theirs}, these options have ${ours}`)
    }
    mismatch('aggregate code', view.getUint8(6), KIND_CODE[this.kind])
    mismatch('window size', view.getFloat64(8, true), this.params.size)
    mismatch('slide', view.getFloat64(16, true), this.params.slide)
    mismatch('offset', view.getFloat64(24, true), this.params.offset)
    mismatch('allowedLatenessMs', view.getFloat64(32, true), this.allowedLatenessMs)
    const watermark = view.getFloat64(40, true)
    const lateRecords = view.getFloat64(48, true)
    const dropped = view.getFloat64(56, true)
    if (Number.isNaN(watermark)) fail('the watermark is NaN')
    for (const [name, value] of [['lateRecords', lateRecords], ['droppedOutsideWindows', dropped]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) fail(`${name} is ${value}, not a count`)
    }
    // Each key takes at least 5 bytes (tag and length or value): a header claiming more keys than fit is refused before anything is reserved.
    if (keyCount * 5 > keyTableBytes) fail(`the header claims ${keyCount} keys in ${keyTableBytes} bytes of key table`)
    // Nodes: each in a window that is not purged at the watermark, each key with at least one.
    const kp = this.lastWindow(watermark, this.allowedLatenessMs)
    const { r, m } = this.params
    const maxPane = Math.ceil((PANE_TIMESTAMP_LIMIT + this.params.slide) / this.params.g) + 1
    const used = new Uint8Array(keyCount)
    for (let i = 0; i < nodeCount; i++) {
      const base = SNAPSHOT_HEADER_BYTES + i * SNAPSHOT_NODE_BYTES
      const pane = view.getFloat64(base, true)
      const count = view.getFloat64(base + 8, true)
      const key = view.getUint32(base + 24, true)
      if (!Number.isInteger(pane) || Math.abs(pane) > maxPane) fail(`node ${i} has pane ${pane}`)
      if (!Number.isSafeInteger(count) || count < 1) fail(`node ${i} has count ${count}`)
      if (key >= keyCount) fail(`node ${i} names key ${key} of ${keyCount}`)
      const newest = Math.floor(pane / r)
      if (pane - newest * r >= m) fail(`node ${i} has pane ${pane}, which is in no window`)
      if (newest <= kp) fail(`node ${i} has pane ${pane}, whose windows are all purged at watermark ${watermark}`)
      used[key] = 1
    }
    const unused = used.indexOf(0)
    if (unused >= 0) fail(`key ${unused} has no accumulator`)
    // Keys, added as they are read (indices 0..keyCount − 1 in table order, so node records carry key
    // indices as they are). A failure part-way leaves this aggregator half-built: restore() disposes it.
    const s = this.state.ptr
    this.reserve(nodeCount, keyCount)
    const table = new KeyTableReader(bytes, view, SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES, fail)
    for (let i = 0; i < keyCount; i++) {
      const key = table.next(i)
      if (this.keyIndex.has(key)) fail(`key ${i} (${String(key)}) appears twice`)
      this.addKey(key)
    }
    if (table.at !== bytes.length) fail(`the key table is ${table.at - (SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES)} bytes, its header says ${keyTableBytes}`)
    if (nodeCount > 0) {
      const buffer = wasmAlloc(nodeCount * SNAPSHOT_NODE_BYTES)
      try {
        this.writePointers()
        const v = this.views.refresh()
        v.u8.set(bytes.subarray(SNAPSHOT_HEADER_BYTES, SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES), buffer)
        const duplicate = paneKernels.paneImport(s, buffer, nodeCount)
        if (duplicate !== 0) fail(`node ${duplicate - 1} repeats an earlier (key, pane)`)
      } finally {
        wasmFree(buffer)
      }
    }
    this.currentWatermark = watermark
    this.kf = this.lastWindow(watermark, 0)
    this.kp = kp
    this.lateCount = lateRecords
    this.droppedCount = dropped
  }
}

/**
 * A snapshot's key table, appended key by key into one growing buffer: tag 0
 * and a float64 for a number, tag 1, a u32 byte length and UTF-8 bytes for a
 * string (ASCII written directly, anything else through TextEncoder).
 */
class KeyTableWriter extends GrowableBytes {
  number(key: number): void {
    this.ensure(9)
    this.bytes[this.at] = 0
    this.view.setFloat64(this.at + 1, key, true)
    this.at += 9
  }

  string(key: string): void {
    const n = key.length
    // At most 3 UTF-8 bytes per UTF-16 unit.
    this.ensure(5 + 3 * n)
    const bytes = this.bytes
    const start = this.at + 5
    let ascii = true
    for (let i = 0; i < n; i++) {
      const c = key.charCodeAt(i)
      if (c >= 0x80) {
        ascii = false
        break
      }
      bytes[start + i] = c
    }
    const length = ascii ? n : utf8Encoder.encodeInto(key, bytes.subarray(start)).written
    bytes[this.at] = 1
    this.view.setUint32(this.at + 1, length, true)
    this.at = start + length
  }
}

/**
 * A key's UTF-8 bytes as a string, or undefined when they are not valid UTF-8.
 * Short ASCII keys (ids, names: the common case) are built in JS, which is
 * several times cheaper than a TextDecoder call per key.
 */
function decodeKey(bytes: Uint8Array, from: number, to: number, decoder: TextDecoder): string | undefined {
  if (to - from <= 32) {
    let ascii = true
    for (let i = from; i < to; i++) if (bytes[i] >= 0x80) ascii = false
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[])
  }
  try {
    return decoder.decode(bytes.subarray(from, to))
  } catch {
    return undefined
  }
}

/**
 * Reads a snapshot's key table (the KeyTableWriter layout) key by key from
 * `at`, which it advances. `fail` gets what is wrong, as "the key table ends
 * inside key i", "key i is NaN", "key i is not valid UTF-8" or "key i has tag
 * t (…)".
 */
class KeyTableReader {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true })

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    public at: number,
    private readonly fail: (reason: string) => never,
  ) {}

  /** Key number `i` (for messages), read at `at`. */
  next(i: number): Key {
    const { bytes, view, at } = this
    if (at + 1 > bytes.length) this.truncated(i)
    const tag = bytes[at]
    if (tag === 0) {
      if (at + 9 > bytes.length) this.truncated(i)
      const key = view.getFloat64(at + 1, true)
      if (Number.isNaN(key)) this.fail(`key ${i} is NaN`)
      this.at = at + 9
      return key
    }
    if (tag !== 1) this.fail(`key ${i} has tag ${tag} (0 number, 1 string)`)
    if (at + 5 > bytes.length) this.truncated(i)
    const length = view.getUint32(at + 1, true)
    if (at + 5 + length > bytes.length) this.truncated(i)
    const key = decodeKey(bytes, at + 5, at + 5 + length, this.decoder) ?? this.fail(`key ${i} is not valid UTF-8`)
    this.at = at + 5 + length
    return key
  }

  private truncated(i: number): never {
    return this.fail(`the key table ends inside key ${i}`)
  }
}

/**
 * Rescaling: one snapshot holding the keys `keep` accepts, taken out of
 * several snapshots of the same window (one per task of the parallelism the
 * checkpoint was taken at). Nothing is restored on the way and no per-key
 * object is built beyond the decoded key itself (its key group decides
 * whether it stays): node records are copied as bytes with their key
 * positions renumbered, so the cost is linear in the bytes read. The
 * watermark is the smallest of the inputs' (they are equal in a checkpoint:
 * every task saw the same watermarks); the counters are summed over the
 * inputs `countersFrom` marks, so that after rescaling they add up to the old
 * totals instead of being counted once per new task.
 */
export function selectPaneSnapshot(blobs: Uint8Array[], keep: (key: Key) => boolean, countersFrom: boolean[]): Uint8Array {
  const fail = (i: number, message: string): never => {
    throw new StreamInputError(`rescaling window state: snapshot ${i} ${message}`)
  }
  if (blobs.length === 0) throw new StreamInputError('rescaling window state: no snapshot to select from')
  const parsed: { view: DataView; bytes: Uint8Array; nodeCount: number; position: Int32Array; spans: number[] }[] = []
  let keysOut = 0
  let nodesOut = 0
  let keyBytesOut = 0
  let watermark = Infinity
  let lateRecords = 0
  let dropped = 0
  const first = new DataView(blobs[0].buffer, blobs[0].byteOffset, blobs[0].byteLength)
  blobs.forEach((bytes, i) => {
    if (bytes.length < SNAPSHOT_HEADER_BYTES) fail(i, `is ${bytes.length} bytes, shorter than its header`)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    if (view.getUint32(0, true) !== SNAPSHOT_MAGIC) fail(i, 'is not a pane aggregator snapshot (bad magic)')
    if (view.getUint16(4, true) !== SNAPSHOT_VERSION) fail(i, `has version ${view.getUint16(4, true)} (this build reads ${SNAPSHOT_VERSION})`)
    // Aggregate code and the window parameters must agree across tasks.
    for (let at = 6; at < 40; at++) if (view.getUint8(at) !== first.getUint8(at)) fail(i, 'describes other windows or another aggregate than snapshot 0')
    const nodeCount = view.getUint32(64, true)
    const keyCount = view.getUint32(68, true)
    if (bytes.length !== SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES + view.getUint32(72, true)) fail(i, 'has a length its header does not describe')
    watermark = Math.min(watermark, view.getFloat64(40, true))
    if (countersFrom[i]) {
      lateRecords += view.getFloat64(48, true)
      dropped += view.getFloat64(56, true)
    }
    // Key table: which keys stay, their new positions and their byte spans.
    const position = new Int32Array(keyCount).fill(-1)
    const spans: number[] = []
    const table = new KeyTableReader(bytes, view, SNAPSHOT_HEADER_BYTES + nodeCount * SNAPSHOT_NODE_BYTES, (reason): never => {
      throw new StreamInputError(`rescaling window state: snapshot ${i}: ${reason}`)
    })
    for (let k = 0; k < keyCount; k++) {
      const start = table.at
      const key = table.next(k)
      if (!keep(key)) continue
      position[k] = keysOut++
      spans.push(start, table.at)
      keyBytesOut += table.at - start
    }
    for (let n = 0; n < nodeCount; n++) {
      const key = view.getUint32(SNAPSHOT_HEADER_BYTES + n * SNAPSHOT_NODE_BYTES + 24, true)
      if (key >= keyCount) fail(i, `node ${n} names key ${key} of ${keyCount}`)
      if (position[key] >= 0) nodesOut++
    }
    parsed.push({ view, bytes, nodeCount, position, spans })
  })
  const out = new Uint8Array(SNAPSHOT_HEADER_BYTES + nodesOut * SNAPSHOT_NODE_BYTES + keyBytesOut)
  const view = new DataView(out.buffer)
  out.set(blobs[0].subarray(0, SNAPSHOT_HEADER_BYTES))
  view.setFloat64(40, watermark, true)
  view.setFloat64(48, lateRecords, true)
  view.setFloat64(56, dropped, true)
  view.setUint32(64, nodesOut, true)
  view.setUint32(68, keysOut, true)
  view.setUint32(72, keyBytesOut, true)
  let node = SNAPSHOT_HEADER_BYTES
  let keyAt = SNAPSHOT_HEADER_BYTES + nodesOut * SNAPSHOT_NODE_BYTES
  for (const p of parsed) {
    for (let n = 0; n < p.nodeCount; n++) {
      const from = SNAPSHOT_HEADER_BYTES + n * SNAPSHOT_NODE_BYTES
      const position = p.position[p.view.getUint32(from + 24, true)]
      if (position < 0) continue
      out.set(p.bytes.subarray(from, from + SNAPSHOT_NODE_BYTES), node)
      view.setUint32(node + 24, position, true)
      node += SNAPSHOT_NODE_BYTES
    }
    for (let s = 0; s < p.spans.length; s += 2) {
      out.set(p.bytes.subarray(p.spans[s], p.spans[s + 1]), keyAt)
      keyAt += p.spans[s + 1] - p.spans[s]
    }
  }
  return out
}
