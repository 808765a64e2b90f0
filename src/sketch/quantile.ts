// QuantileSketch: approximate quantiles and ranks of a stream of numbers with
// a KLL sketch whose compactors live in core.wasm memory (see
// assembly/sketch/kll.ts for the algorithm and the memory layout).
//
// Accuracy: with probability ≥ 99% every rank the sketch reports is within
// `rankErrorBound` (normalised, e.g. 0.0133 at k = 200) of the true rank.
// Memory: O(k + log n) retained numbers.
//
// Costs: `add` is one Wasm call with the f64 (no copy); `addMany` is one copy
// and one call per batch (plus one per rare buffer growth). Queries build a
// sorted view once and reuse it until the sketch changes; one view buffer is
// shared by all sketches, so alternating queries between two sketches rebuilds.
import { describe, heapU8, ScratchRegion } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { checkOptionsObject, integerOption } from './option-checks.js'
import { seedOption, type SeedHalves } from './seed.js'
import { rawKernels, WasmSketch } from './wasm-sketch.js'

export interface QuantileSketchOptions {
  /** Accuracy parameter, 8..65535 (default 200): rank error ≈ 2.296 / k^0.9723, memory ≈ 3k numbers. */
  k?: number
  /** Seed of the compaction coins; equal seeds and inputs give identical sketches. Random when omitted. */
  seed?: number
}

export const QUANTILE_K_MIN = 8
/** DataSketches' limit; it also keeps k in the u16 of the serialised form. */
export const QUANTILE_K_MAX = 65535
export const QUANTILE_K_DEFAULT = 200

interface KllKernels {
  kllMaxLevels(): number
  kllStateBytes(bufferItems: number): number
  kllCapacityFor(k: number, levelCount: number): number
  kllInit(state: number, k: number, seedLow: number, seedHigh: number, bufferItems: number): void
  kllUpdate(state: number, x: number): number
  kllUpdateMany(state: number, values: number, n: number): number
  kllNeedsGrowth(state: number): number
  kllRebase(state: number, bufferItems: number): void
  kllMerge(target: number, source: number): number
  kllRetained(state: number): number
  kllCapacityItems(state: number): number
  kllBufferItems(state: number): number
  kllK(state: number): number
  kllLevelCount(state: number): number
  kllCount(state: number): number
  kllMin(state: number): number
  kllMax(state: number): number
  kllBuildView(state: number, view: number): number
  kllQuantile(state: number, view: number, count: number, q: number): number
  kllRank(state: number, view: number, count: number, x: number): number
  kllRandomLow(state: number): number
  kllRandomHigh(state: number): number
  kllStore(state: number, sizesOut: number, itemsOut: number): void
  kllLoad(
    state: number,
    k: number,
    levelCount: number,
    n: number,
    min: number,
    max: number,
    randomLow: number,
    randomHigh: number,
    sizes: number,
    items: number,
  ): void
}

const kernels = rawKernels<KllKernels>()
const { kllUpdate, kllUpdateMany, kllNeedsGrowth, kllRetained, kllBufferItems, kllCapacityItems, kllStateBytes, kllRebase } = kernels
/** Most levels a sketch can have; part of the serialised format's validation. */
export const QUANTILE_LEVELS_MAX = kernels.kllMaxLevels()

/** Values of one addMany batch; grows to the largest batch seen. */
const batchScratch = new ScratchRegion(64 * 1024)
/** Serialisation staging (level sizes + items). */
const ioScratch = new ScratchRegion(16 * 1024)
/** The one sorted view, and which sketch it currently describes. */
const viewScratch = new ScratchRegion(16 * 1024)
let viewOwnerId = 0
let viewCount = 0
let nextSketchId = 1

// Lets deserialize() build a sketch with a given k and buffer through the one constructor.
const RESTORE = Symbol('QuantileSketch.restore')
interface RestoreOptions {
  [RESTORE]: { k: number; bufferItems: number }
}

export class QuantileSketch extends WasmSketch {
  private readonly id = nextSketchId++
  /** False whenever the sketch changed since this sketch last built the shared view. */
  private viewFresh = false

