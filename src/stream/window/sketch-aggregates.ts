// Window aggregates backed by the Wasm sketches of src/sketch/: approximate
// distinct counts (HyperLogLog), heavy hitters (Misra–Gries), quantiles (KLL)
// and an exponentially decaying average by event time. Each is an
// AggregateFunction (createAccumulator / add / merge / getResult over one
// sketch, for the generic path) that also brings its own AccumulatorStore,
// which the window operator uses:
//
// - HyperLogLog, HeavyHitters, QuantileSketch: one sketch per slot, created
//   when the slot first receives a value (an empty slot costs no Wasm memory).
//   addBatch groups the batch's rows by slot (a stable counting sort) and
//   feeds each slot's values with one batched call (`addMany`); merge folds
//   one slot's sketch into the other's (session windows); release and reset
//   free the sketch's Wasm memory at once.
// - decayingAvg: every slot is a 32-byte row of one Wasm table, and a whole
//   batch is one call of the DecayingAggregate kernel (`decayAddMany` takes a
//   slot per element), so nothing is grouped.
//
// Every store checks a whole batch before applying any of it (a bad value
// throws StreamInputError and no slot changes).
//
// Keys (approxDistinct, topK) are strings or numbers. A number is hashed as
// its 8 IEEE-754 bytes (−0 as 0, every NaN as one NaN), so 1 and "1" are two
// keys and topK gives numbers back as numbers.
import { HeavyHitters, HEAVY_HITTERS_CAPACITY_MAX } from '../../sketch/heavy-hitters.js'
import { HyperLogLog, HLL_PRECISION_DEFAULT, HLL_PRECISION_MAX, HLL_PRECISION_MIN } from '../../sketch/hyperloglog.js'
import { QuantileSketch, QUANTILE_K_DEFAULT, QUANTILE_K_MAX, QUANTILE_K_MIN } from '../../sketch/quantile.js'
import { DecayingAggregate, type DecayKernels } from '../../sketch/decaying.js'
import { heapF64, heapU32 } from '../../sketch/heap-views.js'
import { rawKernels, WasmSketch } from '../../sketch/wasm-sketch.js'
import { heapU8, ScratchRegion, type PackedKeys } from '../../wasm/core.js'
import { StreamConfigError, StreamInputError } from '../errors.js'
import { Slots, type AccumulatorStore, type AggregateFunction } from './aggregate.js'
import { fromBase64, toBase64 } from '../../base64.js'

/** A key of approxDistinct and topK. */
export type SketchKey = string | number

// ------------------------------------------------------------ shared plumbing

/**
 * Groups a batch's pending adds by slot, keeping each slot's rows in batch
 * order: after `group`, slot groupSlot[g] owns order[groupStart[g] ..
 * groupStart[g + 1]), entries being indices i into slots/rows.
 */
class SlotGrouper {
  private cursor = new Int32Array(64)
  order = new Int32Array(1024)
  groupSlot = new Int32Array(64)
  groupStart = new Int32Array(65)
  groups = 0

  group(slots: Int32Array, n: number, slotLimit: number): void {
    if (this.cursor.length < slotLimit) this.cursor = new Int32Array(Math.max(slotLimit, this.cursor.length * 2))
    if (this.order.length < n) this.order = new Int32Array(Math.max(n, this.order.length * 2))
    const cursor = this.cursor
    let groups = 0
    for (let i = 0; i < n; i++) {
      const s = slots[i]
      if (cursor[s]++ === 0) {
        if (groups === this.groupSlot.length) {
          const grown = new Int32Array(groups * 2)
          grown.set(this.groupSlot)
          this.groupSlot = grown
        }
        this.groupSlot[groups++] = s
      }
    }
    if (this.groupStart.length < groups + 1) this.groupStart = new Int32Array(Math.max(groups + 1, this.groupStart.length * 2))
    let at = 0
    for (let g = 0; g < groups; g++) {
      const s = this.groupSlot[g]
      const size = cursor[s]
      this.groupStart[g] = at
      cursor[s] = at
      at += size
    }
    this.groupStart[groups] = at
    const order = this.order
    for (let i = 0; i < n; i++) order[cursor[slots[i]]++] = i
    for (let g = 0; g < groups; g++) cursor[this.groupSlot[g]] = 0
    this.groups = groups
  }
}

