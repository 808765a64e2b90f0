// ReservoirSampler: a uniform random sample of fixed size from a stream of
// any JS values. The items stay in a JS array (they are JS values); the random
// decisions come from core.wasm (Algorithm L, see assembly/sketch/reservoir.ts)
// in batches: between takes `add` only counts down a skip in JS, so Wasm is
// called once per *taken* item, about size · (1 + ln(n / size)) times over n
// items; `addMany` asks for all of a batch's (position → slot) takes at once.
import { describe, ScratchRegion } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError, SKETCH_HEADER_BYTES } from './format.js'
import { heapF64, heapU32 } from './heap-views.js'
import { checkOptionsObject, integerOption } from './option-checks.js'
import { seedOption } from './seed.js'
import { rawKernels, WasmSketch } from './wasm-sketch.js'

export interface ReservoirSamplerOptions {
  /** How many items the sample holds once the stream is long enough (1..RESERVOIR_SIZE_MAX). */
  size: number
  /** Seed of the sampler's random stream; equal seeds and inputs give equal samples. Random when omitted. */
  seed?: number
}

/** Largest sample: a merge plans over two samples with u32 indices in one scratch block. */
export const RESERVOIR_SIZE_MAX = 2 ** 24
/** Takes planned per Wasm call in addMany; a batch with more takes resumes in further calls. */
const PLAN_PAIRS_MAX = 4096

interface ReservoirKernels {
  reservoirStateBytes(): number
  reservoirSkipOffset(): number
  reservoirInit(state: number, size: number, seedLow: number, seedHigh: number): void
  reservoirTake(state: number): number
  reservoirPlan(state: number, skip: number, batchLen: number, start: number, out: number, outCapacity: number): number
  reservoirMergePlan(state: number, seenA: number, lengthA: number, seenB: number, lengthB: number, outSize: number, scratch: number): number
  reservoirRestart(state: number, seen: number): void
  reservoirThreshold(state: number): number
  reservoirRandomLow(state: number): number
  reservoirRandomHigh(state: number): number
  reservoirLoad(state: number, size: number, threshold: number, skip: number, randomLow: number, randomHigh: number): void
}

const kernels = rawKernels<ReservoirKernels>()
const { reservoirTake, reservoirPlan } = kernels
const STATE_BYTES = kernels.reservoirStateBytes()
const SKIP_OFFSET = kernels.reservoirSkipOffset()
const planScratch = new ScratchRegion(PLAN_PAIRS_MAX * 8)
const mergeScratch = new ScratchRegion(4 * 1024)
const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

// Lets deserialize() build a sampler without drawing a seed it will overwrite.
const RESTORE = Symbol('ReservoirSampler.restore')

export class ReservoirSampler<T> extends WasmSketch {
  /** Capacity of the sample. */
  readonly size: number
  private items: T[] = []
  private seenCount = 0
  /** Items still to pass over before the next take; authoritative here, handed to Wasm per batch. */
  private skip: number

  constructor(options: ReservoirSamplerOptions) {
    const owner = 'ReservoirSampler'
    checkOptionsObject(owner, options)
    const size = integerOption(owner, 'size', options.size, 1, RESERVOIR_SIZE_MAX)
    const seed = (options as { [RESTORE]?: true })[RESTORE] ? { low: 0, high: 0 } : seedOption(owner, options.seed)
    super(STATE_BYTES)
    this.size = size
    kernels.reservoirInit(this.statePtr, size, seed.low, seed.high)
    this.skip = readSkip(this.statePtr)
  }

  /** Items offered so far (including those merged in). */
  get seen(): number {
    return this.seenCount
  }

  /** Offers one item; the sample keeps it with probability size / seen. */
  add(item: T): void {
    const state = this.live()
    this.seenCount++
    if (this.items.length < this.size) this.items.push(item)
    else if (this.skip > 0) this.skip--
    else {
      this.items[reservoirTake(state)] = item
      this.skip = readSkip(state)
    }
  }

