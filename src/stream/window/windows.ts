// Windows and window assigners. A time window is [start, end): `start`
// inclusive, `end` exclusive, so its last timestamp is end − 1 and it fires
// when the watermark reaches end − 1 (the watermark promises nothing <= W is
// still to come). Global windows span (−∞, +∞) and never end.
import { requirePositive, StreamConfigError } from '../errors.js'

export interface TimeWindow {
  readonly start: number
  readonly end: number
}

/** The last timestamp inside a window: end − 1 (+∞ for the global window). */
export function maxTimestamp(window: TimeWindow): number {
  return window.end - 1
}

/**
 * Assigns a record's timestamp to windows. Non-merging assigners write window
 * bounds into `out` (starts at even, ends at odd indices) and return how many;
 * the merging (session) assigner's windows are merged by the operator.
 */
export interface WindowAssigner {
  readonly kind: 'tumbling' | 'sliding' | 'session' | 'global'
  /** Sessions: windows that intersect or touch are merged. */
  readonly merging: boolean
  /** Global windows never end, so they need a count or processing-time trigger. */
  readonly isGlobal: boolean
  /** Most windows one timestamp can fall in (sizes scratch space). */
  readonly maxWindowsPerRecord: number
  /** Writes [start, end) pairs for `timestamp` into `out` from index 0; returns the number of windows. */
  assign(timestamp: number, out: Float64Array): number
}

/** Floor modulo: the result has the sign of `b` (so negative timestamps work). */
function floorMod(a: number, b: number): number {
  const r = a % b
  return r < 0 ? r + b : r
}

function checkOffset(offset: number, period: number, periodName: string): void {
  if (typeof offset !== 'number' || !Number.isFinite(offset) || Math.abs(offset) >= period) {
    throw new StreamConfigError('offset', `must be a finite number with |offset| < ${periodName} (${period}), got ${String(offset)}`)
  }
}

export interface TumblingOptions {
  /** Window length (ms, > 0). */
  size: number
  /** Shifts window starts: starts are offset + k·size (|offset| < size). Default 0. */
  offset?: number
}

/** Fixed-size, non-overlapping windows [offset + k·size, offset + (k+1)·size). */
export function tumbling(options: TumblingOptions): WindowAssigner {
  requirePositive('size', options?.size)
  const size = options.size
  const offset = options.offset ?? 0
  checkOffset(offset, size, 'size')
  return {
    kind: 'tumbling',
    merging: false,
    isGlobal: false,
    maxWindowsPerRecord: 1,
    assign(timestamp, out) {
      const start = timestamp - floorMod(timestamp - offset, size)
      out[0] = start
      out[1] = start + size
      return 1
    },
  }
}

export interface SlidingOptions {
  /** Window length (ms, > 0). */
  size: number
  /**
   * Distance between window starts (ms, > 0). slide < size gives overlapping
   * windows; slide = size is tumbling; slide > size is allowed and gives
   * windows with gaps between them (sampling): a record that falls in a gap
   * belongs to no window and is dropped (it is not late, so it does not go to
   * the late side output; the operator counts it in `droppedOutsideWindows`).
   */
  slide: number
  /** Shifts window starts: starts are offset + k·slide (|offset| < slide). Default 0. */
  offset?: number
}

/** Windows of `size` starting every `slide`: [offset + k·slide, offset + k·slide + size). */
export function sliding(options: SlidingOptions): WindowAssigner {
  requirePositive('size', options?.size)
  requirePositive('slide', options.slide)
  const { size, slide } = options
  const offset = options.offset ?? 0
  checkOffset(offset, slide, 'slide')
  return {
    kind: 'sliding',
    merging: false,
    isGlobal: false,
    maxWindowsPerRecord: Math.ceil(size / slide),
    assign(timestamp, out) {
      // Latest start <= timestamp, then earlier starts while the window still covers the timestamp.
      let n = 0
      for (let start = timestamp - floorMod(timestamp - offset, slide); start > timestamp - size; start -= slide) {
        out[2 * n] = start
        out[2 * n + 1] = start + size
        n++
      }
      return n
    },
  }
}

export interface SessionOptions {
  /** Inactivity gap (ms, > 0): records at most `gap` apart (in event time) share a session. */
  gap: number
}

/**
 * Session windows: each record opens [t, t + gap); windows that intersect or
 * touch are merged, so a session ends `gap` after its last record.
 */
export function session(options: SessionOptions): WindowAssigner & { readonly gap: number } {
  requirePositive('gap', options?.gap)
  const gap = options.gap
  return {
    kind: 'session',
    merging: true,
    isGlobal: false,
    maxWindowsPerRecord: 1,
    gap,
    assign(timestamp, out) {
      out[0] = timestamp
      out[1] = timestamp + gap
      return 1
    },
  }
}

/** One window per key spanning all time; pair it with a count or processing-time trigger. */
export function globalWindows(): WindowAssigner {
  return {
    kind: 'global',
    merging: false,
    isGlobal: true,
    maxWindowsPerRecord: 1,
    assign(_timestamp, out) {
      out[0] = -Infinity
      out[1] = Infinity
      return 1
    },
  }
}
