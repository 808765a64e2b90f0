// Count-Min sketch: per-key frequency estimates that never undercount and, with
// probability 1 − δ, overcount by at most ε·N (N = total count added).
// Counters are u64 in core.wasm memory, so they do not overflow; estimates
// and totals reach JS as numbers, exact up to 2^53.
import { describe, heapU8, keyPtr, outputRegion, writeKey, writeKeyBatch, type KeyBatch } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { booleanOption, checkOptionsObject, openUnitOption } from './option-checks.js'
import { countError, isCount, rawKernels, WasmSketch, writeCounts } from './wasm-sketch.js'

export interface CountMinSketchOptions {
  /** ε: overcount bound as a fraction of the total count, strictly between 0 and 1. */
  epsilon: number
  /** δ: probability that a key's overcount exceeds ε·N, strictly between 0 and 1. */
  delta: number
  /**
   * Conservative update (Estan & Varghese): raise only the counters that hold
   * the key's current minimum. Smaller overcounts on skewed streams; merging
   * stays an upper bound but is no longer exactly the sketch of the joint stream.
   */
  conservative?: boolean
}

export interface CountMinSketchSize {
  width: number
  depth: number
}

/** Most counters one sketch may hold (2^26 × 8 bytes = 512 MiB). */
export const CMS_CELL_COUNT_MAX = 2 ** 26

interface CountMinKernels {
  cmsCountersOffset(): number
  cmsStateBytes(width: number, depth: number): number
  cmsInit(state: number, width: number, depth: number, conservative: number): void
  cmsAdd(state: number, ptr: number, len: number, count: number): void
  cmsAddBatch(state: number, data: number, offsets: number, n: number, counts: number): void
  cmsEstimate(state: number, ptr: number, len: number): number
  cmsEstimateBatch(state: number, data: number, offsets: number, n: number, out: number): void
  cmsTotal(state: number): number
  cmsMerge(target: number, source: number): void
  cmsCheckRows(state: number): number
}

const { cmsCountersOffset, cmsStateBytes, cmsInit, cmsAdd, cmsAddBatch, cmsEstimate, cmsEstimateBatch, cmsTotal, cmsMerge, cmsCheckRows } =
  rawKernels<CountMinKernels>()
const COUNTERS_OFFSET = cmsCountersOffset()

/** width = ⌈e/ε⌉ counters per row, depth = ⌈ln(1/δ)⌉ rows. */
export function countMinSketchSize(options: CountMinSketchOptions): CountMinSketchSize {
  const owner = 'CountMinSketch'
  checkOptionsObject(owner, options)
  const epsilon = openUnitOption(owner, 'epsilon', options.epsilon)
  const delta = openUnitOption(owner, 'delta', options.delta)
  const width = Math.ceil(Math.E / epsilon)
  const depth = Math.max(1, Math.ceil(Math.log(1 / delta)))
  if (width * depth > CMS_CELL_COUNT_MAX) {
    throw new RangeError(
      `${owner}: epsilon ${epsilon} and delta ${delta} need ${width} × ${depth} counters, more than the ${CMS_CELL_COUNT_MAX} maximum`,
    )
  }
  return { width, depth }
}

// Lets deserialize() build a sketch of a given shape through the one constructor.
const SIZE = Symbol('CountMinSketch.size')
type SizedOptions = { [SIZE]: CountMinSketchSize & { conservative: boolean } }

export class CountMinSketch extends WasmSketch {
  /** Counters per row, ⌈e/ε⌉. */
  readonly width: number
  /** Rows (independent hash positions per key), ⌈ln(1/δ)⌉. */
  readonly depth: number
  readonly conservative: boolean

  constructor(options: CountMinSketchOptions) {
    const size = (options as Partial<SizedOptions> | undefined)?.[SIZE] ?? {
      ...countMinSketchSize(options),
      conservative: options.conservative === undefined ? false : booleanOption('CountMinSketch', 'conservative', options.conservative),
    }
    super(cmsStateBytes(size.width, size.depth))
    this.width = size.width
    this.depth = size.depth
    this.conservative = size.conservative
    cmsInit(this.statePtr, size.width, size.depth, size.conservative ? 1 : 0)
  }

  /** Adds `count` (an integer in 0..2^32 − 1) occurrences of `key`. */
  add(key: string | Uint8Array, count = 1): void {
    const statePtr = this.live()
    if (count !== 1 && !isCount(count)) throw countError('CountMinSketch.add', 'count', count)
    const len = writeKey(key)
    cmsAdd(statePtr, keyPtr(), len, count)
  }

  /** Adds every key once, or counts[i] times for key i. */
  addMany(keys: KeyBatch, counts?: Uint32Array | readonly number[]): void {
    const statePtr = this.live()
    const batch = writeKeyBatch(keys)
    const countsPtr = writeCounts('CountMinSketch.addMany', counts, batch.count)
    cmsAddBatch(statePtr, batch.dataPtr, batch.offsetsPtr, batch.count, countsPtr)
  }