  /** Offers a batch; equivalent to add() on each item in order (the same seed gives the same sample), with one Wasm call per batch. */
  addMany(items: readonly T[]): void {
    const state = this.live()
    if (!Array.isArray(items)) throw new TypeError(`ReservoirSampler.addMany expects an array, got ${describe(items)}`)
    const count = items.length
    let position = 0
    while (position < count && this.items.length < this.size) this.items.push(items[position++])
    this.seenCount += count
    if (position === count) return
    const out = planScratch.ensure(PLAN_PAIRS_MAX * 8)
    let skip = this.skip
    for (;;) {
      const taken = reservoirPlan(state, skip, count, position, out, PLAN_PAIRS_MAX)
      const pairs = heapU32()
      const first = out >>> 2
      for (let i = 0; i < taken; i++) this.items[pairs[first + 2 * i + 1]] = items[pairs[first + 2 * i]]
      skip = readSkip(state)
      if (taken < PLAN_PAIRS_MAX) break
      position = pairs[first + 2 * (taken - 1)] + 1
    }
    this.skip = skip
  }

  /** A copy of the current sample: min(seen, size) items, in no meaningful order. */
  sample(): T[] {
    this.live()
    return this.items.slice()
  }

  /**
   * Folds `other` in: afterwards this is a uniform sample of both streams
   * together, as if every item of both had been offered here, and `seen` is
   * their sum. Weighted merge: each of the min(size, seen) picks comes from
   * this side or the other with probability proportional to how many of that
   * side's stream items are not yet represented among the picks (so the split
   * is hypergeometric), and within a side it is a uniform unpicked item of that
   * side's sample. Both samplers must have the same size; `other` is unchanged.
   */
  merge(other: ReservoirSampler<T>): this {
    const state = this.live()
    if (!(other instanceof ReservoirSampler)) throw new TypeError(`ReservoirSampler.merge expects a ReservoirSampler, got ${describe(other)}`)
    other.live()
    if (other === this) throw new RangeError('ReservoirSampler.merge: cannot merge a sampler into itself')
    if (other.size !== this.size) {
      throw new RangeError(`ReservoirSampler.merge: size differs (${this.size} here, ${other.size} in the other); only samplers of the same size merge`)
    }
    const seen = this.seenCount + other.seenCount
    const mine = this.items
    const theirs = other.items
    const outSize = Math.min(this.size, seen)
    const scratch = mergeScratch.ensure(Math.max(4, (mine.length + theirs.length) * 4))
    const fromMine = kernels.reservoirMergePlan(state, this.seenCount, mine.length, other.seenCount, theirs.length, outSize, scratch)
    const indices = heapU32()
    const first = scratch >>> 2
    const merged: T[] = new Array(outSize)
    for (let i = 0; i < fromMine; i++) merged[i] = mine[indices[first + i]]
    for (let i = fromMine; i < outSize; i++) merged[i] = theirs[indices[first + mine.length + i - fromMine]]
    this.items = merged
    this.seenCount = seen
    // A full reservoir continues from a fresh threshold for `seen` items; a filling one keeps its pending one.
    if (seen >= this.size) {
      kernels.reservoirRestart(state, seen)
      this.skip = readSkip(state)
    }
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope:
   *
   *   offset size  field
   *   0      4     size         u32, 1..2^24
   *   4      4     itemCount    u32, = min(seen, size)
   *   8      8     seen         f64, an integer ≥ 0
   *   16     8     threshold    f64, Algorithm L's W, in [0, 1)
   *   24     8     skip         f64, an integer ≥ 0 or +Infinity
   *   32     4     randomLow    u32, low half of the generator state
   *   36     4     randomHigh   u32, high half
   *   40     4     jsonBytes    u32, length of the JSON below
   *   44     ...   items        UTF-8 JSON array of itemCount items
   *
   * Items go through JSON, so they must be JSON values: undefined, functions,
   * symbols, bigints and cycles are refused; like JSON.stringify, nested
   * objects lose prototypes and Dates become strings.
   */
  serialize(): Uint8Array {
    const state = this.live()
    const json = utf8Encoder.encode(itemsToJson(this.items))
    const { bytes, payload } = beginSketch(SketchFamily.ReservoirSampler, PREAMBLE_BYTES + json.length)
    payload.setUint32(0, this.size, true)
    payload.setUint32(4, this.items.length, true)
    payload.setFloat64(8, this.seenCount, true)
    payload.setFloat64(16, kernels.reservoirThreshold(state), true)
    payload.setFloat64(24, this.skip, true)
    payload.setUint32(32, kernels.reservoirRandomLow(state), true)
    payload.setUint32(36, kernels.reservoirRandomHigh(state), true)
    payload.setUint32(40, json.length, true)
    bytes.set(json, SKETCH_HEADER_BYTES + PREAMBLE_BYTES)
    return sealSketch(bytes)
  }

  static deserialize<T = unknown>(bytes: Uint8Array): ReservoirSampler<T> {
    const { payload } = openSketch(bytes, SketchFamily.ReservoirSampler)
    const fail = (why: string) => new SketchFormatError(`ReservoirSampler: ${why}`)
    if (payload.byteLength < PREAMBLE_BYTES) throw fail(`payload of ${payload.byteLength} bytes is shorter than its ${PREAMBLE_BYTES}-byte preamble`)
    const size = payload.getUint32(0, true)
    const itemCount = payload.getUint32(4, true)
    const seen = payload.getFloat64(8, true)
    const threshold = payload.getFloat64(16, true)
    const skip = payload.getFloat64(24, true)
    const jsonBytes = payload.getUint32(40, true)
    if (size < 1 || size > RESERVOIR_SIZE_MAX) throw fail(`size ${size} is outside 1..${RESERVOIR_SIZE_MAX}`)
    if (!Number.isSafeInteger(seen) || seen < 0) throw fail(`seen ${seen} is not a count`)
    if (itemCount !== Math.min(seen, size)) throw fail(`holds ${itemCount} items, but a sampler of size ${size} that saw ${seen} holds ${Math.min(seen, size)}`)
    if (!(threshold >= 0 && threshold < 1)) throw fail(`threshold ${threshold} is outside [0, 1)`)
    if (!(skip >= 0) || (skip !== Infinity && !Number.isInteger(skip))) throw fail(`skip ${skip} is not a count`)
    if (jsonBytes !== payload.byteLength - PREAMBLE_BYTES) {
      throw fail(`says ${jsonBytes} bytes of items but ${payload.byteLength - PREAMBLE_BYTES} follow`)
    }
    let items: unknown
    try {
      items = JSON.parse(utf8Decoder.decode(new Uint8Array(payload.buffer, payload.byteOffset + PREAMBLE_BYTES, jsonBytes)))
    } catch (error) {
      throw fail(`items are not valid UTF-8 JSON (${(error as Error).message})`)
    }
    if (!Array.isArray(items) || items.length !== itemCount) throw fail(`items must be a JSON array of ${itemCount} items`)
    const sampler = new ReservoirSampler<T>({ size, [RESTORE]: true } as ReservoirSamplerOptions)
    kernels.reservoirLoad(sampler.statePtr, size, threshold, skip, payload.getUint32(32, true), payload.getUint32(36, true))
    sampler.items = items as T[]
    sampler.seenCount = seen
    sampler.skip = skip
    return sampler
  }
}

const PREAMBLE_BYTES = 44

function readSkip(state: number): number {
  return heapF64()[(state + SKIP_OFFSET) >>> 3]
}

function itemsToJson(items: readonly unknown[]): string {
  for (let i = 0; i < items.length; i++) {
    const kind = typeof items[i]
    if (kind === 'undefined' || kind === 'function' || kind === 'symbol' || kind === 'bigint') {
      throw new TypeError(`ReservoirSampler.serialize: item ${i} is a ${kind}, which JSON cannot carry`)
    }
  }
  try {
    return JSON.stringify(items)
  } catch (error) {
    throw new TypeError(`ReservoirSampler.serialize: items are not JSON-serialisable (${(error as Error).message})`)
  }
}
