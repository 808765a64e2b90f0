// Helpers shared by the hash-based sketch kernels (Bloom, HyperLogLog,
// Count-Min, heavy hitters). Every sketch derives all of its positions from
// ONE 64-bit xxhash64 of the key, computed here in Wasm, so a key crosses the
// JS↔Wasm boundary as bytes exactly once.

import { xxhash64Inline } from '../hash';

/** Seed of the one xxhash64 every sketch kernel takes of a key. Part of the serialised format: changing it needs a new format version. */
export const SKETCH_HASH_SEED: u64 = 0;

// @ts-ignore: decorator
@inline
export function keyHash(ptr: usize, len: i32): u64 {
  return xxhash64Inline(ptr, len, SKETCH_HASH_SEED);
}

/** Start of key i in a packed batch (offsets are n + 1 u32 values). */
// @ts-ignore: decorator
@inline
export function batchKeyStart(offsets: usize, i: i32): u32 {
  return load<u32>(offsets + (<usize>i << 2));
}

/** Byte length of key i in a packed batch. */
// @ts-ignore: decorator
@inline
export function batchKeyLength(offsets: usize, i: i32): i32 {
  return <i32>(load<u32>(offsets + (<usize>(i + 1) << 2)) - load<u32>(offsets + (<usize>i << 2)));
}

/**
 * Maps a 32-bit value onto [0, range) with one multiply instead of a division
 * (Lemire's "fastrange"); uniform when `x` is. `range` may be up to 2^32.
 */
// @ts-ignore: decorator
@inline
export function reduceRange(x: u32, range: u64): u64 {
  return (<u64>x * range) >>> 32;
}

/**
 * Second hash of the Kirsch–Mitzenmacher pair g_i = h1 + i·h2 (mod 2^32),
 * taken from the high half of the key hash. Forced odd so that the probes of
 * one key never collapse onto a single value.
 */
// @ts-ignore: decorator
@inline
export function probeStep(hash: u64): u32 {
  return (<u32>(hash >>> 32)) | 1;
}