  /** An upper bound on how often `key` was added. */
  estimate(key: string | Uint8Array): number {
    const statePtr = this.live()
    const len = writeKey(key)
    return cmsEstimate(statePtr, keyPtr(), len)
  }

  /** `estimate` of every key, in one call into Wasm. */
  estimateMany(keys: KeyBatch): Float64Array {
    const statePtr = this.live()
    const batch = writeKeyBatch(keys)
    const out = outputRegion(batch.count, 8)
    cmsEstimateBatch(statePtr, batch.dataPtr, batch.offsetsPtr, batch.count, out)
    return new Float64Array(heapU8.buffer.slice(out, out + batch.count * 8))
  }

  /** N: the sum of all counts added (and merged in). */
  get total(): number {
    return cmsTotal(this.live())
  }

  /** Adds `other`'s counters: the result estimates the concatenated streams. Both must have the same width and depth. */
  merge(other: CountMinSketch): this {
    if (!(other instanceof CountMinSketch)) throw new TypeError(`CountMinSketch.merge expects a CountMinSketch, got ${describe(other)}`)
    const target = this.live()
    const source = other.live()
    if (other.width !== this.width || other.depth !== this.depth) {
      throw new RangeError(
        `CountMinSketch.merge: shapes differ (width ${this.width} × depth ${this.depth} vs width ${other.width} × depth ${other.depth}); build both with the same epsilon and delta`,
      )
    }
    cmsMerge(target, source)
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope:
   *
   *   offset size              field
   *   0      4                 width         u32, counters per row
   *   4      4                 depth         u32, rows (width × depth ≤ 2^26)
   *   8      1                 conservative  0 or 1
   *   9      7                 reserved      zero
   *   16     8                 total         u64, N
   *   24     width·depth·8     counters      u64, row-major; a row sums to N (≤ N if conservative)
   */
  serialize(): Uint8Array {
    const statePtr = this.live()
    const counterBytes = this.width * this.depth * 8
    const { bytes, payload } = beginSketch(SketchFamily.CountMinSketch, 24 + counterBytes)
    payload.setUint32(0, this.width, true)
    payload.setUint32(4, this.depth, true)
    payload.setUint8(8, this.conservative ? 1 : 0)
    // The total sits at state offset 16 as a u64, like the payload's; copy its bytes to keep all 64 bits.
    bytes.set(heapU8.subarray(statePtr + 16, statePtr + 24), SKETCH_HEADER_BYTES + 16)
    const counters = statePtr + COUNTERS_OFFSET
    bytes.set(heapU8.subarray(counters, counters + counterBytes), SKETCH_HEADER_BYTES + 24)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): CountMinSketch {
    const { payload } = openSketch(bytes, SketchFamily.CountMinSketch)
    if (payload.byteLength < 24) throw new SketchFormatError(`CountMinSketch: payload of ${payload.byteLength} bytes is shorter than its 24-byte preamble`)
    const width = payload.getUint32(0, true)
    const depth = payload.getUint32(4, true)
    const conservativeByte = payload.getUint8(8)
    if (width < 1 || depth < 1 || width * depth > CMS_CELL_COUNT_MAX) {
      throw new SketchFormatError(`CountMinSketch: width ${width} × depth ${depth} is not a valid shape (1..${CMS_CELL_COUNT_MAX} counters)`)
    }
    if (conservativeByte > 1) throw new SketchFormatError(`CountMinSketch: conservative flag is ${conservativeByte}, not 0 or 1`)
    for (let i = 9; i < 16; i++) {
      if (payload.getUint8(i) !== 0) throw new SketchFormatError('CountMinSketch: reserved preamble bytes are not zero')
    }
    const counterBytes = width * depth * 8
    if (payload.byteLength !== 24 + counterBytes) {
      throw new SketchFormatError(`CountMinSketch: payload is ${payload.byteLength} bytes but ${width} × ${depth} counters need ${24 + counterBytes}`)
    }
    const sized: SizedOptions = { [SIZE]: { width, depth, conservative: conservativeByte === 1 } }
    const sketch = new CountMinSketch(sized as unknown as CountMinSketchOptions)
    const statePtr = sketch.statePtr
    heapU8.set(new Uint8Array(payload.buffer, payload.byteOffset + 16, 8), statePtr + 16)
    heapU8.set(new Uint8Array(payload.buffer, payload.byteOffset + 24, counterBytes), statePtr + COUNTERS_OFFSET)
    const badRow = cmsCheckRows(statePtr)
    if (badRow !== 0) {
      sketch.dispose()
      throw new SketchFormatError(`CountMinSketch: counters of row ${badRow - 1} do not add up to the total ${payload.getBigUint64(16, true)}`)
    }
    return sketch
  }
}
