// Shared types and small helpers of the standalone keyed operators (window and
// interval joins, tables and the stream-table join, keyed process functions).
//
// Every operator here is a plain synchronous state machine: no I/O, no clocks
// (processing time is passed in), no Node built-ins. Records arrive as columnar
// batches (record i = keys[i], timestamps[i], values[i]) that are validated in
// full before any of them is applied; results leave as arrays of
// { key, timestamp, value } objects.
//
// Key order. Where an operator orders output by key it uses compareKeys:
// numbers before strings, numbers ascending, strings by UTF-16 code units.
// The number 1 and the string '1' are different keys.
//
// Snapshots. Every operator's snapshot() is UTF-8 JSON of an object
// { format: 'eddy/<operator>', version: <n>, ...body } (each class documents
// its body). restore() rejects another operator's snapshot, an unknown version
// and malformed content with a StreamInputError. Non-finite times (the initial
// watermark −∞, +∞ at end of input) are written as the strings '-Infinity' /
// 'Infinity'. User values (records, state) go through JSON as they are, so
// they must be JSON-representable to survive a snapshot (undefined inside
// arrays becomes null, NaN and ±Infinity become null, Dates become strings).
import { StreamInputError } from '../errors.js'

/** A record key. */
export type Key = string | number

/** A columnar batch: record i is (keys[i], timestamps[i], values[i]). */
export interface Batch<V, K extends Key = Key> {
  readonly keys: ArrayLike<K>
  readonly timestamps: ArrayLike<number>
  readonly values: ArrayLike<V>
}

/** One output record. */
export interface Emitted<T, K extends Key = Key> {
  key: K
  timestamp: number
  value: T
}

/** What every operator's stats() reports at least. */
export interface OperatorStats {
  /** The operator's watermark (−∞ before the first advance). */
  watermark: number
  /** State entries held (buffered records, table rows, versions, keyed state entries, timers). */
  stateSize: number
  /** Records found late (each class says what that means for it). */
  lateRecords: number
}

/** What a join returns for a batch: joined results and the records dropped as late (the late side output). */
export interface JoinOutput<OUT, IN> {
  results: Emitted<OUT>[]
  late: Emitted<IN>[]
}

/** Builds a columnar batch from record objects (convenience for callers and tests). */
export function toBatch<R extends Emitted<unknown>>(records: readonly R[]): Batch<R['value'], R['key']> {
  return {
    keys: records.map((r) => r.key),
    timestamps: Float64Array.from(records, (r) => r.timestamp),
    values: records.map((r) => r.value),
  }
}

/** Total order on keys: numbers (ascending) before strings (by code units). */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a - b
    return -1
  }
  if (typeof b === 'number') return 1
  return a < b ? -1 : a > b ? 1 : 0
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return String(value)
  return `a ${typeof value}`
}

/** Whether `key` is a valid key: a string or a finite number. */
export function isKey(key: unknown): key is Key {
  return typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))
}

/**
 * Checks a whole batch before any of it is applied: the three columns exist
 * and have equal lengths, every timestamp is a finite number and every key a
 * string or finite number. Throws a StreamInputError naming the field and
 * index; returns the record count.
 */
export function validateBatch(batch: Batch<unknown>, name = 'batch'): number {
  if (batch === null || typeof batch !== 'object') {
    throw new StreamInputError(`${name} must be an object with keys, timestamps and values columns, got ${describe(batch)}`)
  }
  const { keys, timestamps, values } = batch
  for (const [field, column] of [['keys', keys], ['timestamps', timestamps], ['values', values]] as const) {
    if (column === null || column === undefined || typeof (column as ArrayLike<unknown>).length !== 'number') {
      throw new StreamInputError(`${name}.${field} must be an array-like column, got ${describe(column)}`)
    }
  }
  const n = timestamps.length
  if (keys.length !== n || values.length !== n) {
    throw new StreamInputError(`${name} columns differ in length: keys ${keys.length}, timestamps ${n}, values ${values.length}`)
  }
  for (let i = 0; i < n; i++) {
    const t = timestamps[i]
    if (typeof t !== 'number' || !Number.isFinite(t)) {
      throw new StreamInputError(`${name}.timestamps[${i}] is ${describe(t)}; timestamps must be finite numbers`)
    }
    const k = keys[i]
    if (!isKey(k)) throw new StreamInputError(`${name}.keys[${i}] is ${describe(k)}; keys must be strings or finite numbers`)
  }
  return n
}

