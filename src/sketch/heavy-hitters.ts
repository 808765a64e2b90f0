// Heavy hitters: a Misra–Gries "hot list" of the most frequent keys.
//
// With capacity k over a stream of total count N, every reported count is a
// lower bound that misses at most `error` ≤ N/(k + 1) of the key's true count,
// and every key whose true count exceeds N/(k + 1) is reported. The counter
// table and the key bytes live in core.wasm memory (see
// assembly/sketch/heavy-hitters.ts for the layout and the amortised decrement).
import { describe, heapU8, keyPtr, ScratchRegion, writeKey, writeKeyBatch, type KeyBatch } from '../wasm/core.js'
import { beginSketch, openSketch, sealSketch, SketchFamily, SketchFormatError } from './format.js'
import { checkOptionsObject, integerOption } from './option-checks.js'
import { countError, isCount, rawKernels, WasmSketch, writeCounts } from './wasm-sketch.js'

export interface HeavyHittersOptions {
  /** k: counters kept; the error bound is N/(k + 1). 1..2^20. */
  capacity: number
}

export interface HeavyHitter {
  /** The key, as the type it was first added with (string or Uint8Array). */
  item: string | Uint8Array
  /** Lower bound on the key's count: true count ∈ [count, count + error]. */
  count: number
  /** Most the key may be undercounted by (the same for every key, ≤ total/(k + 1)). */
  error: number
}

export const HEAVY_HITTERS_CAPACITY_MAX = 2 ** 20

// Key arena bytes per capacity unit at creation; the arena doubles when a long key needs more.
const ARENA_BYTES_PER_CAPACITY = 32
const ARENA_BYTES_MIN = 256
// Counts travel to and from Wasm as f64: exact up to 2^53.
const COUNT_EXACT_MAX = Number.MAX_SAFE_INTEGER

interface HeavyHittersKernels {
  hhStateBytes(capacity: number, arenaBytes: number): number
  hhInit(state: number, capacity: number, arenaBytes: number): void
  hhSetArenaCapacity(state: number, arenaBytes: number): void
  hhArenaNeeded(state: number): number
  hhArenaUsed(state: number): number
  hhArenaCapacity(state: number): number
  hhAdd(state: number, ptr: number, len: number, count: number, isString: number): number
  hhAddBatch(state: number, data: number, offsets: number, n: number, start: number, counts: number, flags: number, allStrings: number): number
  hhMerge(target: number, source: number): void
  hhRestoreEntry(state: number, ptr: number, len: number, count: number, isString: number): number
  hhRestoreTotals(state: number, total: number, offset: number): void
  hhEntryCount(state: number): number
  hhTotal(state: number): number
  hhOffset(state: number): number
  hhEntryValue(state: number, index: number): number
  hhEntryKey(state: number, index: number): number
  hhEntryKeyLength(state: number, index: number): number
  hhEntryIsString(state: number, index: number): number
}

const wasm = rawKernels<HeavyHittersKernels>()
const { hhAdd, hhAddBatch } = wasm

const utf8 = new TextDecoder('utf-8', { fatal: true })
// One byte per key of a mixed string/Uint8Array batch: 1 = string.
const batchFlags = new ScratchRegion(1024)

export class HeavyHitters extends WasmSketch {
  /** k, the number of counters the error bound is stated for. */
  readonly capacity: number

  constructor(options: HeavyHittersOptions) {
    checkOptionsObject('HeavyHitters', options)
    const capacity = integerOption('HeavyHitters', 'capacity', options.capacity, 1, HEAVY_HITTERS_CAPACITY_MAX)
    const arenaBytes = Math.max(ARENA_BYTES_MIN, capacity * ARENA_BYTES_PER_CAPACITY)
    super(wasm.hhStateBytes(capacity, arenaBytes))
    this.capacity = capacity
    wasm.hhInit(this.statePtr, capacity, arenaBytes)
  }

  /** Adds `count` (an integer in 0..2^32 − 1) occurrences of `key`. */
  add(key: string | Uint8Array, count = 1): void {
    const statePtr = this.live()
    if (count !== 1 && !isCount(count)) throw countError('HeavyHitters.add', 'count', count)
    const len = writeKey(key)
    const isString = typeof key === 'string' ? 1 : 0
    if (hhAdd(statePtr, keyPtr(), len, count, isString) !== 0) {
      // Rare: the key arena is full. Growing it leaves the key in scratch memory untouched.
      this.growArena(wasm.hhArenaNeeded(statePtr))
      hhAdd(this.statePtr, keyPtr(), len, count, isString)
    }
  }

  /** Adds every key once, or counts[i] times for key i. */
  addMany(keys: KeyBatch, counts?: Uint32Array | readonly number[]): void {
    this.live()
    const batch = writeKeyBatch(keys)
    const countsPtr = writeCounts('HeavyHitters.addMany', counts, batch.count)
    const { flagsPtr, allStrings } = writeKeyKinds(keys, batch.count)
    let next = 0
    while ((next = hhAddBatch(this.statePtr, batch.dataPtr, batch.offsetsPtr, batch.count, next, countsPtr, flagsPtr, allStrings)) < batch.count) {
      this.growArena(wasm.hhArenaNeeded(this.statePtr))
    }
  }