/** The sketch-per-slot store: lazily created sketches, grouped batch adds, merge by moving or folding. */
abstract class SketchPerSlotStore<IN, S extends WasmSketch & { serialize(): Uint8Array }, OUT> implements AccumulatorStore<IN, OUT> {
  protected readonly sketches: (S | undefined)[] = []
  private readonly slotAllocator = new Slots()
  private readonly grouper = new SlotGrouper()

  protected abstract create(): S
  /** Throws StreamInputError naming the first value this store cannot take (called for the whole batch before any add). */
  protected abstract check(value: IN, row: number): void
  /** Adds values[rows[order[from..to)]] to `sketch` in one batched call. */
  protected abstract addGroup(sketch: S, values: ArrayLike<IN>, rows: Int32Array, order: Int32Array, from: number, to: number): void
  protected abstract fold(into: S, from: S): void
  protected abstract resultOf(sketch: S | undefined): OUT
  /** A sketch from its serialize() bytes (checkpoint restore); throws SketchFormatError on bad bytes. */
  protected abstract restore(bytes: Uint8Array): S

  allocate(): number {
    const slot = this.slotAllocator.take()
    this.sketches[slot] = undefined
    return slot
  }
  release(slot: number): void {
    this.reset(slot)
    this.slotAllocator.give(slot)
  }
  reset(slot: number): void {
    this.sketches[slot]?.dispose()
    this.sketches[slot] = undefined
  }
  addBatch(slots: Int32Array, rows: Int32Array, n: number, values: ArrayLike<IN>): void {
    if (n === 0) return
    for (let i = 0; i < n; i++) this.check(values[rows[i]], rows[i])
    const grouper = this.grouper
    grouper.group(slots, n, this.slotAllocator.next)
    for (let g = 0; g < grouper.groups; g++) {
      const slot = grouper.groupSlot[g]
      let sketch = this.sketches[slot]
      if (sketch === undefined) this.sketches[slot] = sketch = this.create()
      this.addGroup(sketch, values, rows, grouper.order, grouper.groupStart[g], grouper.groupStart[g + 1])
    }
  }
  merge(into: number, from: number): void {
    const source = this.sketches[from]
    if (source === undefined || into === from) return
    const target = this.sketches[into]
    if (target === undefined) this.sketches[into] = source
    else {
      this.fold(target, source)
      source.dispose()
    }
    this.sketches[from] = undefined
  }
  result(slot: number): OUT {
    return this.resultOf(this.sketches[slot])
  }
  get liveSlots(): number {
    return this.slotAllocator.live
  }
  /** For checkpoints: the sketch's own versioned bytes as base64 (null for a slot that has seen no value). */
  exportSlot(slot: number): unknown {
    const sketch = this.sketches[slot]
    return sketch === undefined ? null : toBase64(sketch.serialize())
  }
  importSlot(value: unknown): number {
    if (value !== null && typeof value !== 'string') throw new StreamInputError(`a sketch accumulator in the checkpoint is ${typeof value}, expected base64 text or null`)
    const sketch = value === null ? undefined : this.restore(fromBase64(value))
    const slot = this.slotAllocator.take()
    this.sketches[slot] = sketch
    return slot
  }
}

// ------------------------------------------------------------ keys

const keyF64 = new Float64Array(1)
const keyU32 = new Uint32Array(keyF64.buffer)
const keyU8 = new Uint8Array(keyF64.buffer)

/** Writes number `x` canonically (−0 → 0, one NaN) at f64 index `i` of `f64` (with `u32` over the same buffer). */
function writeNumberKey(f64: Float64Array, u32: Uint32Array, i: number, x: number): void {
  if (x !== x) {
    u32[2 * i] = 0
    u32[2 * i + 1] = 0x7ff80000
  } else f64[i] = x === 0 ? 0 : x
}