/** Checks a watermark argument (any number but NaN; −∞ and +∞ are allowed). */
export function checkWatermark(watermark: number): void {
  if (typeof watermark !== 'number' || Number.isNaN(watermark)) {
    throw new StreamInputError(`watermark must be a number, got ${describe(watermark)}`)
  }
}

/** A binary min-heap under a comparator. */
export class MinHeap<T> {
  private items: T[] = []
  constructor(private readonly less: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length
  }

  peek(): T | undefined {
    return this.items[0]
  }

  push(item: T): void {
    const items = this.items
    let i = items.length
    items.push(item)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(item, items[parent])) break
      items[i] = items[parent]
      i = parent
    }
    items[i] = item
  }

  pop(): T | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]
    const last = items.pop() as T
    const n = items.length
    if (n > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        const c = r < n && this.less(items[r], items[l]) ? r : l
        if (!this.less(items[c], last)) break
        items[i] = items[c]
        i = c
      }
      items[i] = last
    }
    return top
  }

  /** The items in no particular order. */
  toArray(): T[] {
    return this.items.slice()
  }

  /** Keeps only the items `keep` accepts (and re-heapifies). */
  filter(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep)
    this.items = []
    for (const item of kept) this.push(item)
  }
}

/** Index of the first element of sorted `items` for which `before(element)` is false. */
export function partitionPoint<T>(items: readonly T[], before: (item: T) => boolean): number {
  let lo = 0
  let hi = items.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (before(items[mid])) lo = mid + 1
    else hi = mid
  }
  return lo
}

// ---------------------------------------------------------------------------
// Snapshot encoding (see the header).

/** A JSON-safe encoding of a time that may be ±∞. */
export function encodeTime(t: number): number | string {
  return Number.isFinite(t) ? t : String(t)
}

/** Decodes encodeTime's output. */
export function decodeTime(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (value === 'Infinity') return Infinity
  if (value === '-Infinity') return -Infinity
  throw malformed(field, value)
}

export function malformed(field: string, value: unknown): StreamInputError {
  return new StreamInputError(`snapshot is malformed: ${field} is ${describe(value)}`)
}

/** Reads a snapshot field that must be a finite number. */
export function snapshotNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(field, value)
  return value
}

/** Reads a snapshot field that must be an array. */
export function snapshotArray(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(field, value)
  return value
}

/** Reads a snapshot field that must be a key. */
export function snapshotKey(value: unknown, field: string): Key {
  if (!isKey(value)) throw malformed(field, value)
  return value
}

/** Serialises a snapshot: UTF-8 JSON of { format, version, ...body }. */
export function writeSnapshot(format: string, version: number, body: Record<string, unknown>): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ format, version, ...body }))
}

/**
 * Parses a snapshot written by writeSnapshot and checks its format and
 * version; returns the whole object (body fields included).
 */
export function readSnapshot(bytes: Uint8Array, format: string, version: number): Record<string, unknown> {
  if (!(bytes instanceof Uint8Array)) throw new StreamInputError(`snapshot must be a Uint8Array, got ${describe(bytes)}`)
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw new StreamInputError(`snapshot is not in ${format} format (not UTF-8 JSON: ${(error as Error).message})`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new StreamInputError(`snapshot is not in ${format} format (not a JSON object)`)
  }
  return checkSnapshot(parsed as Record<string, unknown>, format, version)
}

/** Checks a parsed snapshot object's format and version (readSnapshot's second half, for a caller that parsed it already). */
export function checkSnapshot(object: Record<string, unknown>, format: string, version: number): Record<string, unknown> {
  if (object.format !== format) {
    throw new StreamInputError(`snapshot has format ${describe(object.format)}; expected ${JSON.stringify(format)}`)
  }
  if (object.version !== version) {
    throw new StreamInputError(`${format} snapshot version ${describe(object.version)} is not supported (this build reads version ${version})`)
  }
  return object
}
