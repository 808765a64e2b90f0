// Exponentially decaying aggregates: a sum, a count, a mean and a variance in
// which old elements fade. One aggregate (`DecayingAggregate`) or many keyed
// ones in a single Wasm table (`DecayingAggregateTable`), both over the row
// kernels of assembly/sketch/decaying.ts.
//
// Two ways to decay, chosen at construction:
// - `{ lambda }`: per element. Before each new element everything is
//   multiplied by (1 − λ), so after x_1..x_n the sum is Σ x_i (1 − λ)^(n − i)
//   and the count Σ (1 − λ)^(n − i) (which tends to 1/λ).
// - `{ halfLifeMs }`: by time. An element added at t weighs 2^(−(T − t)/halfLifeMs)
//   when read at T. Reads default to T = the latest timestamp added and may
//   not ask for a T before it. Out-of-order elements are exact: an element
//   older than the latest is added with its already-decayed weight, so the
//   result does not depend on arrival order. Timestamps default to Date.now().
//
// Mean = sum / count; variance = decayed Σ w (x − mean)² / count (the weighted
// population variance), kept by West's update so it does not cancel.
import { describe, heapU8, ScratchRegion } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { heapF64 } from './heap-views.js'
import { checkOptionsObject, integerOption } from './option-checks.js'
import { rawKernels, WasmSketch } from './wasm-sketch.js'

export type DecayingAggregateOptions = { lambda: number; halfLifeMs?: undefined } | { halfLifeMs: number; lambda?: undefined }

export type DecayingAggregateTableOptions = DecayingAggregateOptions & {
  /** Rows to allocate up front (default 16); the table grows by doubling. */
  initialKeys?: number
}

/** A key of a DecayingAggregateTable: a string or a finite number (they travel through JSON). */
export type DecayKey = string | number

/** Most keys one table holds: its rows must fit one 1 GiB state block. */
export const DECAY_TABLE_KEYS_MAX = 2 ** 25

/** The decaying-aggregate kernels of core.wasm (also driven directly by the window store in stream/window/sketch-aggregates.ts). */
export interface DecayKernels {
  decayRowBytes(): number
  decayClearRows(rows: number, from: number, to: number): void
  decayAdd(row: number, x: number, timeMs: number, retain: number, halfLifeMs: number): void
  decayAddMany(
    rows: number,
    rowCount: number,
    slots: number,
    values: number,
    times: number,
    n: number,
    defaultTimeMs: number,
    retain: number,
    halfLifeMs: number,
    zOut: number,
  ): number
  decayMergeRows(target: number, source: number, map: number, n: number, halfLifeMs: number): void
}

const kernels = rawKernels<DecayKernels>()
const { decayAdd } = kernels
const ROW_BYTES = kernels.decayRowBytes()
const valuesScratch = new ScratchRegion(16 * 1024)
const timesScratch = new ScratchRegion(16 * 1024)
const slotsScratch = new ScratchRegion(8 * 1024)
const zScratch = new ScratchRegion(16 * 1024)
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** The decay rule shared by both classes. `retain` = 1 − λ in per-element mode; `halfLifeMs` = 0 there. */
interface Decay {
  lambda: number | undefined
  halfLifeMs: number | undefined
  retain: number
  halfLife: number
}

function decayOption(owner: string, options: Record<string, unknown>): Decay {
  const { lambda, halfLifeMs } = options
  if (lambda !== undefined && halfLifeMs !== undefined) {
    throw new RangeError(`${owner}: give either lambda (decay per element) or halfLifeMs (decay by time), not both`)
  }
  if (lambda !== undefined) {
    if (typeof lambda !== 'number' || !(lambda > 0 && lambda < 1)) {
      throw new RangeError(`${owner}: lambda must be a number strictly between 0 and 1, got ${String(lambda)}`)
    }
    return { lambda, halfLifeMs: undefined, retain: 1 - lambda, halfLife: 0 }
  }
  if (halfLifeMs !== undefined) {
    if (typeof halfLifeMs !== 'number' || !(halfLifeMs > 0) || halfLifeMs === Infinity) {
      throw new RangeError(`${owner}: halfLifeMs must be a finite number > 0, got ${String(halfLifeMs)}`)
    }
    return { lambda: undefined, halfLifeMs, retain: 1, halfLife: halfLifeMs }
  }
  throw new RangeError(`${owner}: needs lambda (decay per element, 0 < lambda < 1) or halfLifeMs (decay by time, > 0)`)
}

