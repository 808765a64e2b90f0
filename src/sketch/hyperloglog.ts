// HyperLogLog: the number of distinct keys in a stream, in 2^p bytes, with a
// relative standard error of about 1.04/√(2^p). Registers live in core.wasm
// memory; the estimate is Ertl's improved raw estimator (see
// assembly/sketch/hyperloglog.ts), which needs no bias tables and no switch to
// linear counting.
import { describe, heapU8, keyPtr, writeKey, writeKeyBatch, type KeyBatch } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { checkOptionsObject, integerOption } from './option-checks.js'
import { rawKernels, WasmSketch } from './wasm-sketch.js'

export interface HyperLogLogOptions {
  /** p: log2 of the register count, 4..18 (default 14: 16 KiB, ≈0.81% standard error). */
  precision?: number
}

export const HLL_PRECISION_MIN = 4
export const HLL_PRECISION_MAX = 18
export const HLL_PRECISION_DEFAULT = 14

interface HyperLogLogKernels {
  hllRegistersOffset(): number
  hllStateBytes(precision: number): number
  hllInit(state: number, precision: number): void
  hllAdd(state: number, ptr: number, len: number): void
  hllAddBatch(state: number, data: number, offsets: number, n: number): void
  hllMerge(target: number, source: number): void
  hllEstimate(state: number): number
  hllRankMax(precision: number): number
}

const { hllRegistersOffset, hllStateBytes, hllInit, hllAdd, hllAddBatch, hllMerge, hllEstimate, hllRankMax } =
  rawKernels<HyperLogLogKernels>()
const REGISTERS_OFFSET = hllRegistersOffset()

export class HyperLogLog extends WasmSketch {
  readonly precision: number

  constructor(options: HyperLogLogOptions = {}) {
    checkOptionsObject('HyperLogLog', options)
    const precision = integerOption('HyperLogLog', 'precision', options.precision === undefined ? HLL_PRECISION_DEFAULT : options.precision, HLL_PRECISION_MIN, HLL_PRECISION_MAX)
    super(hllStateBytes(precision))
    this.precision = precision
    hllInit(this.statePtr, precision)
  }

  /** Number of registers, m = 2^precision. */
  get registerCount(): number {
    return 2 ** this.precision
  }

  /** The estimator's relative standard error, 1.04/√m. */
  get relativeStandardError(): number {
    return 1.04 / Math.sqrt(this.registerCount)
  }

  add(key: string | Uint8Array): void {
    const statePtr = this.live()
    const len = writeKey(key)
    hllAdd(statePtr, keyPtr(), len)
  }

  addMany(keys: KeyBatch): void {
    const statePtr = this.live()
    const batch = writeKeyBatch(keys)
    hllAddBatch(statePtr, batch.dataPtr, batch.offsetsPtr, batch.count)
  }

  /** Estimated number of distinct keys added, rounded to an integer. */
  count(): number {
    return Math.round(hllEstimate(this.live()))
  }

  /** Folds `other` in (register-wise maximum): the result counts the union. Both must have the same precision. */
  merge(other: HyperLogLog): this {
    if (!(other instanceof HyperLogLog)) throw new TypeError(`HyperLogLog.merge expects a HyperLogLog, got ${describe(other)}`)
    const target = this.live()
    const source = other.live()
    if (other.precision !== this.precision) {
      throw new RangeError(`HyperLogLog.merge: precisions differ (${this.precision} vs ${other.precision}); only sketches of the same precision merge`)
    }
    hllMerge(target, source)
    return this
  }

  /**
   * Payload layout, inside the sketch envelope:
   *
   *   offset size   field
   *   0      1      precision   p, 4..18
   *   1      3      reserved    zero
   *   4      2^p    registers   one byte each, 0..65 − p (register i holds hashes whose top p bits are i)
   */
  serialize(): Uint8Array {
    const statePtr = this.live()
    const registerCount = this.registerCount
    const { bytes, payload } = beginSketch(SketchFamily.HyperLogLog, 4 + registerCount)
    payload.setUint8(0, this.precision)
    const registers = statePtr + REGISTERS_OFFSET
    bytes.set(heapU8.subarray(registers, registers + registerCount), SKETCH_HEADER_BYTES + 4)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): HyperLogLog {
    const { payload } = openSketch(bytes, SketchFamily.HyperLogLog)
    if (payload.byteLength < 4) throw new SketchFormatError(`HyperLogLog: payload of ${payload.byteLength} bytes is shorter than its 4-byte preamble`)
    const precision = payload.getUint8(0)
    if (precision < HLL_PRECISION_MIN || precision > HLL_PRECISION_MAX) {
      throw new SketchFormatError(`HyperLogLog: precision ${precision} is outside ${HLL_PRECISION_MIN}..${HLL_PRECISION_MAX}`)
    }
    if (payload.getUint8(1) !== 0 || payload.getUint16(2, true) !== 0) throw new SketchFormatError('HyperLogLog: reserved preamble bytes are not zero')
    const registerCount = 2 ** precision
    if (payload.byteLength !== 4 + registerCount) {
      throw new SketchFormatError(`HyperLogLog: payload is ${payload.byteLength} bytes but precision ${precision} needs ${4 + registerCount}`)
    }
    const registers = new Uint8Array(payload.buffer, payload.byteOffset + 4, registerCount)
    const rankMax = hllRankMax(precision)
    for (let i = 0; i < registerCount; i++) {
      if (registers[i] > rankMax) throw new SketchFormatError(`HyperLogLog: register ${i} holds ${registers[i]}, above the ${rankMax} maximum at precision ${precision}`)
    }
    const sketch = new HyperLogLog({ precision })
    heapU8.set(registers, sketch.statePtr + REGISTERS_OFFSET)
    return sketch
  }
}