  constructor(options: QuantileSketchOptions = {}) {
    const owner = 'QuantileSketch'
    const restore = (options as Partial<RestoreOptions> | undefined)?.[RESTORE]
    let k: number
    let bufferItems: number
    let seed: SeedHalves
    if (restore !== undefined) {
      ;({ k, bufferItems } = restore)
      seed = { low: 0, high: 0 }
    } else {
      checkOptionsObject(owner, options)
      k = options.k === undefined ? QUANTILE_K_DEFAULT : integerOption(owner, 'k', options.k, QUANTILE_K_MIN, QUANTILE_K_MAX)
      bufferItems = k
      seed = seedOption(owner, options.seed)
    }
    super(kllStateBytes(bufferItems))
    kernels.kllInit(this.statePtr, k, seed.low, seed.high, bufferItems)
  }

  /** Adds one number. NaN is refused (it has no rank); ±Infinity are ordinary values. */
  add(x: number): void {
    const state = this.live()
    if (typeof x !== 'number' || x !== x) throw badValue('add: x', x)
    this.viewFresh = false
    if (kllUpdate(state, x) !== 0) this.fitBuffer()
  }

  /** Adds a batch with one copy and one Wasm call. A NaN anywhere refuses the whole batch; nothing is added. */
  addMany(xs: Float64Array | readonly number[]): void {
    this.live()
    const n = xs.length
    if (!(xs instanceof Float64Array) && !Array.isArray(xs)) {
      throw new TypeError(`QuantileSketch.addMany expects a Float64Array or an array of numbers, got ${describe(xs)}`)
    }
    if (n === 0) return
    const values = batchScratch.ensure(n * 8)
    const view = new Float64Array(heapU8.buffer, values, n)
    if (xs instanceof Float64Array) view.set(xs)
    else {
      for (let i = 0; i < n; i++) {
        const x = xs[i]
        if (typeof x !== 'number') throw badValue(`addMany: xs[${i}]`, x)
        view[i] = x
      }
    }
    let done = kllUpdateMany(this.statePtr, values, n)
    if (done < 0) throw badValue(`addMany: xs[${-done - 1}]`, NaN)
    this.viewFresh = false
    for (;;) {
      if (kllNeedsGrowth(this.statePtr) !== 0) this.fitBuffer()
      if (done === n) return
      done += kllUpdateMany(this.statePtr, values + done * 8, n - done)
    }
  }

  /**
   * The value at normalised rank q: the smallest retained value whose
   * estimated inclusive rank reaches q. quantile(0) is the exact min and
   * quantile(1) the exact max. NaN when the sketch is empty.
   */
  quantile(q: number): number {
    const state = this.live()
    if (typeof q !== 'number' || !(q >= 0 && q <= 1)) {
      throw new RangeError(`QuantileSketch.quantile: q must be a number in [0, 1], got ${String(q)}`)
    }
    const view = this.sortedView(state)
    return kernels.kllQuantile(state, view, viewCount, q)
  }

  /** Estimated fraction of the stream ≤ x (0..1); exact 0 below min and 1 at or above max. NaN when empty. */
  rank(x: number): number {
    const state = this.live()
    if (typeof x !== 'number' || x !== x) throw badValue('rank: x', x)
    const view = this.sortedView(state)
    return kernels.kllRank(state, view, viewCount, x)
  }

  /** Numbers added (including those merged in). */
  get count(): number {
    return kernels.kllCount(this.live())
  }

  /** Exact smallest value added; NaN when empty. */
  get min(): number {
    return kernels.kllMin(this.live())
  }

  /** Exact largest value added; NaN when empty. */
  get max(): number {
    return kernels.kllMax(this.live())
  }

  /** The accuracy parameter (a merge with a smaller-k sketch lowers it to that k). */
  get k(): number {
    return kernels.kllK(this.live())
  }

  /** Numbers the sketch keeps: O(k + log n), at most about 3k + 8·log2(n / k). */
  get retained(): number {
    return kllRetained(this.live())
  }

  /**
   * Normalised rank error that holds with 99% confidence for every rank
   * query at once: 2.296 / k^0.9723. This is Apache DataSketches' fit to the
   * 99th percentile of the maximum rank error measured over thousands of
   * trials of the same KLL variant (capacities k·(2/3)^depth, minimum width
   * 8, random compaction offsets); about 0.0133 at k = 200, 0.0021 at k = 1600.
   */
  get rankErrorBound(): number {
    return 2.296 / Math.pow(this.k, 0.9723)
  }