/** The four row fields as they stand in Wasm memory. */
interface Row {
  sum: number
  weight: number
  m2: number
  timeMs: number
}

function readRow(rowPtr: number): Row {
  const f64 = heapF64()
  const at = rowPtr >>> 3
  return { sum: f64[at], weight: f64[at + 1], m2: f64[at + 2], timeMs: f64[at + 3] }
}

/** Factor that carries a row from its own time to `atMs`; checks `atMs` against the decay mode. */
function readFactor(owner: string, decay: Decay, rowTimeMs: number, atMs: number | undefined): number {
  if (decay.halfLife === 0) {
    if (atMs !== undefined) throw new TypeError(`${owner}: atMs is only meaningful with halfLifeMs; this aggregate decays per element (lambda)`)
    return 1
  }
  if (atMs === undefined || rowTimeMs === -Infinity) {
    if (atMs !== undefined) checkTime(owner, 'atMs', atMs)
    return 1
  }
  checkTime(owner, 'atMs', atMs)
  if (atMs < rowTimeMs) {
    throw new RangeError(`${owner}: atMs ${atMs} is before the latest timestamp ${rowTimeMs}; a decayed value can only be read at or after it`)
  }
  return Math.exp((-(atMs - rowTimeMs) / decay.halfLife) * Math.LN2)
}

function checkTime(owner: string, name: string, timeMs: unknown): asserts timeMs is number {
  if (typeof timeMs !== 'number' || !Number.isFinite(timeMs)) throw new RangeError(`${owner}: ${name} must be a finite number of milliseconds, got ${String(timeMs)}`)
}