/** The 8-byte key of a number, as a fresh Uint8Array. */
function numberKeyBytes(x: number): Uint8Array {
  writeNumberKey(keyF64, keyU32, 0, x)
  return keyU8.slice()
}

/** Back from a heavy-hitters item to the key it was added as. */
function decodeKey(item: string | Uint8Array): SketchKey {
  if (typeof item === 'string') return item
  keyU8.set(item)
  return keyF64[0]
}

function checkKey(value: unknown, row: number): void {
  if (typeof value !== 'string' && typeof value !== 'number') {
    throw new StreamInputError(`batch.values[${row}] is ${value === null ? 'null' : typeof value}; this aggregate takes strings or numbers as keys (nothing from the batch was applied)`)
  }
}

/** Builds one slot group's keys for a batched sketch call: packed bytes for all-numbers, an array otherwise. */
class KeyGatherer {
  private f64 = new Float64Array(256)
  private u32 = new Uint32Array(this.f64.buffer)
  private offsets = Uint32Array.from({ length: 257 }, (_, i) => i * 8)
  private readonly list: (string | Uint8Array)[] = []

  gather(values: ArrayLike<SketchKey>, rows: Int32Array, order: Int32Array, from: number, to: number): PackedKeys | readonly (string | Uint8Array)[] {
    const m = to - from
    let numbers = 0
    for (let j = from; j < to; j++) if (typeof values[rows[order[j]]] === 'number') numbers++
    if (numbers === m) {
      if (this.f64.length < m) {
        const size = Math.max(m, this.f64.length * 2)
        this.f64 = new Float64Array(size)
        this.u32 = new Uint32Array(this.f64.buffer)
        this.offsets = Uint32Array.from({ length: size + 1 }, (_, i) => i * 8)
      }
      for (let j = 0; j < m; j++) writeNumberKey(this.f64, this.u32, j, values[rows[order[from + j]]] as number)
      return { bytes: new Uint8Array(this.f64.buffer, 0, m * 8), offsets: this.offsets.subarray(0, m + 1) }
    }
    const list = this.list
    list.length = m
    for (let j = 0; j < m; j++) {
      const key = values[rows[order[from + j]]]
      list[j] = typeof key === 'string' ? key : numberKeyBytes(key)
    }
    return list
  }
}

function keyOf(value: SketchKey): string | Uint8Array {
  checkKey(value, 0)
  return typeof value === 'string' ? value : numberKeyBytes(value)
}

// ------------------------------------------------------------ approxDistinct

export interface ApproxDistinctOptions {
  /** HyperLogLog precision p, 4..18 (default 14: 2^p bytes = 16 KiB per window, ≈0.81% standard error). */
  precision?: number
}

function precisionOf(options: ApproxDistinctOptions | undefined): number {
  const precision = options?.precision ?? HLL_PRECISION_DEFAULT
  if (!Number.isInteger(precision) || precision < HLL_PRECISION_MIN || precision > HLL_PRECISION_MAX) {
    throw new StreamConfigError('approxDistinct.precision', `must be an integer in ${HLL_PRECISION_MIN}..${HLL_PRECISION_MAX}, got ${String(precision)}`)
  }
  return precision
}