  /** N: the sum of all counts added (and merged in). */
  get total(): number {
    return wasm.hhTotal(this.live())
  }

  /** The current error bound: every count undercounts by at most this (≤ total/(capacity + 1)). */
  get error(): number {
    return wasm.hhOffset(this.live())
  }

  /** The `n` keys with the largest counts, largest first (ties in insertion order). */
  top(n: number): HeavyHitter[] {
    const statePtr = this.live()
    if (typeof n !== 'number' || !(Number.isInteger(n) || n === Infinity) || n < 0) {
      throw new RangeError(`HeavyHitters.top: n must be a non-negative integer, got ${String(n)}`)
    }
    const entryCount = wasm.hhEntryCount(statePtr)
    const counts = new Float64Array(entryCount)
    const order = new Uint32Array(entryCount)
    for (let i = 0; i < entryCount; i++) {
      counts[i] = wasm.hhEntryValue(statePtr, i)
      order[i] = i
    }
    order.sort((a, b) => counts[b] - counts[a] || a - b)
    const error = wasm.hhOffset(statePtr)
    const result: HeavyHitter[] = []
    for (let r = 0; r < Math.min(n, entryCount); r++) {
      const index = order[r]
      result.push({ item: this.entryKey(statePtr, index), count: counts[index], error })
    }
    return result
  }

  /**
   * Misra–Gries merge: adds `other`'s counters and error, then subtracts the
   * (k + 1)-th largest counter and drops those ≤ 0. The result keeps the
   * N/(k + 1) bound for the joint stream. Both must have the same capacity.
   */
  merge(other: HeavyHitters): this {
    if (!(other instanceof HeavyHitters)) throw new TypeError(`HeavyHitters.merge expects a HeavyHitters, got ${describe(other)}`)
    this.live()
    const source = other.live()
    if (other.capacity !== this.capacity) {
      throw new RangeError(`HeavyHitters.merge: capacities differ (${this.capacity} vs ${other.capacity}); only sketches of the same capacity merge`)
    }
    if (other === this) {
      // The kernel reads the source while rewriting the target; give it a separate copy.
      const copy = HeavyHitters.deserialize(this.serialize())
      try {
        return this.merge(copy)
      } finally {
        copy.dispose()
      }
    }
    // Purges only shrink the arena, so this much room covers every key the merge may append.
    const arenaNeeded = wasm.hhArenaUsed(this.statePtr) + wasm.hhArenaUsed(source)
    if (arenaNeeded > wasm.hhArenaCapacity(this.statePtr)) this.growArena(arenaNeeded)
    wasm.hhMerge(this.statePtr, source)
    return this
  }

  /**
   * Payload layout (little-endian), inside the sketch envelope:
   *
   *   offset size     field
   *   0      4        capacity     u32, k (1..2^20)
   *   4      4        entryCount   u32, E ≤ 2k
   *   8      8        total        u64, N (≤ 2^53)
   *   16     8        error        u64, the Misra–Gries offset; Σ counts + (k + 1)·error ≤ N
   *   24     E × 16   entries      u64 count (≥ 1), u32 keyLength, u8 isString (0/1), 3 bytes zero
   *   ..     ...      keys         key bytes (UTF-8 for strings), in entry order
   *
   * Entries appear in table order, so a deserialised copy evolves exactly like the original.
   */
  serialize(): Uint8Array {
    const statePtr = this.live()
    const entryCount = wasm.hhEntryCount(statePtr)
    let keyBytes = 0
    for (let i = 0; i < entryCount; i++) keyBytes += wasm.hhEntryKeyLength(statePtr, i)
    const { bytes, payload } = beginSketch(SketchFamily.HeavyHitters, 24 + entryCount * 16 + keyBytes)
    payload.setUint32(0, this.capacity, true)
    payload.setUint32(4, entryCount, true)
    setUint64(payload, 8, wasm.hhTotal(statePtr))
    setUint64(payload, 16, wasm.hhOffset(statePtr))
    let keyAt = payload.byteOffset + 24 + entryCount * 16
    for (let i = 0; i < entryCount; i++) {
      const record = 24 + i * 16
      const len = wasm.hhEntryKeyLength(statePtr, i)
      setUint64(payload, record, wasm.hhEntryValue(statePtr, i))
      payload.setUint32(record + 8, len, true)
      payload.setUint8(record + 12, wasm.hhEntryIsString(statePtr, i))
      const key = wasm.hhEntryKey(statePtr, i)
      bytes.set(heapU8.subarray(key, key + len), keyAt)
      keyAt += len
    }
    return sealSketch(bytes)
  }

