// SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", 2014): a 64-bit Weyl counter passed through a bijective mixer.
// Its whole state is one u64 stored inside the sketch's own state block, so a
// sketch's random stream is serialised with it and a deserialised sketch makes
// exactly the decisions the original would have made. Statistically strong
// enough (passes BigCrush) for sampling and for KLL's compaction coins.

const GOLDEN_GAMMA: u64 = 0x9e3779b97f4a7c15;
const TWO_POW_MINUS_53: f64 = 1.1102230246251565e-16;

/** Seeds the generator at `statePtr`; equal seeds give equal streams. */
// @ts-ignore: decorator
@inline
export function seedRandom(statePtr: usize, seed: u64): void {
  store<u64>(statePtr, seed);
}

/** Next 64 uniformly random bits. */
// @ts-ignore: decorator
@inline
export function nextU64(statePtr: usize): u64 {
  const s = load<u64>(statePtr) + GOLDEN_GAMMA;
  store<u64>(statePtr, s);
  let z = s;
  z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >>> 27)) * 0x94d049bb133111eb;
  return z ^ (z >>> 31);
}

/** Uniform on the open interval (0, 1): never 0, so `Math.log` of it is finite. */
// @ts-ignore: decorator
@inline
export function nextOpenUnit(statePtr: usize): f64 {
  return (<f64>(nextU64(statePtr) >>> 11) + 0.5) * TWO_POW_MINUS_53;
}

/** Uniform integer in [0, bound) for bound ≤ 2^32; bias ≤ bound / 2^53, far below anything a test can see. */
// @ts-ignore: decorator
@inline
export function nextBelow(statePtr: usize, bound: u32): u32 {
  return <u32>(<f64>(nextU64(statePtr) >>> 11) * TWO_POW_MINUS_53 * <f64>bound);
}

/** One fair coin: 0 or 1. */
// @ts-ignore: decorator
@inline
export function nextBit(statePtr: usize): u32 {
  return <u32>(nextU64(statePtr) >>> 63);
}