/** One HyperLogLog per slot. */
export class HyperLogLogStore extends SketchPerSlotStore<SketchKey, HyperLogLog, number> {
  private readonly keys = new KeyGatherer()
  constructor(readonly precision: number) {
    super()
  }
  protected create(): HyperLogLog {
    return new HyperLogLog({ precision: this.precision })
  }
  protected check(value: SketchKey, row: number): void {
    checkKey(value, row)
  }
  protected addGroup(sketch: HyperLogLog, values: ArrayLike<SketchKey>, rows: Int32Array, order: Int32Array, from: number, to: number): void {
    sketch.addMany(this.keys.gather(values, rows, order, from, to))
  }
  protected fold(into: HyperLogLog, from: HyperLogLog): void {
    into.merge(from)
  }
  protected restore(bytes: Uint8Array): HyperLogLog {
    const sketch = HyperLogLog.deserialize(bytes)
    if (sketch.precision !== this.precision) throw new StreamInputError(`a checkpointed approxDistinct window has precision ${sketch.precision}, this job uses ${this.precision}`)
    return sketch
  }
  protected resultOf(sketch: HyperLogLog | undefined): number {
    return sketch === undefined ? 0 : sketch.count()
  }
}

/**
 * Approximate number of distinct keys per window (HyperLogLog). The relative
 * standard error is 1.04/√(2^precision) (0.81% at the default 14; 3.25% at
 * 10), and small counts are close to exact. Each window holds 2^precision bytes
 * of Wasm memory once it has a value. Windows merge exactly (the union's
 * estimate).
 */
export function approxDistinct(options: ApproxDistinctOptions = {}): AggregateFunction<SketchKey, HyperLogLog, number> {
  const precision = precisionOf(options)
  return {
    createAccumulator: () => new HyperLogLog({ precision }),
    add: (acc, value) => {
      acc.add(keyOf(value))
      return acc
    },
    /** Folds `b` into `a` and disposes `b`. */
    merge: (a, b) => {
      a.merge(b)
      b.dispose()
      return a
    },
    getResult: (acc) => acc.count(),
    createStore: () => new HyperLogLogStore(precision),
  }
}

// ------------------------------------------------------------ topK

export interface TopKOptions {
  /**
   * Counters kept per window, >= k (default max(64, 10·k)). Every reported
   * count undercounts by at most N/(capacity + 1) for a window of N values.
   */
  capacity?: number
}

export interface TopKEntry {
  key: SketchKey
  /** Lower bound of the key's count in the window: true count ∈ [count, count + error]. */
  count: number
  /** Most the count may be short by (the same for every key of the window; ≤ N/(capacity + 1)). */
  error: number
}

function topKOptions(k: number, options: TopKOptions | undefined): number {
  if (!Number.isInteger(k) || k < 1 || k > HEAVY_HITTERS_CAPACITY_MAX) throw new StreamConfigError('topK.k', `must be an integer in 1..${HEAVY_HITTERS_CAPACITY_MAX}, got ${String(k)}`)
  const capacity = options?.capacity ?? Math.min(HEAVY_HITTERS_CAPACITY_MAX, Math.max(64, 10 * k))
  if (!Number.isInteger(capacity) || capacity < k || capacity > HEAVY_HITTERS_CAPACITY_MAX) {
    throw new StreamConfigError('topK.capacity', `must be an integer in k..${HEAVY_HITTERS_CAPACITY_MAX} (k = ${k}), got ${String(capacity)}`)
  }
  return capacity
}

function topOf(sketch: HeavyHitters, k: number): TopKEntry[] {
  return sketch.top(k).map((h) => ({ key: decodeKey(h.item), count: h.count, error: h.error }))
}

/** One HeavyHitters (Misra–Gries) summary per slot. */
export class HeavyHittersStore extends SketchPerSlotStore<SketchKey, HeavyHitters, TopKEntry[]> {
  private readonly keys = new KeyGatherer()
  constructor(
    readonly k: number,
    readonly capacity: number,
  ) {
    super()
  }
  protected create(): HeavyHitters {
    return new HeavyHitters({ capacity: this.capacity })
  }
  protected check(value: SketchKey, row: number): void {
    checkKey(value, row)
  }
  protected addGroup(sketch: HeavyHitters, values: ArrayLike<SketchKey>, rows: Int32Array, order: Int32Array, from: number, to: number): void {
    sketch.addMany(this.keys.gather(values, rows, order, from, to))
  }
  protected fold(into: HeavyHitters, from: HeavyHitters): void {
    into.merge(from)
  }
  protected restore(bytes: Uint8Array): HeavyHitters {
    return HeavyHitters.deserialize(bytes)
  }
  protected resultOf(sketch: HeavyHitters | undefined): TopKEntry[] {
    return sketch === undefined ? [] : topOf(sketch, this.k)
  }
}