  static deserialize(bytes: Uint8Array): HeavyHitters {
    const { payload } = openSketch(bytes, SketchFamily.HeavyHitters)
    const fail = (why: string): never => {
      throw new SketchFormatError(`HeavyHitters: ${why}`)
    }
    if (payload.byteLength < 24) fail(`payload of ${payload.byteLength} bytes is shorter than its 24-byte preamble`)
    const capacity = payload.getUint32(0, true)
    const entryCount = payload.getUint32(4, true)
    if (capacity < 1 || capacity > HEAVY_HITTERS_CAPACITY_MAX) fail(`capacity ${capacity} is outside 1..${HEAVY_HITTERS_CAPACITY_MAX}`)
    if (entryCount > 2 * capacity) fail(`${entryCount} entries exceed the table size ${2 * capacity} for capacity ${capacity}`)
    const total = payload.getBigUint64(8, true)
    const error = payload.getBigUint64(16, true)
    if (total > BigInt(COUNT_EXACT_MAX)) fail(`total ${total} is above 2^53`)
    const keysStart = 24 + entryCount * 16
    if (payload.byteLength < keysStart) fail(`payload of ${payload.byteLength} bytes cannot hold ${entryCount} entries`)
    let counted = 0n
    let keyBytes = 0
    for (let i = 0; i < entryCount; i++) {
      const record = 24 + i * 16
      const count = payload.getBigUint64(record, true)
      if (count < 1n) fail(`entry ${i} has count 0`)
      if (payload.getUint8(record + 12) > 1) fail(`entry ${i} has isString ${payload.getUint8(record + 12)}, not 0 or 1`)
      if (payload.getUint8(record + 13) !== 0 || payload.getUint16(record + 14, true) !== 0) fail(`entry ${i} has non-zero reserved bytes`)
      counted += count
      keyBytes += payload.getUint32(record + 8, true)
    }
    if (counted + BigInt(capacity + 1) * error > total) fail(`counts (${counted}) and error (${error}) are inconsistent with the total ${total}`)
    if (payload.byteLength !== keysStart + keyBytes) fail(`payload is ${payload.byteLength} bytes but its entries need ${keysStart + keyBytes}`)

    const sketch = new HeavyHitters({ capacity })
    try {
      if (keyBytes > wasm.hhArenaCapacity(sketch.statePtr)) sketch.growArena(keyBytes)
      const statePtr = sketch.statePtr
      let keyAt = payload.byteOffset + keysStart
      for (let i = 0; i < entryCount; i++) {
        const record = 24 + i * 16
        const len = payload.getUint32(record + 8, true)
        const isString = payload.getUint8(record + 12)
        const key = new Uint8Array(payload.buffer, keyAt, len)
        keyAt += len
        if (isString === 1) {
          try {
            utf8.decode(key)
          } catch {
            fail(`entry ${i} is marked as a string but is not valid UTF-8`)
          }
        }
        const keyLength = writeKey(key)
        const status = wasm.hhRestoreEntry(statePtr, keyPtr(), keyLength, Number(payload.getBigUint64(record, true)), isString)
        if (status === -1) fail(`entry ${i} repeats an earlier key`)
        if (status !== 0) fail(`entry ${i} could not be restored (status ${status})`)
      }
      wasm.hhRestoreTotals(statePtr, Number(total), Number(error))
      return sketch
    } catch (problem) {
      sketch.dispose()
      throw problem
    }
  }

  /** Moves the state to a block whose key arena holds at least `arenaBytesNeeded` bytes (at least doubling it). */
  private growArena(arenaBytesNeeded: number): void {
    const arenaBytes = Math.max(arenaBytesNeeded, 2 * wasm.hhArenaCapacity(this.statePtr))
    const statePtr = this.resizeState(wasm.hhStateBytes(this.capacity, arenaBytes))
    wasm.hhSetArenaCapacity(statePtr, arenaBytes)
  }

  private entryKey(statePtr: number, index: number): string | Uint8Array {
    const key = wasm.hhEntryKey(statePtr, index)
    const bytes = heapU8.subarray(key, key + wasm.hhEntryKeyLength(statePtr, index))
    return wasm.hhEntryIsString(statePtr, index) === 1 ? utf8.decode(bytes) : bytes.slice()
  }
}

/** Where a batch says which keys are strings: all (allStrings 1), none (0), or per key (flagsPtr). */
function writeKeyKinds(keys: KeyBatch, count: number): { flagsPtr: number; allStrings: number } {
  if (!Array.isArray(keys)) return { flagsPtr: 0, allStrings: 0 }
  const list = keys as readonly (string | Uint8Array)[]
  let strings = 0
  for (let i = 0; i < count; i++) if (typeof list[i] === 'string') strings++
  if (strings === count) return { flagsPtr: 0, allStrings: 1 }
  if (strings === 0) return { flagsPtr: 0, allStrings: 0 }
  const flagsPtr = batchFlags.ensure(count)
  for (let i = 0; i < count; i++) heapU8[flagsPtr + i] = typeof list[i] === 'string' ? 1 : 0
  return { flagsPtr, allStrings: 0 }
}

/** Writes a non-negative integer ≤ 2^53 as a little-endian u64. */
function setUint64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value % 2 ** 32, true)
  view.setUint32(offset + 4, Math.floor(value / 2 ** 32), true)
}
