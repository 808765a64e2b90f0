// Bloom filter: set membership with no false negatives and a chosen
// false-positive rate. Bits live in core.wasm memory; every key is hashed
// once (xxhash64, in Wasm) and its k bit positions come from double hashing.
import { describe, heapU8, keyPtr, outputRegion, writeKey, writeKeyBatch, type KeyBatch } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { checkOptionsObject, integerOption, openUnitOption } from './option-checks.js'
import { rawKernels, WasmSketch } from './wasm-sketch.js'

export interface BloomFilterOptions {
  /** n: how many distinct keys the filter is sized for. */
  expectedItems: number
  /** p: the false-positive probability wanted once n keys are in, strictly between 0 and 1. */
  falsePositiveRate: number
}

/** The filter's shape: m bits and k hashes per key. */
export interface BloomFilterSize {
  bitCount: number
  hashCount: number
}

/** Largest filter: 2^32 bits (512 MiB), the range one 32-bit probe value maps onto. */
export const BLOOM_BIT_COUNT_MAX = 2 ** 32
/** Most hashes per key; k = 64 already means p ≈ 2^−64. */
export const BLOOM_HASH_COUNT_MAX = 64
export const BLOOM_EXPECTED_ITEMS_MAX = 2 ** 32

interface BloomKernels {
  bloomBitsOffset(): number
  bloomStateBytes(wordCount: number): number
  bloomInit(state: number, wordCount: number, hashCount: number): void
  bloomAdd(state: number, ptr: number, len: number): void
  bloomHas(state: number, ptr: number, len: number): number
  bloomAddBatch(state: number, data: number, offsets: number, n: number): void
  bloomHasBatch(state: number, data: number, offsets: number, n: number, out: number): void
  bloomMerge(target: number, source: number): void
}

const { bloomBitsOffset, bloomStateBytes, bloomInit, bloomAdd, bloomHas, bloomAddBatch, bloomHasBatch, bloomMerge } =
  rawKernels<BloomKernels>()
const BITS_OFFSET = bloomBitsOffset()

/**
 * The optimal shape for n keys at false-positive rate p:
 * m = −n·ln p / (ln 2)² bits, rounded up to a multiple of 64, and k = round(m/n · ln 2).
 */
export function bloomFilterSize(options: BloomFilterOptions): BloomFilterSize {
  const owner = 'BloomFilter'
  checkOptionsObject(owner, options)
  const expectedItems = integerOption(owner, 'expectedItems', options.expectedItems, 1, BLOOM_EXPECTED_ITEMS_MAX)
  const falsePositiveRate = openUnitOption(owner, 'falsePositiveRate', options.falsePositiveRate)
  const idealBits = (-expectedItems * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2)
  const bitCount = Math.max(64, Math.ceil(idealBits / 64) * 64)
  if (bitCount > BLOOM_BIT_COUNT_MAX) {
    throw new RangeError(
      `${owner}: expectedItems ${expectedItems} at falsePositiveRate ${falsePositiveRate} needs ${bitCount} bits, more than the ${BLOOM_BIT_COUNT_MAX} maximum`,
    )
  }
  const hashCount = Math.max(1, Math.round((bitCount / expectedItems) * Math.LN2))
  if (hashCount > BLOOM_HASH_COUNT_MAX) {
    throw new RangeError(`${owner}: falsePositiveRate ${falsePositiveRate} needs ${hashCount} hashes per key, more than the ${BLOOM_HASH_COUNT_MAX} maximum`)
  }
  return { bitCount, hashCount }
}

// Lets deserialize() build a filter of a given shape through the one constructor.
const SIZE = Symbol('BloomFilter.size')
type SizedOptions = { [SIZE]: BloomFilterSize }

export class BloomFilter extends WasmSketch {
  /** m, the number of bits (a multiple of 64). */
  readonly bitCount: number
  /** k, the number of bits set per key. */
  readonly hashCount: number

  constructor(options: BloomFilterOptions) {
    const size = (options as Partial<SizedOptions> | undefined)?.[SIZE] ?? bloomFilterSize(options)
    super(bloomStateBytes(size.bitCount / 64))
    this.bitCount = size.bitCount
    this.hashCount = size.hashCount
    bloomInit(this.statePtr, size.bitCount / 64, size.hashCount)
  }

