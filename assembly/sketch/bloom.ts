// Bloom filter kernels on a state block the TypeScript side allocates.
//
// State layout (offsets from the state pointer, 16-byte aligned by alloc):
//   0   u32  wordCount   number of 64-bit words of bits (bitCount = 64·wordCount)
//   4   u32  hashCount   k, bits set per key
//   8   8    reserved    zero
//   16  ...  bits        wordCount·8 bytes; bit b is bit (b & 7) of byte b >> 3
//
// Positions use Kirsch–Mitzenmacher double hashing: g_i = h1 + i·h2 (mod 2^32)
// from the two halves of one xxhash64 of the key, each mapped onto [0, m) by a
// multiply-shift. k probes cost one hash.

import { batchKeyLength, batchKeyStart, keyHash, probeStep, reduceRange } from './common';

const BLOOM_BITS_OFFSET: usize = 16;

export function bloomBitsOffset(): u32 {
  return <u32>BLOOM_BITS_OFFSET;
}

export function bloomStateBytes(wordCount: u32): u32 {
  return <u32>BLOOM_BITS_OFFSET + (wordCount << 3);
}

export function bloomInit(state: usize, wordCount: u32, hashCount: u32): void {
  store<u32>(state, wordCount);
  store<u32>(state, hashCount, 4);
}

// @ts-ignore: decorator
@inline
function setBits(state: usize, hash: u64): void {
  const bitCount = (<u64>load<u32>(state)) << 6;
  const hashCount = load<u32>(state, 4);
  const bits = state + BLOOM_BITS_OFFSET;
  const step = probeStep(hash);
  let g = <u32>hash;
  for (let i: u32 = 0; i < hashCount; i++) {
    const bit = reduceRange(g, bitCount);
    const at = bits + <usize>(bit >>> 3);
    store<u8>(at, load<u8>(at) | (<u8>1 << <u8>(bit & 7)));
    g += step;
  }
}

// @ts-ignore: decorator
@inline
function testBits(state: usize, hash: u64): bool {
  const bitCount = (<u64>load<u32>(state)) << 6;
  const hashCount = load<u32>(state, 4);
  const bits = state + BLOOM_BITS_OFFSET;
  const step = probeStep(hash);
  let g = <u32>hash;
  for (let i: u32 = 0; i < hashCount; i++) {
    const bit = reduceRange(g, bitCount);
    if ((load<u8>(bits + <usize>(bit >>> 3)) & (<u8>1 << <u8>(bit & 7))) == 0) return false;
    g += step;
  }
  return true;
}

export function bloomAdd(state: usize, ptr: usize, len: i32): void {
  setBits(state, keyHash(ptr, len));
}

export function bloomHas(state: usize, ptr: usize, len: i32): bool {
  return testBits(state, keyHash(ptr, len));
}

export function bloomAddBatch(state: usize, data: usize, offsets: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    setBits(state, keyHash(data + batchKeyStart(offsets, i), batchKeyLength(offsets, i)));
  }
}

/** Writes one byte per key to `out`: 1 if the key may be present, 0 if it is certainly absent. */
export function bloomHasBatch(state: usize, data: usize, offsets: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const present = testBits(state, keyHash(data + batchKeyStart(offsets, i), batchKeyLength(offsets, i)));
    store<u8>(out + <usize>i, present ? 1 : 0);
  }
}

/** ORs `source`'s bits into `target`; the caller has checked both have the same shape. */
export function bloomMerge(target: usize, source: usize): void {
  const bytes = (<usize>load<u32>(target)) << 3;
  const to = target + BLOOM_BITS_OFFSET;
  const from = source + BLOOM_BITS_OFFSET;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(to + i, v128.or(v128.load(to + i), v128.load(from + i)));
  for (; i < bytes; i += 8) store<u64>(to + i, load<u64>(to + i) | load<u64>(from + i));
}

