// Count-Min sketch kernels on a state block the TypeScript side allocates.
//
// State layout (offsets from the state pointer, 16-byte aligned by alloc):
//   0   u32  width         counters per row
//   4   u32  depth         rows
//   8   u32  conservative  1 = conservative update, 0 = standard
//   12  4    reserved      zero
//   16  u64  total         sum of all counts added
//   24  8    reserved      zero
//   32  ...  counters      depth rows × width u64, row-major
//
// Counters are u64 so they cannot overflow in practice (each add is at most
// 2^32 − 1); estimates reach JS as f64, exact up to 2^53.
// Row i uses column reduce(h1 + i·h2) from one xxhash64 of the key
// (Kirsch–Mitzenmacher double hashing, which keeps Count-Min's bounds).

import { batchKeyLength, batchKeyStart, keyHash, probeStep, reduceRange } from './common';

const CMS_COUNTERS_OFFSET: usize = 32;

export function cmsCountersOffset(): u32 {
  return <u32>CMS_COUNTERS_OFFSET;
}

export function cmsStateBytes(width: u32, depth: u32): u32 {
  return <u32>CMS_COUNTERS_OFFSET + ((width * depth) << 3);
}

export function cmsInit(state: usize, width: u32, depth: u32, conservative: u32): void {
  store<u32>(state, width);
  store<u32>(state, depth, 4);
  store<u32>(state, conservative, 8);
}

// @ts-ignore: decorator
@inline
function addHash(state: usize, hash: u64, count: u64): void {
  const width = load<u32>(state);
  const depth = load<u32>(state, 4);
  const rowBytes = (<usize>width) << 3;
  const step = probeStep(hash);
  let at = state + CMS_COUNTERS_OFFSET;
  store<u64>(state, load<u64>(state, 16) + count, 16);
  if (load<u32>(state, 8) == 0) {
    let g = <u32>hash;
    for (let row: u32 = 0; row < depth; row++) {
      const cell = at + (<usize>reduceRange(g, width) << 3);
      store<u64>(cell, load<u64>(cell) + count);
      g += step;
      at += rowBytes;
    }
    return;
  }
  // Conservative update: raise each counter only as far as the new estimate
  // (current minimum + count) needs; never lowers a counter, so estimates stay ≥ truth.
  let g = <u32>hash;
  let smallest: u64 = U64.MAX_VALUE;
  for (let row: u32 = 0; row < depth; row++) {
    smallest = min<u64>(smallest, load<u64>(at + (<usize>reduceRange(g, width) << 3)));
    g += step;
    at += rowBytes;
  }
  const target = smallest + count;
  g = <u32>hash;
  at = state + CMS_COUNTERS_OFFSET;
  for (let row: u32 = 0; row < depth; row++) {
    const cell = at + (<usize>reduceRange(g, width) << 3);
    if (load<u64>(cell) < target) store<u64>(cell, target);
    g += step;
    at += rowBytes;
  }
}

// @ts-ignore: decorator
@inline
function estimateHash(state: usize, hash: u64): u64 {
  const width = load<u32>(state);
  const depth = load<u32>(state, 4);
  const rowBytes = (<usize>width) << 3;
  const step = probeStep(hash);
  let at = state + CMS_COUNTERS_OFFSET;
  let g = <u32>hash;
  let smallest: u64 = U64.MAX_VALUE;
  for (let row: u32 = 0; row < depth; row++) {
    smallest = min<u64>(smallest, load<u64>(at + (<usize>reduceRange(g, width) << 3)));
    g += step;
    at += rowBytes;
  }
  return smallest;
}

export function cmsAdd(state: usize, ptr: usize, len: i32, count: u32): void {
  addHash(state, keyHash(ptr, len), <u64>count);
}

/** Adds every key of a packed batch; `counts` holds one u32 per key, or is 0 to add 1 each. */
export function cmsAddBatch(state: usize, data: usize, offsets: usize, n: i32, counts: usize): void {
  for (let i = 0; i < n; i++) {
    const count: u64 = counts == 0 ? 1 : <u64>load<u32>(counts + (<usize>i << 2));
    addHash(state, keyHash(data + batchKeyStart(offsets, i), batchKeyLength(offsets, i)), count);
  }
}

export function cmsEstimate(state: usize, ptr: usize, len: i32): f64 {
  return <f64>estimateHash(state, keyHash(ptr, len));
}

/** Writes one f64 estimate per key of a packed batch to `out`. */
export function cmsEstimateBatch(state: usize, data: usize, offsets: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const estimate = estimateHash(state, keyHash(data + batchKeyStart(offsets, i), batchKeyLength(offsets, i)));
    store<f64>(out + (<usize>i << 3), <f64>estimate);
  }
}

export function cmsTotal(state: usize): f64 {
  return <f64>load<u64>(state, 16);
}

/** Adds `source`'s counters and total into `target`; the caller has checked both have the same width and depth. */
export function cmsMerge(target: usize, source: usize): void {
  const cells = (<usize>load<u32>(target)) * (<usize>load<u32>(target, 4));
  const to = target + CMS_COUNTERS_OFFSET;
  const from = source + CMS_COUNTERS_OFFSET;
  const bytes = cells << 3;
  let i: usize = 0;
  for (; i + 16 <= bytes; i += 16) v128.store(to + i, i64x2.add(v128.load(to + i), v128.load(from + i)));
  for (; i < bytes; i += 8) store<u64>(to + i, load<u64>(to + i) + load<u64>(from + i));
  store<u64>(target, load<u64>(target, 16) + load<u64>(source, 16), 16);
}

/**
 * Checks restored counters against the total (deserialisation): in standard
 * mode every row sums to exactly the total; in conservative mode to at most it.
 * Returns 0 if consistent, else 1 + the index of the first bad row.
 */
export function cmsCheckRows(state: usize): u32 {
  const width = load<u32>(state);
  const depth = load<u32>(state, 4);
  const conservative = load<u32>(state, 8) != 0;
  const total = load<u64>(state, 16);
  let at = state + CMS_COUNTERS_OFFSET;
  for (let row: u32 = 0; row < depth; row++) {
    let sum: u64 = 0;
    let overflowed = false;
    for (let column: u32 = 0; column < width; column++) {
      const before = sum;
      sum += load<u64>(at);
      if (sum < before) overflowed = true;
      at += 8;
    }
    if (overflowed || (conservative ? sum > total : sum != total)) return row + 1;
  }
  return 0;
}
