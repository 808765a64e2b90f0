// Random decisions of the reservoir sampler. The items themselves are JS
// values and stay in a JS array; this kernel only says which stream positions
// are taken and which slot each one replaces.
//
// Algorithm L (Li, "Reservoir-sampling algorithms of time complexity
// O(n(1 + log(N/n)))", 1994). Picture every item with an independent uniform
// key; the reservoir holds the `size` items with the smallest keys and W is the
// largest key inside it. Rather than drawing a key per item, draw how many
// items pass before one beats W (a geometric skip), then the slot it evicts
// and the new W. Work is O(size · (1 + log(n / size))) random draws for n items.
//
// State layout (offsets from the state pointer, 16-byte aligned by alloc):
//   0   u64  rng    SplitMix64 state
//   8   f64  w      Algorithm L's threshold W, in (0, 1)
//   16  f64  skip   items still to pass over before the next take (may be +Infinity)
//   24  u32  size   reservoir capacity
//   28  u32  zero

import { nextBelow, nextOpenUnit, seedRandom } from './splitmix64';

const RNG: usize = 0;
const W: usize = 8;
const SKIP: usize = 16;
const SIZE: usize = 24;
const STATE_BYTES: u32 = 32;

export function reservoirStateBytes(): u32 {
  return STATE_BYTES;
}

/** Byte offset of the skip counter, which the TypeScript side reads after each take. */
export function reservoirSkipOffset(): u32 {
  return <u32>SKIP;
}

// @ts-ignore: decorator
@inline
function drawSkip(state: usize): void {
  // Items beating W arrive as a geometric process with success probability W.
  const w = load<f64>(state, W);
  store<f64>(state, Math.floor(Math.log(nextOpenUnit(state + RNG)) / Math.log1p(-w)), SKIP);
}

// @ts-ignore: decorator
@inline
function shrinkThreshold(state: usize, size: f64): void {
  // The new W is the max of `size` uniform keys below the old W: W · U^(1/size).
  store<f64>(state, load<f64>(state, W) * Math.exp(Math.log(nextOpenUnit(state + RNG)) / size), W);
}

/** Prepares W and the first skip for the moment the reservoir fills up. */
export function reservoirInit(state: usize, size: u32, seedLow: u32, seedHigh: u32): void {
  assert(size > 0, 'reservoir size must be positive');
  seedRandom(state + RNG, (<u64>seedHigh << 32) | <u64>seedLow);
  store<u32>(state, size, SIZE);
  store<f64>(state, 1.0, W);
  shrinkThreshold(state, <f64>size);
  drawSkip(state);
}

/** Takes the current item: returns the slot it replaces, then draws the next W and skip. */
export function reservoirTake(state: usize): u32 {
  const size = load<u32>(state, SIZE);
  const slot = nextBelow(state + RNG, size);
  shrinkThreshold(state, <f64>size);
  drawSkip(state);
  return slot;
}

/**
 * Plans the takes for batch positions [start, batchLen), all past the fill
 * phase, given `skip` items still to pass over. Writes (position u32, slot u32)
 * pairs to `out`, at most `outCapacity` of them, and returns how many. When it
 * stops because `out` is full, the stored skip counts from the position after
 * the last pair, so the caller resumes there.
 */
export function reservoirPlan(state: usize, skip: f64, batchLen: u32, start: u32, out: usize, outCapacity: u32): u32 {
  let position = start;
  let taken: u32 = 0;
  while (taken < outCapacity) {
    const remaining = <f64>(batchLen - position);
    if (skip >= remaining) {
      store<f64>(state, skip - remaining, SKIP);
      return taken;
    }
    position += <u32>skip;
    const slot = reservoirTake(state);
    const pair = out + (<usize>taken << 3);
    store<u32>(pair, position);
    store<u32>(pair, slot, 4);
    taken++;
    position++;
    skip = load<f64>(state, SKIP);
  }
  store<f64>(state, skip, SKIP);
  return taken;
}

/**
 * Chooses the merged sample of two reservoirs that saw `seenA` and `seenB`
 * items and hold `lengthA` = min(seenA, size) and `lengthB` items. Each of the
 * `outSize` picks comes from A with probability (A's unpicked stream weight) /
 * (both unpicked weights), i.e. the count from A is hypergeometric as if
 * `outSize` items were drawn without replacement from the union of the two
 * streams; within a side the pick is a uniform unpicked item of its sample
 * (partial Fisher–Yates). A uniform sample of each stream thus yields a
 * uniform sample of the union.
 *
 * `scratch` holds lengthA + lengthB u32: on return its first `a` entries are
 * the picked indices into A's sample and entries lengthA .. lengthA + outSize − a
 * are the picked indices into B's sample, where `a` is the return value.
 */