  /**
   * Adds everything `other` has seen, as if its stream had been added here.
   * Sketches with different k merge to the smaller k. `other` is unchanged.
   */
  merge(other: QuantileSketch): this {
    if (!(other instanceof QuantileSketch)) throw new TypeError(`QuantileSketch.merge expects a QuantileSketch, got ${describe(other)}`)
    if (other === this) throw new RangeError('QuantileSketch.merge: cannot merge a sketch into itself; merge a deserialised copy instead')
    const target = this.live()
    const source = other.live()
    const needed = kllRetained(target) + kllRetained(source)
    if (kllBufferItems(target) < needed) kllRebase(this.resizeState(kllStateBytes(needed)), needed)
    this.viewFresh = false
    kernels.kllMerge(this.statePtr, source)
    this.fitBuffer()
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope:
   *
   *   offset   size          field
   *   0        2             k            u16, 8..65535
   *   2        1             levelCount   u8, L in 1..61
   *   3        1             reserved     0
   *   4        4             retained     u32, number of items below (= Σ sizes)
   *   8        8             n            f64, items seen: an integer, = Σ sizes[h] · 2^h
   *   16       8             min          f64, NaN when n = 0
   *   24       8             max          f64, NaN when n = 0
   *   32       4             randomLow    u32, low half of the coin generator's state
   *   36       4             randomHigh   u32, high half
   *   40       4·L           sizes        u32 per level, level 0 first
   *   40+4L    8·retained    items        f64, level 0 first; level 0 in any order,
   *                                       each higher level ascending; all in [min, max]
   */
  serialize(): Uint8Array {
    const state = this.live()
    const levelCount = kernels.kllLevelCount(state)
    const retained = kllRetained(state)
    const arraysBytes = 4 * levelCount + 8 * retained
    const { bytes, payload } = beginSketch(SketchFamily.QuantileSketch, PREAMBLE_BYTES + arraysBytes)
    const n = kernels.kllCount(state)
    payload.setUint16(0, kernels.kllK(state), true)
    payload.setUint8(2, levelCount)
    payload.setUint32(4, retained, true)
    payload.setFloat64(8, n, true)
    payload.setFloat64(16, n > 0 ? kernels.kllMin(state) : NaN, true)
    payload.setFloat64(24, n > 0 ? kernels.kllMax(state) : NaN, true)
    payload.setUint32(32, kernels.kllRandomLow(state), true)
    payload.setUint32(36, kernels.kllRandomHigh(state), true)
    const staging = ioScratch.ensure(arraysBytes)
    kernels.kllStore(this.statePtr, staging, staging + 4 * levelCount)
    bytes.set(heapU8.subarray(staging, staging + arraysBytes), SKETCH_HEADER_BYTES + PREAMBLE_BYTES)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): QuantileSketch {
    const { payload } = openSketch(bytes, SketchFamily.QuantileSketch)
    const fields = readPayload(payload)
    const bufferItems = Math.max(fields.capacityItems, fields.retained)
    const sketch = new QuantileSketch({ [RESTORE]: { k: fields.k, bufferItems } } as unknown as QuantileSketchOptions)
    const arraysBytes = 4 * fields.levelCount + 8 * fields.retained
    const staging = ioScratch.ensure(arraysBytes)
    heapU8.set(new Uint8Array(payload.buffer, payload.byteOffset + PREAMBLE_BYTES, arraysBytes), staging)
    const { k, levelCount, n, min, max, randomLow, randomHigh } = fields
    kernels.kllLoad(sketch.statePtr, k, levelCount, n, min, max, randomLow, randomHigh, staging, staging + 4 * levelCount)
    return sketch
  }

  /** Sizes the items buffer to the capacity the kernel now wants (grows, or shrinks after a merge). */
  private fitBuffer(): void {
    const state = this.live()
    const wanted = kllCapacityItems(state)
    const current = kllBufferItems(state)
    if (wanted > current) kllRebase(this.resizeState(kllStateBytes(wanted)), wanted)
    else if (wanted < current) {
      kllRebase(state, wanted)
      this.resizeState(kllStateBytes(wanted))
    }
  }

  /** Address of the shared sorted view, rebuilt if it describes another sketch or an older state. */
  private sortedView(state: number): number {
    if (viewOwnerId === this.id && this.viewFresh) return viewScratch.ptr
    const view = viewScratch.ensure(Math.max(16, kllRetained(state) * 16))
    viewCount = kernels.kllBuildView(state, view)
    viewOwnerId = this.id
    this.viewFresh = true
    return view
  }
}

const PREAMBLE_BYTES = 40
const TWO_POW_53 = 2 ** 53

interface PayloadFields {
  k: number
  levelCount: number
  retained: number
  capacityItems: number
  n: number
  min: number
  max: number
  randomLow: number
  randomHigh: number
}

/** Checks every field and item of a payload before anything is allocated. */
function readPayload(payload: DataView): PayloadFields {
  const fail = (why: string) => new SketchFormatError(`QuantileSketch: ${why}`)
  if (payload.byteLength < PREAMBLE_BYTES) throw fail(`payload of ${payload.byteLength} bytes is shorter than its ${PREAMBLE_BYTES}-byte preamble`)
  const k = payload.getUint16(0, true)
  const levelCount = payload.getUint8(2)
  const retained = payload.getUint32(4, true)
  const n = payload.getFloat64(8, true)
  const min = payload.getFloat64(16, true)
  const max = payload.getFloat64(24, true)
  if (k < QUANTILE_K_MIN) throw fail(`k ${k} is below the minimum ${QUANTILE_K_MIN}`)
  if (levelCount < 1 || levelCount > QUANTILE_LEVELS_MAX) throw fail(`levelCount ${levelCount} is outside 1..${QUANTILE_LEVELS_MAX}`)
  if (payload.getUint8(3) !== 0) throw fail(`reserved byte is ${payload.getUint8(3)}, not 0`)
  const expectedBytes = PREAMBLE_BYTES + 4 * levelCount + 8 * retained
  if (payload.byteLength !== expectedBytes) {
    throw fail(`payload is ${payload.byteLength} bytes but ${levelCount} levels and ${retained} items need ${expectedBytes}`)
  }
  if (!Number.isInteger(n) || n < 0 || n > TWO_POW_53) throw fail(`n ${n} is not an integer count in 0..2^53`)
  const capacityItems = kernels.kllCapacityFor(k, levelCount)
  if (retained > capacityItems) throw fail(`${retained} retained items exceed the capacity ${capacityItems} of k ${k} with ${levelCount} levels`)
  let sizesTotal = 0
  let weightTotal = 0
  for (let h = 0; h < levelCount; h++) {
    const size = payload.getUint32(PREAMBLE_BYTES + 4 * h, true)
    sizesTotal += size
    weightTotal += size * 2 ** h
  }
  if (sizesTotal !== retained) throw fail(`level sizes add up to ${sizesTotal}, not the ${retained} retained items`)
  if (weightTotal !== n) throw fail(`level weights add up to ${weightTotal}, not n = ${n}`)
  if (n === 0) {
    if (!Number.isNaN(min) || !Number.isNaN(max)) throw fail('an empty sketch must store NaN as min and max')
  } else if (!(min <= max)) throw fail(`min ${min} and max ${max} are not an ordered pair of numbers`)
  let at = PREAMBLE_BYTES + 4 * levelCount
  for (let h = 0; h < levelCount; h++) {
    const size = payload.getUint32(PREAMBLE_BYTES + 4 * h, true)
    let previous = -Infinity
    for (let i = 0; i < size; i++, at += 8) {
      const x = payload.getFloat64(at, true)
      if (!(x >= min && x <= max)) throw fail(`level ${h} item ${i} (${x}) is NaN or outside [min, max]`)
      if (h > 0 && x < previous) throw fail(`level ${h} is not sorted at item ${i}`)
      previous = x
    }
  }
  return {
    k,
    levelCount,
    retained,
    capacityItems,
    n,
    min,
    max,
    randomLow: payload.getUint32(32, true),
    randomHigh: payload.getUint32(36, true),
  }
}

function badValue(where: string, x: unknown): Error {
  if (typeof x !== 'number') return new TypeError(`QuantileSketch.${where} must be a number, got ${describe(x)}`)
  return new RangeError(`QuantileSketch.${where} is NaN; NaN has no rank, so it was refused${where.startsWith('addMany') ? ' (nothing from the batch was added)' : ''}`)
}