/**
 * The k most frequent keys per window, most frequent first (ties in first-seen
 * order), from a Misra–Gries summary of `capacity` counters: each count is a
 * lower bound short by at most `error` ≤ N/(capacity + 1), and every key whose
 * true count exceeds N/(capacity + 1) is tracked. Fewer than k entries when
 * the window has fewer distinct keys. Merging keeps the same bound for the
 * union.
 */
export function topK(k: number, options: TopKOptions = {}): AggregateFunction<SketchKey, HeavyHitters, TopKEntry[]> {
  const capacity = topKOptions(k, options)
  return {
    createAccumulator: () => new HeavyHitters({ capacity }),
    add: (acc, value) => {
      acc.add(keyOf(value))
      return acc
    },
    /** Folds `b` into `a` and disposes `b`. */
    merge: (a, b) => {
      a.merge(b)
      b.dispose()
      return a
    },
    getResult: (acc) => topOf(acc, k),
    createStore: () => new HeavyHittersStore(k, capacity),
  }
}

// ------------------------------------------------------------ quantiles

export interface QuantilesOptions {
  /** KLL accuracy parameter, 8..65535 (default 200: normalised rank error ≤ 0.0133 with 99% confidence). */
  k?: number
  /** Seed of the compaction coins (default QUANTILES_DEFAULT_SEED), so a replayed window gives the same quantiles. */
  seed?: number
}

export const QUANTILES_DEFAULT_SEED = 0x5eed

function quantilesOptions(fractions: readonly number[], options: QuantilesOptions | undefined): { fractions: number[]; k: number; seed: number } {
  if (!Array.isArray(fractions) || fractions.length === 0) throw new StreamConfigError('quantiles.fractions', 'must be a non-empty array of numbers in [0, 1]')
  for (const q of fractions) {
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) throw new StreamConfigError('quantiles.fractions', `must hold numbers in [0, 1], got ${String(q)}`)
  }
  const k = options?.k ?? QUANTILE_K_DEFAULT
  if (!Number.isInteger(k) || k < QUANTILE_K_MIN || k > QUANTILE_K_MAX) throw new StreamConfigError('quantiles.k', `must be an integer in ${QUANTILE_K_MIN}..${QUANTILE_K_MAX}, got ${String(k)}`)
  const seed = options?.seed ?? QUANTILES_DEFAULT_SEED
  if (!Number.isSafeInteger(seed) || seed < 0) throw new StreamConfigError('quantiles.seed', `must be an integer in 0..2^53 − 1, got ${String(seed)}`)
  return { fractions: fractions.slice(), k, seed }
}

/** One KLL QuantileSketch per slot. */
export class QuantileStore extends SketchPerSlotStore<number, QuantileSketch, number[]> {
  private scratch = new Float64Array(256)
  constructor(
    readonly fractions: readonly number[],
    readonly k: number,
    readonly seed: number,
  ) {
    super()
  }
  protected create(): QuantileSketch {
    return new QuantileSketch({ k: this.k, seed: this.seed })
  }
  protected check(value: number, row: number): void {
    if (typeof value !== 'number' || value !== value) {
      throw new StreamInputError(`batch.values[${row}] is ${typeof value === 'number' ? 'NaN' : typeof value}; quantiles take numbers other than NaN (nothing from the batch was applied)`)
    }
  }
  protected addGroup(sketch: QuantileSketch, values: ArrayLike<number>, rows: Int32Array, order: Int32Array, from: number, to: number): void {
    const m = to - from
    if (this.scratch.length < m) this.scratch = new Float64Array(Math.max(m, this.scratch.length * 2))
    const xs = this.scratch
    for (let j = 0; j < m; j++) xs[j] = values[rows[order[from + j]]]
    sketch.addMany(xs.subarray(0, m))
  }
  protected fold(into: QuantileSketch, from: QuantileSketch): void {
    into.merge(from)
  }
  protected restore(bytes: Uint8Array): QuantileSketch {
    return QuantileSketch.deserialize(bytes)
  }
  protected resultOf(sketch: QuantileSketch | undefined): number[] {
    return this.fractions.map((q) => (sketch === undefined ? NaN : sketch.quantile(q)))
  }
}