function checkValue(owner: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${owner}: ${name} must be a number, got ${describe(value)}`)
  if (!Number.isFinite(value)) throw new RangeError(`${owner}: ${name} must be finite, got ${value}`)
}

/** The time an element is added at: its own timestamp in time mode (default now), none in per-element mode. */
function elementTime(owner: string, decay: Decay, timestampMs: number | undefined): number {
  if (decay.halfLife === 0) {
    if (timestampMs !== undefined) throw new TypeError(`${owner}: timestampMs is only meaningful with halfLifeMs; this aggregate decays per element (lambda)`)
    return 0
  }
  if (timestampMs === undefined) return Date.now()
  checkTime(owner, 'timestampMs', timestampMs)
  return timestampMs
}

/** Copies a batch of numbers into a scratch region as f64; returns its address. */
function writeF64Batch(owner: string, name: string, scratch: ScratchRegion, xs: Float64Array | readonly number[], n: number): number {
  if (!(xs instanceof Float64Array) && !Array.isArray(xs)) throw new TypeError(`${owner}: ${name} must be a Float64Array or an array of numbers, got ${describe(xs)}`)
  if (xs.length !== n) throw new RangeError(`${owner}: ${name} has ${xs.length} entries for ${n} values`)
  const ptr = scratch.ensure(Math.max(8, n * 8))
  const view = new Float64Array(heapU8.buffer, ptr, n)
  if (xs instanceof Float64Array) view.set(xs)
  else {
    for (let i = 0; i < n; i++) {
      const x = xs[i]
      if (typeof x !== 'number') throw new TypeError(`${owner}: ${name}[${i}] must be a number, got ${describe(x)}`)
      view[i] = x
    }
  }
  return ptr
}

/** Names the element a batch kernel refused (it checks everything before changing anything). */
function batchError(owner: string, values: ArrayLike<number>, times: ArrayLike<number> | undefined, index: number, slotLimit?: number, slots?: ArrayLike<number>): RangeError {
  if (!Number.isFinite(values[index])) return new RangeError(`${owner}: values[${index}] must be finite, got ${values[index]}; the batch was refused`)
  if (times !== undefined && !Number.isFinite(times[index])) {
    return new RangeError(`${owner}: timestampsMs[${index}] must be a finite number of milliseconds, got ${times[index]}; the batch was refused`)
  }
  if (slots !== undefined) return new RangeError(`${owner}: slots[${index}] = ${slots[index]} is not a slot of this table (0..${(slotLimit ?? 0) - 1}); the batch was refused`)
  return new RangeError(`${owner}: element ${index} was refused`)
}

function sameDecay(owner: string, mine: Decay, theirs: Decay): void {
  if (mine.lambda !== theirs.lambda || mine.halfLifeMs !== theirs.halfLifeMs) {
    const show = (d: Decay) => (d.lambda !== undefined ? `lambda ${d.lambda}` : `halfLifeMs ${d.halfLifeMs}`)
    throw new RangeError(`${owner}.merge: decay differs (${show(mine)} here, ${show(theirs)} in the other); only aggregates with the same decay merge`)
  }
}

// ------------------------------------------------------------ serialisation

/**
 * Flags byte of the DecayingAggregate envelope: which of the two layouts the
 * payload holds, so each class refuses the other's bytes by name.
 */
const FLAG_SINGLE = 0
const FLAG_TABLE = 1
const MODE_LAMBDA = 0
const MODE_HALF_LIFE = 1

function writeDecay(payload: DataView, decay: Decay): void {
  payload.setUint8(0, decay.halfLife === 0 ? MODE_LAMBDA : MODE_HALF_LIFE)
  payload.setFloat64(8, decay.lambda ?? decay.halfLife, true)
}

function readDecay(owner: string, payload: DataView): Decay {
  const mode = payload.getUint8(0)
  const parameter = payload.getFloat64(8, true)
  for (let i = 1; i < 4; i++) if (payload.getUint8(i) !== 0) throw new SketchFormatError(`${owner}: reserved byte ${i} is ${payload.getUint8(i)}, not 0`)
  if (mode !== MODE_LAMBDA && mode !== MODE_HALF_LIFE) throw new SketchFormatError(`${owner}: unknown decay mode ${mode}`)
  try {
    return decayOption(owner, mode === MODE_LAMBDA ? { lambda: parameter } : { halfLifeMs: parameter })
  } catch (error) {
    throw new SketchFormatError((error as Error).message)
  }
}

/** Row fields at `at` in a payload, validated: finite sums, non-negative weights, a time that fits the mode. */
function readRowInto(owner: string, payload: DataView, at: number, decay: Decay, f64: Float64Array, index: number, label: string): void {
  const sum = payload.getFloat64(at, true)
  const weight = payload.getFloat64(at + 8, true)
  const m2 = payload.getFloat64(at + 16, true)
  const timeMs = payload.getFloat64(at + 24, true)
  const fail = (why: string) => new SketchFormatError(`${owner}: ${label} ${why}`)
  if (!Number.isFinite(sum)) throw fail(`has a non-finite sum ${sum}`)
  if (!(weight >= 0) || weight === Infinity) throw fail(`has an invalid count ${weight}`)
  if (!(m2 >= 0) || m2 === Infinity) throw fail(`has an invalid squared-deviation sum ${m2}`)
  if (decay.halfLife === 0 ? timeMs !== -Infinity : !(Number.isFinite(timeMs) || (timeMs === -Infinity && weight === 0 && sum === 0))) {
    throw fail(`has time ${timeMs}, which does not fit its decay mode`)
  }
  f64[index] = sum
  f64[index + 1] = weight
  f64[index + 2] = m2
  f64[index + 3] = timeMs
}

// ------------------------------------------------------------ one aggregate

export class DecayingAggregate extends WasmSketch {
  /** λ of per-element decay, or undefined in time mode. */
  readonly lambda: number | undefined
  /** Half-life of time decay, or undefined in per-element mode. */
  readonly halfLifeMs: number | undefined
  private readonly decay: Decay

  constructor(options: DecayingAggregateOptions) {
    const owner = 'DecayingAggregate'
    checkOptionsObject(owner, options)
    const decay = decayOption(owner, options)
    super(ROW_BYTES)
    this.decay = decay
    this.lambda = decay.lambda
    this.halfLifeMs = decay.halfLifeMs
    kernels.decayClearRows(this.statePtr, 0, 1)
  }

  /** Adds one element. `timestampMs` is for halfLifeMs aggregates only (default Date.now()). */
  add(value: number, timestampMs?: number): void {
    const row = this.live()
    checkValue('DecayingAggregate.add', 'value', value)
    const decay = this.decay
    decayAdd(row, value, elementTime('DecayingAggregate.add', decay, timestampMs), decay.retain, decay.halfLife)
  }

  /** Adds a batch in one Wasm call, in order. Any non-finite value or timestamp refuses the whole batch. */
  addMany(values: Float64Array | readonly number[], timestampsMs?: Float64Array | readonly number[]): void {
    const row = this.live()
    const owner = 'DecayingAggregate.addMany'
    const n = values?.length
    const valuesPtr = writeF64Batch(owner, 'values', valuesScratch, values, n)
    const decay = this.decay
    let timesPtr = 0
    if (timestampsMs !== undefined) {
      if (decay.halfLife === 0) throw new TypeError(`${owner}: timestampsMs are only meaningful with halfLifeMs; this aggregate decays per element (lambda)`)
      timesPtr = writeF64Batch(owner, 'timestampsMs', timesScratch, timestampsMs, n)
    }
    const defaultTimeMs = decay.halfLife === 0 ? 0 : Date.now()
    const result = kernels.decayAddMany(row, 1, 0, valuesPtr, timesPtr, n, defaultTimeMs, decay.retain, decay.halfLife, 0)
    if (result < 0) throw batchError(owner, values, timestampsMs, -result - 1)
  }

  /** Decayed sum, read at `atMs` (time mode; default: the latest timestamp added). */
  sum(atMs?: number): number {
    const row = readRow(this.live())
    return row.sum * readFactor('DecayingAggregate.sum', this.decay, row.timeMs, atMs)
  }

  /** Decayed count (Σ of element weights), read at `atMs` (time mode; default: the latest timestamp added). */
  count(atMs?: number): number {
    const row = readRow(this.live())
    return row.weight * readFactor('DecayingAggregate.count', this.decay, row.timeMs, atMs)
  }

  /** Decay-weighted mean; NaN before any element. Decay does not change it, but `atMs` is still checked. */
  average(atMs?: number): number {
    const row = readRow(this.live())
    readFactor('DecayingAggregate.average', this.decay, row.timeMs, atMs)
    return row.weight > 0 ? row.sum / row.weight : NaN
  }

  /** Decay-weighted population variance; NaN before any element. */
  variance(atMs?: number): number {
    const row = readRow(this.live())
    readFactor('DecayingAggregate.variance', this.decay, row.timeMs, atMs)
    return row.weight > 0 ? row.m2 / row.weight : NaN
  }

  /**
   * Adds `other`'s elements. In time mode the result equals one aggregate fed
   * both streams. In per-element mode each stream keeps the decay of its own
   * elements (they are treated as parallel sub-streams) and the sums add.
   * Both must have the same decay; `other` is unchanged.
   */
  merge(other: DecayingAggregate): this {
    const row = this.live()
    if (!(other instanceof DecayingAggregate)) throw new TypeError(`DecayingAggregate.merge expects a DecayingAggregate, got ${describe(other)}`)
    const source = other.live()
    sameDecay('DecayingAggregate', this.decay, other.decay)
    if (other === this) throw new RangeError('DecayingAggregate.merge: cannot merge an aggregate into itself')
    kernels.decayMergeRows(row, source, 0, 1, this.decay.halfLife)
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope with flags = 0:
   *
   *   offset size  field
   *   0      1     mode        0 = per element (lambda), 1 = by time (halfLifeMs)
   *   1      7     reserved    0
   *   8      8     parameter   f64, lambda in (0, 1) or halfLifeMs > 0
   *   16     8     sum         f64, finite
   *   24     8     count       f64, ≥ 0
   *   32     8     m2          f64, ≥ 0: decayed Σ w (x − mean)²
   *   40     8     timeMs      f64, latest timestamp; −Infinity in per-element mode or before any element
   */
  serialize(): Uint8Array {
    const row = readRow(this.live())
    const { bytes, payload } = beginSketch(SketchFamily.DecayingAggregate, SINGLE_PAYLOAD_BYTES, FLAG_SINGLE)
    writeDecay(payload, this.decay)
    payload.setFloat64(16, row.sum, true)
    payload.setFloat64(24, row.weight, true)
    payload.setFloat64(32, row.m2, true)
    payload.setFloat64(40, row.timeMs, true)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): DecayingAggregate {
    const owner = 'DecayingAggregate'
    const { payload, flags } = openSketch(bytes, SketchFamily.DecayingAggregate)
    if (flags === FLAG_TABLE) throw new SketchFormatError(`${owner}: bytes hold a DecayingAggregateTable; use DecayingAggregateTable.deserialize`)
    if (flags !== FLAG_SINGLE) throw new SketchFormatError(`${owner}: unknown flags ${flags}`)
    if (payload.byteLength !== SINGLE_PAYLOAD_BYTES) throw new SketchFormatError(`${owner}: payload is ${payload.byteLength} bytes, not ${SINGLE_PAYLOAD_BYTES}`)
    for (let i = 4; i < 8; i++) if (payload.getUint8(i) !== 0) throw new SketchFormatError(`${owner}: reserved byte ${i} is ${payload.getUint8(i)}, not 0`)
    const decay = readDecay(owner, payload)
    const staging = new Float64Array(4)
    readRowInto(owner, payload, 16, decay, staging, 0, 'aggregate')
    const aggregate = new DecayingAggregate(decay.lambda !== undefined ? { lambda: decay.lambda } : { halfLifeMs: decay.halfLife })
    heapF64().set(staging, aggregate.statePtr >>> 3)
    return aggregate
  }
}

const SINGLE_PAYLOAD_BYTES = 48

// ------------------------------------------------------------ keyed table

/**
 * Many keys' decaying aggregates in one Wasm table (one 32-byte row per key),
 * updated by batch. Each key decays on its own: per its own elements
 * (lambda) or by time (halfLifeMs, rows kept at their own latest timestamp).
 * Keys get dense slots 0, 1, 2, ... in order of first appearance; `slotOf`
 * exposes them so a hot loop can pass slots instead of keys.
 */
export class DecayingAggregateTable extends WasmSketch {
  readonly lambda: number | undefined
  readonly halfLifeMs: number | undefined
  private readonly decay: Decay
  private readonly slots = new Map<DecayKey, number>()
  private readonly keyList: DecayKey[] = []
  private rowCapacity: number

  constructor(options: DecayingAggregateTableOptions) {
    const owner = 'DecayingAggregateTable'
    checkOptionsObject(owner, options)
    const decay = decayOption(owner, options)
    const initialKeys = options.initialKeys === undefined ? 16 : integerOption(owner, 'initialKeys', options.initialKeys, 1, DECAY_TABLE_KEYS_MAX)
    super(initialKeys * ROW_BYTES)
    this.decay = decay
    this.lambda = decay.lambda
    this.halfLifeMs = decay.halfLifeMs
    this.rowCapacity = initialKeys
    kernels.decayClearRows(this.statePtr, 0, initialKeys)
  }

  /** Number of keys. */
  get size(): number {
    return this.keyList.length
  }

  /** The keys, in slot order. */
  keys(): DecayKey[] {
    return this.keyList.slice()
  }

  has(key: DecayKey): boolean {
    return this.slots.has(key)
  }

  /** The dense slot of `key`, creating an empty row for a new key. */
  slotOf(key: DecayKey): number {
    this.live()
    const slot = this.slots.get(key)
    return slot !== undefined ? slot : this.addKey(key)
  }

  /** Adds one element to `key`'s aggregate. */
  add(key: DecayKey, value: number, timestampMs?: number): void {
    const owner = 'DecayingAggregateTable.add'
    checkValue(owner, 'value', value)
    const timeMs = elementTime(owner, this.decay, timestampMs)
    const slot = this.slotOf(key)
    decayAdd(this.statePtr + slot * ROW_BYTES, value, timeMs, this.decay.retain, this.decay.halfLife)
  }

  /**
   * Adds a batch in one Wasm call: element i goes to `keys[i]` (or, with a
   * Uint32Array, to slot keys[i] from slotOf). With `zScoresOut`, entry i
   * receives element i's z-score against its key's aggregate just before it
   * was added ((x − mean) / stddev; NaN for a key without data, ±Infinity
   * with zero variance). Anything invalid refuses the whole batch: no row
   * changes and no key is created.
   */
  addMany(
    keys: readonly DecayKey[] | Uint32Array,
    values: Float64Array | readonly number[],
    timestampsMs?: Float64Array | readonly number[],
    zScoresOut?: Float64Array,
  ): void {
    this.live()
    const owner = 'DecayingAggregateTable.addMany'
    if (!(keys instanceof Uint32Array) && !Array.isArray(keys)) throw new TypeError(`${owner}: keys must be an array of keys or a Uint32Array of slots, got ${describe(keys)}`)
    const n = keys.length
    if (zScoresOut !== undefined && (!(zScoresOut instanceof Float64Array) || zScoresOut.length < n)) {
      throw new TypeError(`${owner}: zScoresOut must be a Float64Array with at least ${n} entries`)
    }
    const decay = this.decay
    if (timestampsMs !== undefined && decay.halfLife === 0) {
      throw new TypeError(`${owner}: timestampsMs are only meaningful with halfLifeMs; this table decays per element (lambda)`)
    }
    const keyCountBefore = this.keyList.length
    let slotsPtr: number
    try {
      slotsPtr = this.writeSlots(owner, keys, n)
      const valuesPtr = writeF64Batch(owner, 'values', valuesScratch, values, n)
      const timesPtr = timestampsMs === undefined ? 0 : writeF64Batch(owner, 'timestampsMs', timesScratch, timestampsMs, n)
      const zPtr = zScoresOut === undefined ? 0 : zScratch.ensure(Math.max(8, n * 8))
      const defaultTimeMs = decay.halfLife === 0 ? 0 : Date.now()
      const result = kernels.decayAddMany(this.statePtr, this.keyList.length, slotsPtr, valuesPtr, timesPtr, n, defaultTimeMs, decay.retain, decay.halfLife, zPtr)
      if (result < 0) {
        const slotView = keys instanceof Uint32Array ? keys : undefined
        throw batchError(owner, values, timestampsMs, -result - 1, this.keyList.length, slotView)
      }
      if (zScoresOut !== undefined) zScoresOut.set(new Float64Array(heapU8.buffer, zPtr, n))
    } catch (error) {
      this.forgetKeysFrom(keyCountBefore)
      throw error
    }
  }

  /** Decayed sum of `key` (0 for an unknown key), read at `atMs` (time mode; default: the key's latest timestamp). */
  sum(key: DecayKey, atMs?: number): number {
    const row = this.rowOf(key)
    return row === undefined ? 0 : row.sum * readFactor('DecayingAggregateTable.sum', this.decay, row.timeMs, atMs)
  }

  /** Decayed count of `key` (0 for an unknown key). */
  count(key: DecayKey, atMs?: number): number {
    const row = this.rowOf(key)
    return row === undefined ? 0 : row.weight * readFactor('DecayingAggregateTable.count', this.decay, row.timeMs, atMs)
  }

  /** Decay-weighted mean of `key`; NaN for a key without data. */
  average(key: DecayKey, atMs?: number): number {
    const row = this.rowOf(key)
    if (row === undefined) return NaN
    readFactor('DecayingAggregateTable.average', this.decay, row.timeMs, atMs)
    return row.weight > 0 ? row.sum / row.weight : NaN
  }

  /** Decay-weighted population variance of `key`; NaN for a key without data. */
  variance(key: DecayKey, atMs?: number): number {
    const row = this.rowOf(key)
    if (row === undefined) return NaN
    readFactor('DecayingAggregateTable.variance', this.decay, row.timeMs, atMs)
    return row.weight > 0 ? row.m2 / row.weight : NaN
  }

  /** (value − mean) / stddev of `key`'s aggregate; NaN for a key without data, ±Infinity with zero variance. */
  zScore(key: DecayKey, value: number): number {
    checkValue('DecayingAggregateTable.zScore', 'value', value)
    const row = this.rowOf(key)
    if (row === undefined || !(row.weight > 0)) return NaN
    return (value - row.sum / row.weight) / Math.sqrt(row.m2 / row.weight)
  }

  /** Merges `other` key by key (new keys are added); same rules as DecayingAggregate.merge. */
  merge(other: DecayingAggregateTable): this {
    this.live()
    if (!(other instanceof DecayingAggregateTable)) throw new TypeError(`DecayingAggregateTable.merge expects a DecayingAggregateTable, got ${describe(other)}`)
    other.live()
    sameDecay('DecayingAggregateTable', this.decay, other.decay)
    if (other === this) throw new RangeError('DecayingAggregateTable.merge: cannot merge a table into itself')
    const n = other.keyList.length
    if (n === 0) return this
    for (const key of other.keyList) this.slotOf(key)
    const map = slotsScratch.ensure(n * 4)
    const mapView = new Uint32Array(heapU8.buffer, map, n)
    for (let i = 0; i < n; i++) mapView[i] = this.slots.get(other.keyList[i]) as number
    kernels.decayMergeRows(this.statePtr, other.statePtr, map, n, this.decay.halfLife)
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope with flags = 1:
   *
   *   offset   size        field
   *   0        1           mode        0 = per element (lambda), 1 = by time (halfLifeMs)
   *   1        3           reserved    0
   *   4        4           keyCount    u32
   *   8        8           parameter   f64, lambda in (0, 1) or halfLifeMs > 0
   *   16       4           keysBytes   u32, length of the JSON below
   *   20       keysBytes   keys        UTF-8 JSON array of keyCount distinct strings / finite numbers, in slot order
   *   20+kb    32·keyCount rows        per key: sum, count, m2, timeMs (f64 each, as in DecayingAggregate)
   */
  serialize(): Uint8Array {
    const state = this.live()
    const keys = utf8Encoder.encode(JSON.stringify(this.keyList))
    const keyCount = this.keyList.length
    const rowsBytes = keyCount * ROW_BYTES
    const { bytes, payload } = beginSketch(SketchFamily.DecayingAggregate, TABLE_PREAMBLE_BYTES + keys.length + rowsBytes, FLAG_TABLE)
    writeDecay(payload, this.decay)
    payload.setUint32(4, keyCount, true)
    payload.setUint32(16, keys.length, true)
    bytes.set(keys, SKETCH_HEADER_BYTES + TABLE_PREAMBLE_BYTES)
    bytes.set(heapU8.subarray(state, state + rowsBytes), SKETCH_HEADER_BYTES + TABLE_PREAMBLE_BYTES + keys.length)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): DecayingAggregateTable {
    const owner = 'DecayingAggregateTable'
    const fail = (why: string) => new SketchFormatError(`${owner}: ${why}`)
    const { payload, flags } = openSketch(bytes, SketchFamily.DecayingAggregate)
    if (flags === FLAG_SINGLE) throw fail('bytes hold a single DecayingAggregate; use DecayingAggregate.deserialize')
    if (flags !== FLAG_TABLE) throw fail(`unknown flags ${flags}`)
    if (payload.byteLength < TABLE_PREAMBLE_BYTES) throw fail(`payload of ${payload.byteLength} bytes is shorter than its ${TABLE_PREAMBLE_BYTES}-byte preamble`)
    const decay = readDecay(owner, payload)
    const keyCount = payload.getUint32(4, true)
    const keysBytes = payload.getUint32(16, true)
    if (keyCount > DECAY_TABLE_KEYS_MAX) throw fail(`keyCount ${keyCount} exceeds ${DECAY_TABLE_KEYS_MAX}`)
    const expected = TABLE_PREAMBLE_BYTES + keysBytes + keyCount * ROW_BYTES
    if (payload.byteLength !== expected) throw fail(`payload is ${payload.byteLength} bytes but ${keyCount} keys in ${keysBytes} key bytes need ${expected}`)
    let keys: unknown
    try {
      keys = JSON.parse(utf8Decoder.decode(new Uint8Array(payload.buffer, payload.byteOffset + TABLE_PREAMBLE_BYTES, keysBytes)))
    } catch (error) {
      throw fail(`keys are not valid UTF-8 JSON (${(error as Error).message})`)
    }
    if (!Array.isArray(keys) || keys.length !== keyCount) throw fail(`keys must be a JSON array of ${keyCount} keys`)
    const seen = new Set<DecayKey>()
    for (const key of keys) {
      if (!isKey(key)) throw fail(`key ${JSON.stringify(key)} is neither a string nor a finite number`)
      if (seen.has(key)) throw fail(`key ${JSON.stringify(key)} appears twice`)
      seen.add(key)
    }
    const staging = new Float64Array(keyCount * 4)
    const rowsAt = TABLE_PREAMBLE_BYTES + keysBytes
    for (let i = 0; i < keyCount; i++) readRowInto(owner, payload, rowsAt + i * ROW_BYTES, decay, staging, i * 4, `row of key ${JSON.stringify(keys[i])}`)
    const options = decay.lambda !== undefined ? { lambda: decay.lambda } : { halfLifeMs: decay.halfLife }
    const table = new DecayingAggregateTable({ ...options, initialKeys: Math.max(1, keyCount) })
    for (const key of keys as DecayKey[]) table.addKey(key)
    heapF64().set(staging, table.statePtr >>> 3)
    return table
  }

  private rowOf(key: DecayKey): Row | undefined {
    const state = this.live()
    const slot = this.slots.get(key)
    return slot === undefined ? undefined : readRow(state + slot * ROW_BYTES)
  }

  private addKey(key: DecayKey): number {
    if (!isKey(key)) throw new TypeError(`DecayingAggregateTable: a key must be a string or a finite number, got ${typeof key === 'number' ? key : describe(key)}`)
    const slot = this.keyList.length
    if (slot === this.rowCapacity) {
      if (slot === DECAY_TABLE_KEYS_MAX) throw new RangeError(`DecayingAggregateTable: already holds the maximum of ${DECAY_TABLE_KEYS_MAX} keys`)
      const capacity = Math.min(DECAY_TABLE_KEYS_MAX, this.rowCapacity * 2)
      const state = this.resizeState(capacity * ROW_BYTES)
      kernels.decayClearRows(state, this.rowCapacity, capacity)
      this.rowCapacity = capacity
    }
    this.slots.set(key, slot)
    this.keyList.push(key)
    return slot
  }

  /** Undoes keys created by a refused batch; their rows were never written. */
  private forgetKeysFrom(keyCount: number): void {
    while (this.keyList.length > keyCount) this.slots.delete(this.keyList.pop() as DecayKey)
  }

  private writeSlots(owner: string, keys: readonly DecayKey[] | Uint32Array, n: number): number {
    const ptr = slotsScratch.ensure(Math.max(4, n * 4))
    if (keys instanceof Uint32Array) {
      heapU8.set(new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength), ptr)
      return ptr
    }
    // Mapping keys may grow the table (an allocation), so collect slots first and copy them after.
    const slots = new Uint32Array(n)
    for (let i = 0; i < n; i++) {
      const key = keys[i]
      const slot = this.slots.get(key)
      if (slot !== undefined) slots[i] = slot
      else {
        if (!isKey(key)) throw new TypeError(`${owner}: keys[${i}] must be a string or a finite number, got ${typeof key === 'number' ? key : describe(key)}`)
        slots[i] = this.addKey(key)
      }
    }
    heapU8.set(new Uint8Array(slots.buffer), ptr)
    return ptr
  }
}

const TABLE_PREAMBLE_BYTES = 20

function isKey(key: unknown): key is DecayKey {
  return typeof key === 'string' || (typeof key === 'number' && Number.isFinite(key))
}
