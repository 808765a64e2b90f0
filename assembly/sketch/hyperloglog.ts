// HyperLogLog kernels on a state block the TypeScript side allocates.
//
// State layout (offsets from the state pointer, 16-byte aligned by alloc):
//   0   u32  precision p (4..18); m = 2^p registers
//   4   12   reserved    zero
//   16  ...  registers   m bytes, one u8 register each, values 0..q+1 with q = 64 − p
//
// A key's 64-bit xxhash64 picks register h >>> q (its top p bits); the register
// keeps the largest rank seen, rank = (leading zeros of the remaining q bits) + 1.
//
// Estimator: Otmar Ertl's "improved raw estimator" (arXiv 1702.01284, §4.3 /
// Algorithm 6). It works on the histogram of register values, corrects both
// the small-range bias (where HLL++ uses linear counting and empirical bias
// tables) and the saturation at rank q + 1, and needs no tables. We chose it
// over HLL++'s tables because it is unbiased across the whole range with a
// dozen lines of arithmetic.

import { batchKeyLength, batchKeyStart, keyHash } from './common';

const HLL_REGISTERS_OFFSET: usize = 16;

// Histogram of register values for the estimator: q + 2 ≤ 62 buckets of u32.
const HISTOGRAM: usize = memory.data(64 * 4, 16);

export function hllRegistersOffset(): u32 {
  return <u32>HLL_REGISTERS_OFFSET;
}

export function hllStateBytes(precision: u32): u32 {
  return <u32>HLL_REGISTERS_OFFSET + (<u32>1 << precision);
}

export function hllInit(state: usize, precision: u32): void {
  store<u32>(state, precision);
}

// @ts-ignore: decorator
@inline
function addHash(state: usize, hash: u64): void {
  const precision = <u64>load<u32>(state);
  const rankBits = 64 - precision;
  const index = <usize>(hash >>> rankBits);
  // The low p bits of `rest` are zero, so clz counts only the q rank bits; an
  // all-zero remainder gives 64, clamped to q (rank q + 1).
  const rest = hash << precision;
  const zeros = min<u64>(clz<u64>(rest), rankBits);
  const rank = <u8>(zeros + 1);
  const at = state + HLL_REGISTERS_OFFSET + index;
  if (rank > load<u8>(at)) store<u8>(at, rank);
}

export function hllAdd(state: usize, ptr: usize, len: i32): void {
  addHash(state, keyHash(ptr, len));
}

export function hllAddBatch(state: usize, data: usize, offsets: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    addHash(state, keyHash(data + batchKeyStart(offsets, i), batchKeyLength(offsets, i)));
  }
}

/** Register-wise maximum of `source` into `target`; the caller has checked both have the same precision. */
export function hllMerge(target: usize, source: usize): void {
  const bytes = (<usize>1) << <usize>load<u32>(target);
  const to = target + HLL_REGISTERS_OFFSET;
  const from = source + HLL_REGISTERS_OFFSET;
  // m ≥ 16, so whole 16-byte lanes cover the registers.
  for (let i: usize = 0; i < bytes; i += 16) {
    v128.store(to + i, i8x16.max_u(v128.load(to + i), v128.load(from + i)));
  }
}

/** Largest register value any key can produce at this precision (q + 1); deserialisation checks against it. */
export function hllRankMax(precision: u32): u32 {
  return 64 - precision + 1;
}

// σ(x) = x + Σ_{k≥1} x^(2^k) · 2^(k−1): the small-range correction term.
function sigma(x: f64): f64 {
  if (x == 1.0) return Infinity;
  let y: f64 = 1.0;
  let z = x;
  let previous: f64;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

// τ(x) = (1/3)(1 − x − Σ_{k≥1} (1 − x^(2^−k))² · 2^−k): the large-range correction term.
function tau(x: f64): f64 {
  if (x == 0.0 || x == 1.0) return 0.0;
  let y: f64 = 1.0;
  let z = 1.0 - x;
  let previous: f64;
  do {
    x = Math.sqrt(x);
    previous = z;
    y *= 0.5;
    const d = 1.0 - x;
    z -= d * d * y;
  } while (z != previous);
  return z / 3.0;
}

/** Ertl's improved raw estimate of the number of distinct keys added. */
export function hllEstimate(state: usize): f64 {
  const precision = load<u32>(state);
  const q = 64 - precision;
  const registerCount = (<usize>1) << <usize>precision;
  memory.fill(HISTOGRAM, 0, 64 * 4);
  const registers = state + HLL_REGISTERS_OFFSET;
  for (let i: usize = 0; i < registerCount; i++) {
    // Registers never exceed q + 1 ≤ 61 (deserialisation checks it); the mask keeps a bad one inside the histogram.
    const at = HISTOGRAM + ((<usize>load<u8>(registers + i) & 63) << 2);
    store<u32>(at, load<u32>(at) + 1);
  }
  const m = <f64>registerCount;
  let z = m * tau(1.0 - <f64>load<u32>(HISTOGRAM + (<usize>(q + 1) << 2)) / m);
  for (let k = q; k >= 1; k--) {
    z = 0.5 * (z + <f64>load<u32>(HISTOGRAM + (<usize>k << 2)));
  }
  z += m * sigma(<f64>load<u32>(HISTOGRAM) / m);
  // α∞ = 1 / (2 ln 2), the asymptotic HLL constant.
  return (0.5 / Math.LN2) * m * m / z;
}