export function reservoirMergePlan(state: usize, seenA: f64, lengthA: u32, seenB: f64, lengthB: u32, outSize: u32, scratch: usize): u32 {
  assert(outSize <= lengthA + lengthB, 'merge asks for more items than both samples hold');
  for (let i: u32 = 0; i < lengthA; i++) store<u32>(scratch + (<usize>i << 2), i);
  const scratchB = scratch + (<usize>lengthA << 2);
  for (let i: u32 = 0; i < lengthB; i++) store<u32>(scratchB + (<usize>i << 2), i);
  let pickedA: u32 = 0;
  let pickedB: u32 = 0;
  for (let pick: u32 = 0; pick < outSize; pick++) {
    const weightA = seenA - <f64>pickedA;
    const weightB = seenB - <f64>pickedB;
    const fromA = nextOpenUnit(state + RNG) * (weightA + weightB) < weightA;
    if (fromA) {
      pickFisherYates(state, scratch, pickedA, lengthA);
      pickedA++;
    } else {
      pickFisherYates(state, scratchB, pickedB, lengthB);
      pickedB++;
    }
  }
  return pickedA;
}

// @ts-ignore: decorator
@inline
function pickFisherYates(state: usize, indices: usize, picked: u32, length: u32): void {
  assert(picked < length, 'merge drew more items from one side than its sample holds');
  const j = picked + nextBelow(state + RNG, length - picked);
  const a = indices + (<usize>picked << 2);
  const b = indices + (<usize>j << 2);
  const t = load<u32>(a);
  store<u32>(a, load<u32>(b));
  store<u32>(b, t);
}

/**
 * After a merge the sample is a uniform `size`-subset of `seen` items, so W is
 * distributed as the size-th smallest of `seen` uniforms: Beta(size, seen − size + 1),
 * drawn here as G₁ / (G₁ + G₂) from two gamma variates. Then draws a fresh skip.
 */
export function reservoirRestart(state: usize, seen: f64): void {
  const size = <f64>load<u32>(state, SIZE);
  assert(seen >= size, 'restart needs a full reservoir');
  const below = gammaVariate(state + RNG, size);
  const above = gammaVariate(state + RNG, seen - size + 1);
  store<f64>(state, below / (below + above), W);
  drawSkip(state);
}

/** Marsaglia & Tsang (2000), "A simple method for generating gamma variables"; shape ≥ 1. */
function gammaVariate(rng: usize, shape: f64): f64 {
  const d = shape - 1.0 / 3.0;
  const c = 1.0 / Math.sqrt(9.0 * d);
  while (true) {
    let x: f64 = 0;
    let v: f64 = 0;
    do {
      x = standardNormal(rng);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = nextOpenUnit(rng);
    const x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (Math.log(u) < 0.5 * x2 + d * (1.0 - v + Math.log(v))) return d * v;
  }
  return 0; // unreachable; AssemblyScript wants a return after the loop
}

// @ts-ignore: decorator
@inline
function standardNormal(rng: usize): f64 {
  // Box–Muller; one of the pair is enough here (this runs once per merge).
  const radius = Math.sqrt(-2.0 * Math.log(nextOpenUnit(rng)));
  return radius * Math.cos(2.0 * Math.PI * nextOpenUnit(rng));
}

// ---------------------------------------------------------- serialisation

export function reservoirThreshold(state: usize): f64 {
  return load<f64>(state, W);
}

export function reservoirRandomLow(state: usize): u32 {
  return <u32>load<u64>(state, RNG);
}

export function reservoirRandomHigh(state: usize): u32 {
  return <u32>(load<u64>(state, RNG) >>> 32);
}

/** Restores a serialised state exactly, random stream included. */
export function reservoirLoad(state: usize, size: u32, threshold: f64, skip: f64, randomLow: u32, randomHigh: u32): void {
  seedRandom(state + RNG, (<u64>randomHigh << 32) | <u64>randomLow);
  store<u32>(state, size, SIZE);
  store<f64>(state, threshold, W);
  store<f64>(state, skip, SKIP);
}
