// Base class for sketches whose state lives in core.wasm's linear memory.
//
// The state is one block from `wasmAlloc`, owned by exactly one JS object. It
// is freed by `dispose()`, or — as a safety net only, since GC timing is not
// guaranteed — by a FinalizationRegistry when the object is collected
// undisposed. Subclasses keep the layout of their block to themselves; this
// class only allocates, resizes, frees and guards against use after dispose.
//
// Not thread-safe: a sketch belongs to the thread (worker) that created it.
import { core, heapU8, ScratchRegion, wasmAlloc, wasmFree } from '../wasm/core.js'

/** The largest state block one sketch may own (1 GiB); keeps size arithmetic exact and a typo from exhausting memory. */
export const SKETCH_STATE_BYTES_MAX = 2 ** 30

const releaseState = new FinalizationRegistry<number>((statePtr) => wasmFree(statePtr))

export abstract class WasmSketch {
  /** Start of this sketch's state block in Wasm memory; 0 once disposed. */
  protected statePtr: number
  /** Size of the state block in bytes. */
  protected stateBytes: number

  protected constructor(stateBytes: number) {
    checkStateBytes(this.constructor.name, stateBytes)
    this.statePtr = wasmAlloc(stateBytes)
    this.stateBytes = stateBytes
    releaseState.register(this, this.statePtr, this)
  }

  /** The state pointer; throws if the sketch was disposed. Call once at the top of every method. */
  protected live(): number {
    const statePtr = this.statePtr
    if (statePtr === 0) throw new Error(`${this.constructor.name} was disposed; it cannot be used any more`)
    return statePtr
  }

  /**
   * Moves the state into a new block of `bytes`, copying the first
   * min(old, new) bytes; returns the new pointer. Layouts that use only
   * offsets relative to the state pointer survive this unchanged.
   */
  protected resizeState(bytes: number): number {
    const oldPtr = this.live()
    checkStateBytes(this.constructor.name, bytes)
    const newPtr = wasmAlloc(bytes)
    // wasmAlloc may have grown memory: read heapU8 only now.
    heapU8.copyWithin(newPtr, oldPtr, oldPtr + Math.min(bytes, this.stateBytes))
    releaseState.unregister(this)
    wasmFree(oldPtr)
    this.statePtr = newPtr
    this.stateBytes = bytes
    releaseState.register(this, newPtr, this)
    return newPtr
  }

  /** Whether `dispose()` has been called. */
  get disposed(): boolean {
    return this.statePtr === 0
  }

  /** Frees the Wasm memory now. Idempotent; any later use throws. */
  dispose(): void {
    const statePtr = this.statePtr
    if (statePtr === 0) return
    releaseState.unregister(this)
    this.statePtr = 0
    wasmFree(statePtr)
  }
}

function checkStateBytes(owner: string, bytes: number): void {
  if (!Number.isInteger(bytes) || bytes <= 0 || bytes > SKETCH_STATE_BYTES_MAX) {
    throw new RangeError(`${owner}: state of ${bytes} bytes is outside 1..${SKETCH_STATE_BYTES_MAX}`)
  }
}

/**
 * The raw Wasm functions behind core's exports. @assemblyscript/loader wraps
 * every export in a `(...args) => …` closure, which allocates an arguments
 * array per call; sketch hot paths call the originals instead. `T` lists the
 * kernels a module uses (its own interface, not CoreExports).
 */
export function rawKernels<T>(): T {
  const raw: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(core)) {
    raw[name] = typeof value === 'function' ? ((value as { original?: unknown }).original ?? value) : value
  }
  return raw as T
}

const countScratch = new ScratchRegion(4 * 1024)

/** The largest count one add may carry: counts cross into Wasm as u32. */
export const SKETCH_COUNT_MAX = 0xffffffff

/** Whether `count` is an integer in 0..SKETCH_COUNT_MAX (the check every `add(key, count)` makes). */
export function isCount(count: unknown): count is number {
  return typeof count === 'number' && (count >>> 0) === count
}

export function countError(owner: string, what: string, count: unknown): RangeError {
  return new RangeError(`${owner}: ${what} must be an integer in 0..${SKETCH_COUNT_MAX}, got ${String(count)}`)
}

/**
 * Copies per-key counts for a batched add into Wasm memory as u32 values and
 * returns their address, or 0 when `counts` is undefined (the kernels then add 1
 * per key). Valid until the next call.
 */
export function writeCounts(owner: string, counts: Uint32Array | readonly number[] | undefined, keyCount: number): number {
  if (counts === undefined) return 0
  if (!(counts instanceof Uint32Array) && !Array.isArray(counts)) {
    throw new TypeError(`${owner}: counts must be a Uint32Array or an array of numbers`)
  }
  if (counts.length !== keyCount) throw new RangeError(`${owner}: counts has ${counts.length} entries for ${keyCount} keys`)
  const countsPtr = countScratch.ensure(keyCount * 4)
  if (counts instanceof Uint32Array) {
    heapU8.set(new Uint8Array(counts.buffer, counts.byteOffset, counts.byteLength), countsPtr)
    return countsPtr
  }
  const view = new Uint32Array(heapU8.buffer, countsPtr, keyCount)
  for (let i = 0; i < keyCount; i++) {
    const count = counts[i]
    if (!isCount(count)) throw countError(owner, `counts[${i}]`, count)
    view[i] = count
  }
  return countsPtr
}
