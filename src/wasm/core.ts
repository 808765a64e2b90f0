// The one place that knows core.wasm's exports and memory layout.
// Everything in src/ that talks to core.wasm goes through this module.
//
// Memory rule: linear memory only grows inside `alloc`, so the byte view is
// refreshed there and nowhere else (kernels never allocate).
import { wasmBase64 } from './generated/core.js'
import { instantiateEmbedded } from './load.js'

export interface CoreExports extends Record<string, unknown> {
  alloc(size: number): number
  dealloc(ptr: number): void
  murmur2(ptr: number, len: number): number
  defaultPartition(ptr: number, len: number, partitions: number): number
  murmur2Batch(data: number, offsets: number, n: number, out: number): void
  defaultPartitionBatch(data: number, offsets: number, n: number, partitions: number, out: number): void
  murmur3_32(ptr: number, len: number, seed: number): number
  murmur3_32Batch(data: number, offsets: number, n: number, seed: number, out: number): void
  xxhash32(ptr: number, len: number, seed: number): number
  xxhash32Batch(data: number, offsets: number, n: number, seed: number, out: number): void
  xxhash64(ptr: number, len: number, seed: bigint): bigint
  xxhash64Batch(data: number, offsets: number, n: number, seed: bigint, out: number): void
  crc32c(ptr: number, len: number, previous: number): number
  crc32cBatch(data: number, offsets: number, n: number, out: number): void
}

export const core = await instantiateEmbedded<CoreExports>(wasmBase64)

/** Byte view of core.wasm's memory; replaced whenever `wasmAlloc` grows memory. */
export let heapU8 = new Uint8Array(core.memory.buffer)

export function wasmAlloc(size: number): number {
  const ptr = core.alloc(size) >>> 0
  if (heapU8.buffer !== core.memory.buffer) heapU8 = new Uint8Array(core.memory.buffer)
  return ptr
}

export function wasmFree(ptr: number): void {
  core.dealloc(ptr)
}

/** A reusable block of Wasm memory that grows (never shrinks) on demand. */
export class ScratchRegion {
  ptr = 0
  capacity = 0
  constructor(initialBytes: number) {
    this.ensure(initialBytes)
  }

  /** Makes room for `bytes` and returns the start; earlier contents are not kept. */
  ensure(bytes: number): number {
    if (bytes > this.capacity) {
      if (this.ptr !== 0) wasmFree(this.ptr)
      const capacity = Math.max(bytes, this.capacity * 2, 64)
      this.ptr = wasmAlloc(capacity)
      this.capacity = capacity
    }
    return this.ptr
  }
}

const utf8 = new TextEncoder()
const keyScratch = new ScratchRegion(4096)

/** Encodes a string into Wasm memory at `ptr`; returns its UTF-8 byte length. `ptr` must have 3 × length bytes. */
export function encodeStringAt(key: string, ptr: number): number {
  const n = key.length
  const u8 = heapU8
  // ASCII fast path: short keys are the common case and a loop beats encodeInto's call overhead.
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i)
    if (c >= 0x80) return i + utf8.encodeInto(key.slice(i), u8.subarray(ptr + i, ptr + 3 * n)).written
    u8[ptr + i] = c
  }
  return n
}

/**
 * Writes one key into the shared key scratch region and returns its byte length;
 * the bytes start at `keyScratch.ptr`. Valid until the next call.
 */
export function writeKey(key: string | Uint8Array): number {
  if (typeof key === 'string') {
    const ptr = key.length * 3 > keyScratch.capacity ? keyScratch.ensure(key.length * 3) : keyScratch.ptr
    return encodeStringAt(key, ptr)
  }
  if (!(key instanceof Uint8Array)) throw new TypeError(`key must be a string or Uint8Array, got ${describe(key)}`)
  const ptr = key.length > keyScratch.capacity ? keyScratch.ensure(key.length) : keyScratch.ptr
  heapU8.set(key, ptr)
  return key.length
}

export function keyPtr(): number {
  return keyScratch.ptr
}

/** Keys packed back to back: key i is bytes[offsets[i] .. offsets[i + 1]). */
export interface PackedKeys {
  bytes: Uint8Array
  offsets: Uint32Array
}

export type KeyBatch = readonly (string | Uint8Array)[] | PackedKeys

const batchData = new ScratchRegion(64 * 1024)
const batchOffsets = new ScratchRegion(4 * 1024)

/** Where a key batch sits in Wasm memory after `writeKeyBatch`. */
export interface WasmKeyBatch {
  dataPtr: number
  offsetsPtr: number
  count: number
}