  add(key: string | Uint8Array): void {
    const statePtr = this.live()
    const len = writeKey(key)
    bloomAdd(statePtr, keyPtr(), len)
  }

  /** False means certainly never added; true means probably added. */
  has(key: string | Uint8Array): boolean {
    const statePtr = this.live()
    const len = writeKey(key)
    return bloomHas(statePtr, keyPtr(), len) !== 0
  }

  addMany(keys: KeyBatch): void {
    const statePtr = this.live()
    const batch = writeKeyBatch(keys)
    bloomAddBatch(statePtr, batch.dataPtr, batch.offsetsPtr, batch.count)
  }

  /** One byte per key: 1 if probably added, 0 if certainly not. */
  hasMany(keys: KeyBatch): Uint8Array {
    const statePtr = this.live()
    const batch = writeKeyBatch(keys)
    const out = outputRegion(batch.count, 1)
    bloomHasBatch(statePtr, batch.dataPtr, batch.offsetsPtr, batch.count, out)
    return heapU8.slice(out, out + batch.count)
  }

  /** Adds every key of `other` (bitwise OR). Both filters must have the same bitCount and hashCount. */
  merge(other: BloomFilter): this {
    if (!(other instanceof BloomFilter)) throw new TypeError(`BloomFilter.merge expects a BloomFilter, got ${describe(other)}`)
    const target = this.live()
    const source = other.live()
    if (other.bitCount !== this.bitCount || other.hashCount !== this.hashCount) {
      throw new RangeError(
        `BloomFilter.merge: filters differ in shape (${this.bitCount} bits × ${this.hashCount} hashes vs ${other.bitCount} bits × ${other.hashCount} hashes); build both with the same options`,
      )
    }
    bloomMerge(target, source)
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope:
   *
   *   offset size        field
   *   0      4           wordCount   u32, bitCount / 64 (1 .. 2^26)
   *   4      4           hashCount   u32, 1 .. 64
   *   8      wordCount·8 bits        bit b is bit (b & 7) of byte b >> 3
   */
  serialize(): Uint8Array {
    const statePtr = this.live()
    const wordCount = this.bitCount / 64
    const { bytes, payload } = beginSketch(SketchFamily.BloomFilter, 8 + wordCount * 8)
    payload.setUint32(0, wordCount, true)
    payload.setUint32(4, this.hashCount, true)
    const bits = statePtr + BITS_OFFSET
    bytes.set(heapU8.subarray(bits, bits + wordCount * 8), SKETCH_HEADER_BYTES + 8)
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): BloomFilter {
    const { payload } = openSketch(bytes, SketchFamily.BloomFilter)
    if (payload.byteLength < 8) throw new SketchFormatError(`BloomFilter: payload of ${payload.byteLength} bytes is shorter than its 8-byte preamble`)
    const wordCount = payload.getUint32(0, true)
    const hashCount = payload.getUint32(4, true)
    if (wordCount < 1 || wordCount > BLOOM_BIT_COUNT_MAX / 64) {
      throw new SketchFormatError(`BloomFilter: wordCount ${wordCount} is outside 1..${BLOOM_BIT_COUNT_MAX / 64}`)
    }
    if (hashCount < 1 || hashCount > BLOOM_HASH_COUNT_MAX) {
      throw new SketchFormatError(`BloomFilter: hashCount ${hashCount} is outside 1..${BLOOM_HASH_COUNT_MAX}`)
    }
    if (payload.byteLength !== 8 + wordCount * 8) {
      throw new SketchFormatError(`BloomFilter: payload is ${payload.byteLength} bytes but ${wordCount} words need ${8 + wordCount * 8}`)
    }
    const sized: SizedOptions = { [SIZE]: { bitCount: wordCount * 64, hashCount } }
    const filter = new BloomFilter(sized as unknown as BloomFilterOptions)
    heapU8.set(new Uint8Array(payload.buffer, payload.byteOffset + 8, wordCount * 8), filter.statePtr + BITS_OFFSET)
    return filter
  }
}