/**
 * The values at the given normalised ranks per window (e.g. [0.5, 0.99] →
 * [median, p99]), from a KLL sketch: with 99% confidence each returned value's
 * true rank is within 2.296/k^0.9723 of the asked one (0.0133 at k = 200);
 * quantile 0 and 1 are the exact min and max, and a window with at most k
 * values is exact. NaN for each fraction of an empty window. NaN inputs are
 * refused.
 */
export function quantiles(fractions: readonly number[], options: QuantilesOptions = {}): AggregateFunction<number, QuantileSketch, number[]> {
  const config = quantilesOptions(fractions, options)
  return {
    createAccumulator: () => new QuantileSketch({ k: config.k, seed: config.seed }),
    add: (acc, value) => {
      acc.add(value)
      return acc
    },
    /** Folds `b` into `a` and disposes `b`. */
    merge: (a, b) => {
      a.merge(b)
      b.dispose()
      return a
    },
    getResult: (acc) => config.fractions.map((q) => (acc.count === 0 ? NaN : acc.quantile(q))),
    createStore: () => new QuantileStore(config.fractions, config.k, config.seed),
    numericInput: true,
  }
}

// ------------------------------------------------------------ decayingAvg

export interface DecayingAvgOptions {
  /** Half-life of a value's weight, in event-time ms (> 0, finite). */
  halfLifeMs: number
}

/** A decayingAvg input: a value and its event time (ms). */
export interface TimedValue {
  value: number
  timestamp: number
}


const decay = rawKernels<DecayKernels>()
const DECAY_ROW_BYTES = decay.decayRowBytes()
const decaySlots = new ScratchRegion(4 * 1024)
const decayValues = new ScratchRegion(8 * 1024)
const decayTimes = new ScratchRegion(8 * 1024)

function checkTimedValue(v: TimedValue, row: number): void {
  if (typeof v !== 'object' || v === null || typeof v.value !== 'number' || typeof v.timestamp !== 'number') {
    throw new StreamInputError(`batch.values[${row}] must be { value: number, timestamp: number } for decayingAvg (nothing from the batch was applied)`)
  }
  if (!Number.isFinite(v.value) || !Number.isFinite(v.timestamp)) {
    throw new StreamInputError(`batch.values[${row}] has a non-finite value or timestamp (${v.value}, ${v.timestamp}); nothing from the batch was applied`)
  }
}

/**
 * The rows of the DecayingAggregate kernel (sum, weight, m2, time per row) in
 * one Wasm block, one row per slot; a batch is a single `decayAddMany` call.
 */
export class DecayingAvgStore extends WasmSketch implements AccumulatorStore<TimedValue, number> {
  private readonly slotAllocator = new Slots()
  private rowCapacity = 16

  constructor(readonly halfLifeMs: number) {
    super(16 * DECAY_ROW_BYTES)
  }