/** Copies a key batch into Wasm memory (one region for bytes, one for n + 1 u32 offsets). */
export function writeKeyBatch(keys: KeyBatch): WasmKeyBatch {
  if (Array.isArray(keys)) return writeKeyArray(keys as readonly (string | Uint8Array)[])
  const packed = keys as PackedKeys
  if (!(packed.bytes instanceof Uint8Array) || !(packed.offsets instanceof Uint32Array)) {
    throw new TypeError('a packed key batch needs bytes: Uint8Array and offsets: Uint32Array')
  }
  const count = packed.offsets.length - 1
  if (count < 0) throw new RangeError('packed key batch: offsets must hold n + 1 entries (it is empty)')
  if (packed.offsets[count] > packed.bytes.length) {
    throw new RangeError(`packed key batch: last offset ${packed.offsets[count]} is past the end of bytes (${packed.bytes.length})`)
  }
  for (let i = 0; i < count; i++) {
    if (packed.offsets[i] > packed.offsets[i + 1]) throw new RangeError(`packed key batch: offsets[${i}] > offsets[${i + 1}]`)
  }
  const dataPtr = batchData.ensure(packed.bytes.length)
  const offsetsPtr = batchOffsets.ensure(packed.offsets.byteLength)
  heapU8.set(packed.bytes, dataPtr)
  heapU8.set(new Uint8Array(packed.offsets.buffer, packed.offsets.byteOffset, packed.offsets.byteLength), offsetsPtr)
  return { dataPtr, offsetsPtr, count }
}

/**
 * Arrays of at least this many strings are first tried as one joined string
 * with one `encodeInto`: for ASCII keys that is ~3× faster than a per-char loop,
 * and below it the join costs more than it saves.
 */
const JOINED_ENCODE_KEYS_MIN = 8

function writeKeyArray(keys: readonly (string | Uint8Array)[]): WasmKeyBatch {
  const count = keys.length
  let bound = 0
  let charCount = 0
  let allStrings = true
  for (let i = 0; i < count; i++) {
    const key = keys[i]
    if (typeof key === 'string') charCount += key.length
    else {
      allStrings = false
      bound += key.length
    }
  }
  bound += charCount * 3
  const offsetsPtr = batchOffsets.ensure((count + 1) * 4)
  const dataPtr = batchData.ensure(bound)
  const offsets = new Uint32Array(heapU8.buffer, offsetsPtr, count + 1)
  if (allStrings && count >= JOINED_ENCODE_KEYS_MIN && writeAsciiKeys(keys as readonly string[], charCount, dataPtr, offsets)) {
    return { dataPtr, offsetsPtr, count }
  }
  let at = 0
  for (let i = 0; i < count; i++) {
    offsets[i] = at
    const key = keys[i]
    if (typeof key === 'string') at += encodeStringAt(key, dataPtr + at)
    else if (key instanceof Uint8Array) {
      heapU8.set(key, dataPtr + at)
      at += key.length
    } else throw new TypeError(`key ${i} must be a string or Uint8Array, got ${describe(key)}`)
  }
  offsets[count] = at
  return { dataPtr, offsetsPtr, count }
}

/**
 * Joined strings are encoded this many keys at a time: V8 flattens a joined
 * string before encoding, and past a few thousand keys that flattening costs
 * more per key than the join saves (measured: 19 ns/key at 4k keys, 155 at 64k).
 */
const JOINED_ENCODE_CHUNK_KEYS = 2048

/**
 * Encodes string keys back to back, one `encodeInto` per chunk of keys. UTF-8
 * spends one byte per UTF-16 unit only on ASCII, so `written === chunk chars`
 * proves every key of the chunk is ASCII and its byte offsets are its char
 * offsets; otherwise returns false and the caller re-encodes key by key.
 */
function writeAsciiKeys(keys: readonly string[], charCount: number, dataPtr: number, offsets: Uint32Array): boolean {
  let at = 0
  for (let first = 0; first < keys.length; first += JOINED_ENCODE_CHUNK_KEYS) {
    const last = Math.min(keys.length, first + JOINED_ENCODE_CHUNK_KEYS)
    let chunkChars = 0
    for (let i = first; i < last; i++) {
      offsets[i] = at + chunkChars
      chunkChars += keys[i].length
    }
    const chunk = first === 0 && last === keys.length ? keys.join('') : keys.slice(first, last).join('')
    const { written } = utf8.encodeInto(chunk, heapU8.subarray(dataPtr + at, dataPtr + charCount * 3))
    if (written !== chunkChars) return false
    at += chunkChars
  }
  offsets[keys.length] = at
  return true
}

const batchOut = new ScratchRegion(8 * 1024)

/** An output region for a batched kernel: `count` results of `bytesEach`. */
export function outputRegion(count: number, bytesEach: number): number {
  return batchOut.ensure(Math.max(count * bytesEach, 8))
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? (value as object).constructor?.name ?? 'an object' : typeof value
}
