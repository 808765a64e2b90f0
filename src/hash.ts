// Public hash functions, each a thin wrapper over a core.wasm kernel.
// Single-key forms copy the key into Wasm scratch memory and make one call;
// batched forms copy a whole key batch and make one call for all of it.
import { core, heapU8, keyPtr, outputRegion, writeKey, writeKeyBatch, type KeyBatch } from './wasm/core.js'

export type { KeyBatch, PackedKeys } from './wasm/core.js'
export type HashInput = string | Uint8Array

/** Kafka's `Utils.murmur2`: a signed 32-bit integer, bit-exact with the Java client. */
export function murmur2(input: HashInput): number {
  const len = writeKey(input)
  return core.murmur2(keyPtr(), len)
}

/** Kafka's default partition for a keyed record: `(murmur2(key) & 0x7fffffff) % partitions`. */
export function defaultPartition(key: HashInput, partitions: number): number {
  checkPartitionCount(partitions)
  const len = writeKey(key)
  return core.defaultPartition(keyPtr(), len, partitions)
}

/** MurmurHash3 x86_32 as an unsigned 32-bit integer. */
export function murmur3_32(input: HashInput, seed = 0): number {
  const len = writeKey(input)
  return core.murmur3_32(keyPtr(), len, seed) >>> 0
}

/** xxHash32 as an unsigned 32-bit integer. */
export function xxhash32(input: HashInput, seed = 0): number {
  const len = writeKey(input)
  return core.xxhash32(keyPtr(), len, seed) >>> 0
}

/** xxHash64 as an unsigned 64-bit bigint. */
export function xxhash64(input: HashInput, seed: bigint | number = 0n): bigint {
  const len = writeKey(input)
  return BigInt.asUintN(64, core.xxhash64(keyPtr(), len, BigInt.asIntN(64, BigInt(seed))))
}

/** CRC-32C (Castagnoli). Pass a previous result to continue over more bytes. */
export function crc32c(input: HashInput, previous = 0): number {
  const len = writeKey(input)
  return core.crc32c(keyPtr(), len, previous) >>> 0
}

// ------------------------------------------------------------ batched forms

/** murmur2 of every key, in one call into Wasm. */
export function murmur2Batch(keys: KeyBatch): Int32Array {
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 4)
  core.murmur2Batch(batch.dataPtr, batch.offsetsPtr, batch.count, out)
  return new Int32Array(heapU8.buffer.slice(out, out + batch.count * 4))
}

/** Kafka's default partition of every key, in one call into Wasm. */
export function defaultPartitionBatch(keys: KeyBatch, partitions: number): Int32Array {
  checkPartitionCount(partitions)
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 4)
  core.defaultPartitionBatch(batch.dataPtr, batch.offsetsPtr, batch.count, partitions, out)
  return new Int32Array(heapU8.buffer.slice(out, out + batch.count * 4))
}

export function murmur3_32Batch(keys: KeyBatch, seed = 0): Uint32Array {
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 4)
  core.murmur3_32Batch(batch.dataPtr, batch.offsetsPtr, batch.count, seed, out)
  return new Uint32Array(heapU8.buffer.slice(out, out + batch.count * 4))
}

export function xxhash32Batch(keys: KeyBatch, seed = 0): Uint32Array {
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 4)
  core.xxhash32Batch(batch.dataPtr, batch.offsetsPtr, batch.count, seed, out)
  return new Uint32Array(heapU8.buffer.slice(out, out + batch.count * 4))
}

export function xxhash64Batch(keys: KeyBatch, seed: bigint | number = 0n): BigUint64Array {
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 8)
  core.xxhash64Batch(batch.dataPtr, batch.offsetsPtr, batch.count, BigInt.asIntN(64, BigInt(seed)), out)
  return new BigUint64Array(heapU8.buffer.slice(out, out + batch.count * 8))
}

export function crc32cBatch(keys: KeyBatch): Uint32Array {
  const batch = writeKeyBatch(keys)
  const out = outputRegion(batch.count, 4)
  core.crc32cBatch(batch.dataPtr, batch.offsetsPtr, batch.count, out)
  return new Uint32Array(heapU8.buffer.slice(out, out + batch.count * 4))
}

function checkPartitionCount(partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 0x7fffffff) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`)
  }
}