  allocate(): number {
    this.live()
    const slot = this.slotAllocator.take()
    if (slot >= this.rowCapacity) {
      this.rowCapacity *= 2
      this.resizeState(this.rowCapacity * DECAY_ROW_BYTES)
    }
    decay.decayClearRows(this.statePtr, slot, slot + 1)
    return slot
  }
  release(slot: number): void {
    this.slotAllocator.give(slot)
  }
  reset(slot: number): void {
    decay.decayClearRows(this.live(), slot, slot + 1)
  }
  addBatch(slots: Int32Array, rows: Int32Array, n: number, values: ArrayLike<TimedValue>): void {
    this.live()
    if (n === 0) return
    for (let i = 0; i < n; i++) checkTimedValue(values[rows[i]], rows[i])
    // Allocate every scratch block first: an allocation may grow memory and detach earlier views.
    const slotsPtr = decaySlots.ensure(n * 4)
    const valuesPtr = decayValues.ensure(n * 8)
    const timesPtr = decayTimes.ensure(n * 8)
    const u32 = heapU32()
    const f64 = heapF64()
    const s = slotsPtr >>> 2
    const v = valuesPtr >>> 3
    const t = timesPtr >>> 3
    for (let i = 0; i < n; i++) {
      const x = values[rows[i]]
      u32[s + i] = slots[i]
      f64[v + i] = x.value
      f64[t + i] = x.timestamp
    }
    const done = decay.decayAddMany(this.statePtr, this.rowCapacity, slotsPtr, valuesPtr, timesPtr, n, 0, 1, this.halfLifeMs, 0)
    if (done < 0) throw new StreamInputError(`decayingAvg: element ${-done - 1} of the batch was refused; nothing was applied`)
  }
  merge(into: number, from: number): void {
    const state = this.live()
    if (into === from) return
    decay.decayMergeRows(state + into * DECAY_ROW_BYTES, state + from * DECAY_ROW_BYTES, 0, 1, this.halfLifeMs)
  }
  result(slot: number): number {
    const at = (this.live() + slot * DECAY_ROW_BYTES) >>> 3
    const f64 = heapF64()
    const weight = f64[at + 1]
    return weight > 0 ? f64[at] / weight : NaN
  }
  get liveSlots(): number {
    return this.slotAllocator.live
  }
  /** For checkpoints: the slot's kernel row (sum, weight, m2, time) as base64 bytes. */
  exportSlot(slot: number): unknown {
    const at = this.live() + slot * DECAY_ROW_BYTES
    return toBase64(heapU8.slice(at, at + DECAY_ROW_BYTES))
  }
  importSlot(value: unknown): number {
    const row = typeof value === 'string' ? fromBase64(value) : undefined
    if (row === undefined || row.length !== DECAY_ROW_BYTES) throw new StreamInputError(`a decayingAvg accumulator in the checkpoint is not a ${DECAY_ROW_BYTES}-byte row`)
    const slot = this.allocate()
    heapU8.set(row, this.live() + slot * DECAY_ROW_BYTES)
    return slot
  }
}

/**
 * Exponentially decaying average by event time: a window's result is
 * Σ wᵢ·xᵢ / Σ wᵢ with wᵢ = 2^(−(T − tᵢ)/halfLifeMs), T the window's latest
 * timestamp, so recent values count more (a value one half-life older counts
 * half). The result does not depend on arrival order, and merged windows
 * equal one window fed both. The window operator hands an aggregate values
 * only, not their timestamps, so inputs are `{ value, timestamp }` records
 * (map the stream to that shape first). NaN for an empty window.
 */
export function decayingAvg(options: DecayingAvgOptions): AggregateFunction<TimedValue, DecayingAggregate, number> {
  const halfLifeMs = options?.halfLifeMs
  if (typeof halfLifeMs !== 'number' || !(halfLifeMs > 0) || !Number.isFinite(halfLifeMs)) {
    throw new StreamConfigError('decayingAvg.halfLifeMs', `must be a finite number > 0, got ${String(halfLifeMs)}`)
  }
  return {
    createAccumulator: () => new DecayingAggregate({ halfLifeMs }),
    add: (acc, v) => {
      checkTimedValue(v, 0)
      acc.add(v.value, v.timestamp)
      return acc
    },
    /** Folds `b` into `a` and disposes `b`. */
    merge: (a, b) => {
      a.merge(b)
      b.dispose()
      return a
    },
    getResult: (acc) => acc.average(),
    createStore: () => new DecayingAvgStore(halfLifeMs),
  }
}
