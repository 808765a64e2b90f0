// KLL quantile sketch (Karnin, Lang & Liberty, "Optimal Quantile
// Approximation in Streams", FOCS 2016) over f64, with the lazy compaction
// schedule and level capacities popularised by Apache DataSketches, so that
// DataSketches' published error table applies.
//
// The sketch is a stack of compactors ("levels"). An item at level h stands
// for 2^h stream items. Level h may hold about k·(2/3)^(depth) items, where
// depth counts levels above it (the top level holds k), but never fewer than
// MIN_WIDTH. When the sketch is full, the lowest level at or over its
// capacity is compacted: sorted, and every other item (odd or even
// positions, by a fair coin) is promoted one level up while the rest are
// dropped. Each promoted item doubles its weight, so n = Σ size_h · 2^h stays
// exact; the coin makes every compaction's rank error zero-mean.
//
// Memory: the kernel never allocates (linear memory grows only in the JS
// side's `alloc`). The state is one block: a fixed header, then the items
// buffer. The TypeScript side resizes the block when the capacity
// C(L) = Σ_h capacity(h) rises above the buffer (the kernel reports this) and
// calls kllRebase; C(L) ≤ 3k + MIN_WIDTH·L, so memory is O(k + log n).
//
// Items buffer: levels are packed at the top end. Level h occupies
// items[levels[h] .. levels[h + 1]) and levels[L] = bufferItems; the free
// space is items[0 .. levels[0]). Level 0 is unsorted (new items go just
// below levels[0]); levels ≥ 1 are sorted ascending. Because every offset is
// relative to the block, a resized copy of the block stays valid.
//
// State layout (offsets from the state pointer, 16-byte aligned by alloc):
//   0   u32  k
//   4   u32  levelCount      L ≥ 1
//   8   u32  bufferItems     f64 slots in the items buffer
//   12  u32  capacityItems   C(L): compaction starts when this many are retained
//   16  f64  n               items seen (exact up to 2^53)
//   24  f64  min             +Infinity while empty
//   32  f64  max             −Infinity while empty
//   40  u64  rng             SplitMix64 state for the compaction coins
//   48  u32  levels[MAX_LEVELS + 1]
//   HEADER_BYTES (296)       f64 items[bufferItems]

import { nextBit, seedRandom } from './splitmix64';
import { mergeIntoTail, sortF64 } from './sorted-runs';

const K: usize = 0;
const LEVEL_COUNT: usize = 4;
const BUFFER_ITEMS: usize = 8;
const CAPACITY_ITEMS: usize = 12;
const N: usize = 16;
const MIN: usize = 24;
const MAX: usize = 32;
const RNG: usize = 40;
const LEVELS: usize = 48;

/** Enough for 2^60 · k items; the n counter (f64, exact to 2^53) runs out first. */
const MAX_LEVELS: u32 = 61;
/** Smallest level capacity (DataSketches' m): keeps low levels worth compacting. */
const MIN_WIDTH: u32 = 8;
const HEADER_BYTES: usize = LEVELS + (<usize>(MAX_LEVELS + 1) << 2);
/** Shrink factor of level capacities per level of depth (DataSketches' c). */
const CAPACITY_RATIO: f64 = 2.0 / 3.0;

/** Bytes of a state block whose items buffer has `bufferItems` slots. */
export function kllStateBytes(bufferItems: u32): u32 {
  return <u32>HEADER_BYTES + (bufferItems << 3);
}

// @ts-ignore: decorator
@inline
function itemsOf(s: usize): usize {
  return s + HEADER_BYTES;
}

export function kllMaxLevels(): u32 {
  return MAX_LEVELS;
}

// @ts-ignore: decorator
@inline
function levelAt(s: usize, h: u32): u32 {
  return load<u32>(s + LEVELS + (<usize>h << 2));
}

// @ts-ignore: decorator
@inline
function setLevelAt(s: usize, h: u32, value: u32): void {
  store<u32>(s + LEVELS + (<usize>h << 2), value);
}

// @ts-ignore: decorator
@inline
function itemAt(base: usize, i: i32): f64 {
  return load<f64>(base + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline
function setItemAt(base: usize, i: i32, value: f64): void {
  store<f64>(base + (<usize>i << 3), value);
}

// (2/3)^depth for every depth, computed once at instantiation: the compaction
// path asks for level capacities often and Math.pow is slow in Wasm.
const RATIO_POWERS: usize = memory.data(<i32>(MAX_LEVELS << 3));
for (let depth: u32 = 0; depth < MAX_LEVELS; depth++) {
  store<f64>(RATIO_POWERS + (<usize>depth << 3), Math.pow(CAPACITY_RATIO, <f64>depth));
}

// @ts-ignore: decorator
@inline
function depthCapacity(k: u32, depth: u32): u32 {
  const width = <u32>Math.floor(<f64>k * load<f64>(RATIO_POWERS + (<usize>depth << 3)) + 0.5);
  return width > MIN_WIDTH ? width : MIN_WIDTH;
}

/** C(L): the total capacity of a sketch with `levelCount` levels. */
export function kllCapacityFor(k: u32, levelCount: u32): u32 {
  let total: u32 = 0;
  for (let depth: u32 = 0; depth < levelCount; depth++) total += depthCapacity(k, depth);
  return total;
}

/** Starts an empty sketch in a block of kllStateBytes(bufferItems) bytes, bufferItems ≥ k. */
export function kllInit(s: usize, k: u32, seedLow: u32, seedHigh: u32, bufferItems: u32): void {
  assert(bufferItems >= k, 'KLL items buffer smaller than k');
  store<u32>(s, k, K);
  store<u32>(s, 1, LEVEL_COUNT);
  store<u32>(s, bufferItems, BUFFER_ITEMS);
  store<u32>(s, kllCapacityFor(k, 1), CAPACITY_ITEMS);
  store<f64>(s, 0, N);
  store<f64>(s, Infinity, MIN);
  store<f64>(s, -Infinity, MAX);
  seedRandom(s + RNG, (<u64>seedHigh << 32) | <u64>seedLow);
  setLevelAt(s, 0, bufferItems);
  setLevelAt(s, 1, bufferItems);
}

// ------------------------------------------------------------- updating

// @ts-ignore: decorator
@inline
function insert(s: usize, x: f64): bool {
  if (x < load<f64>(s, MIN)) store<f64>(s, x, MIN);
  if (x > load<f64>(s, MAX)) store<f64>(s, x, MAX);
  store<f64>(s, load<f64>(s, N) + 1.0, N);
  let free = levelAt(s, 0);
  let growthWanted = false;
  if (load<u32>(s, BUFFER_ITEMS) - free >= load<u32>(s, CAPACITY_ITEMS)) {
    compressOnce(s);
    free = levelAt(s, 0);
    growthWanted = load<u32>(s, CAPACITY_ITEMS) > load<u32>(s, BUFFER_ITEMS);
  }
  assert(free > 0, 'KLL items buffer full: the caller must grow it when asked');
  free--;
  store<f64>(itemsOf(s) + (<usize>free << 3), x);
  setLevelAt(s, 0, free);
  return growthWanted;
}

/** Adds one item (never NaN: the caller refuses it). Returns 1 when the caller must grow the buffer to kllCapacityItems. */
export function kllUpdate(s: usize, x: f64): i32 {
  return insert(s, x) ? 1 : 0;
}

/**
 * Adds up to n items from `values`. First checks all n for NaN and returns
 * −(i + 1) for the first NaN at index i without adding anything. Otherwise adds
 * items until done or until the buffer must grow, and returns how many it added.
 */
export function kllUpdateMany(s: usize, values: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const x = load<f64>(values + (<usize>i << 3));
    if (x != x) return -(i + 1);
  }
  for (let i = 0; i < n; i++) {
    if (insert(s, load<f64>(values + (<usize>i << 3)))) return i + 1;
  }
  return n;
}

export function kllNeedsGrowth(s: usize): i32 {
  return load<u32>(s, CAPACITY_ITEMS) > load<u32>(s, BUFFER_ITEMS) ? 1 : 0;
}

/**
 * Re-packs the retained items at the top of a buffer of `bufferItems` slots
 * (≥ retained). Call after the block has grown, or before it shrinks.
 */
export function kllRebase(s: usize, bufferItems: u32): void {
  const items = itemsOf(s);
  const oldBuffer = load<u32>(s, BUFFER_ITEMS);
  const first = levelAt(s, 0);
  const retained = oldBuffer - first;
  assert(bufferItems >= retained, 'KLL buffer too small for the retained items');
  const shift = <i64>bufferItems - <i64>oldBuffer;
  memory.copy(items + (<usize>(bufferItems - retained) << 3), items + (<usize>first << 3), <usize>retained << 3);
  const levelCount = load<u32>(s, LEVEL_COUNT);
  for (let h: u32 = 0; h <= levelCount; h++) setLevelAt(s, h, <u32>(<i64>levelAt(s, h) + shift));
  store<u32>(s, bufferItems, BUFFER_ITEMS);
}

function findLevelToCompact(s: usize): u32 {
  const k = load<u32>(s, K);
  const levelCount = load<u32>(s, LEVEL_COUNT);
  for (let h: u32 = 0; h < levelCount; h++) {
    const size = levelAt(s, h + 1) - levelAt(s, h);
    if (size >= depthCapacity(k, levelCount - 1 - h)) return h;
  }
  assert(false, 'KLL: no level at capacity although the sketch is full');
  return 0;
}

function addLevel(s: usize): void {
  const levelCount = load<u32>(s, LEVEL_COUNT);
  assert(levelCount < MAX_LEVELS, 'KLL: too many levels');
  setLevelAt(s, levelCount + 1, levelAt(s, levelCount));
  store<u32>(s, levelCount + 1, LEVEL_COUNT);
  store<u32>(s, kllCapacityFor(load<u32>(s, K), levelCount + 1), CAPACITY_ITEMS);
}

function compressOnce(s: usize): void {
  const h = findLevelToCompact(s);
  if (h == load<u32>(s, LEVEL_COUNT) - 1) addLevel(s);
  compactLevel(s, h);
}

/**
 * Halves level h into level h + 1. With an odd population one item stays
 * behind (level 0: the newest, which is arbitrary; higher levels: the
 * smallest). The kept half is merged with level h + 1 in place, and the levels
 * below h move up by the space freed, so free space stays at the bottom.
 */
function compactLevel(s: usize, h: u32): void {
  const items = itemsOf(s);
  const start = <i32>levelAt(s, h);
  const end = <i32>levelAt(s, h + 1);
  const endAbove = <i32>levelAt(s, h + 2);
  const odd = (end - start) & 1;
  const halvedStart = start + odd;
  const half = (end - halvedStart) >> 1;
  if (h == 0) sortF64(items + (<usize>halvedStart << 3), end - halvedStart);
  // Keep positions offset, offset + 2, ...: written downward into [halvedStart, halvedStart + half).
  const offset = <i32>nextBit(s + RNG);
  for (let j = 0; j < half; j++) setItemAt(items, halvedStart + j, itemAt(items, halvedStart + 2 * j + offset));
  // Merge forward into [end − half, endAbove): the output starts right after the kept half and the
  // write position never overtakes the read position in level h + 1.
  const newStartAbove = end - half;
  mergeIntoTail(
    items + (<usize>halvedStart << 3),
    half,
    items + (<usize>end << 3),
    endAbove - end,
    items + (<usize>newStartAbove << 3),
  );
  setLevelAt(s, h + 1, <u32>newStartAbove);
  // The left-behind item moves up next to level h + 1, before the lower levels slide over its old slot.
  if (odd) setItemAt(items, newStartAbove - 1, itemAt(items, start));
  const first = <i32>levelAt(s, 0);
  if (h > 0) memory.copy(items + (<usize>(first + half) << 3), items + (<usize>first << 3), <usize>(start - first) << 3);
  for (let j: u32 = 0; j <= h; j++) setLevelAt(s, j, levelAt(s, j) + <u32>half);
}

// ---------------------------------------------------------------- merging

/**
 * Merges sketch `source` into `target`. The caller has grown the target's
 * buffer to hold both sketches' retained items. Levels are concatenated
 * (level 0 appended, higher levels merged sorted), k becomes the smaller k,
 * then levels are compacted until the sketch fits C(L) again. Returns 1 when
 * the caller must grow the buffer to kllCapacityItems (it may also shrink it).
 */
export function kllMerge(target: usize, source: usize): i32 {
  const sourceN = load<f64>(source, N);
  if (sourceN == 0) return kllNeedsGrowth(target);
  store<f64>(target, load<f64>(target, N) + sourceN, N);
  if (load<f64>(source, MIN) < load<f64>(target, MIN)) store<f64>(target, load<f64>(source, MIN), MIN);
  if (load<f64>(source, MAX) > load<f64>(target, MAX)) store<f64>(target, load<f64>(source, MAX), MAX);

  const items = itemsOf(target);
  const sourceItems = itemsOf(source);
  const sourceLevels = load<u32>(source, LEVEL_COUNT);
  let levelCount = load<u32>(target, LEVEL_COUNT);
  if (sourceLevels > levelCount) {
    const top = levelAt(target, levelCount);
    for (let h = levelCount + 1; h <= sourceLevels; h++) setLevelAt(target, h, top);
    levelCount = sourceLevels;
    store<u32>(target, levelCount, LEVEL_COUNT);
  }
  // Source items still to place at or above level h; target level h moves down by that much.
  let sourceAtOrAbove = <i32>(load<u32>(source, BUFFER_ITEMS) - levelAt(source, 0));
  assert(<i32>levelAt(target, 0) >= sourceAtOrAbove, 'KLL merge: target buffer too small');
  for (let h: u32 = 0; h < levelCount; h++) {
    const start = <i32>levelAt(target, h);
    const end = <i32>levelAt(target, h + 1);
    const size = end - start;
    const sourceStart = h < sourceLevels ? <i32>levelAt(source, h) : 0;
    const sourceSize = h < sourceLevels ? <i32>levelAt(source, h + 1) - sourceStart : 0;
    const sourceAbove = sourceAtOrAbove - sourceSize;
    const newStart = start - sourceAtOrAbove;
    const newEnd = end - sourceAbove;
    const moved = items + (<usize>(newEnd - size) << 3);
    memory.copy(moved, items + (<usize>start << 3), <usize>size << 3);
    const from = sourceItems + (<usize>sourceStart << 3);
    if (h == 0) memory.copy(items + (<usize>newStart << 3), from, <usize>sourceSize << 3);
    else mergeIntoTail(from, sourceSize, moved, size, items + (<usize>newStart << 3));
    setLevelAt(target, h, <u32>newStart);
    sourceAtOrAbove = sourceAbove;
  }
  const targetK = load<u32>(target, K);
  const sourceK = load<u32>(source, K);
  const k = sourceK < targetK ? sourceK : targetK;
  store<u32>(target, k, K);
  store<u32>(target, kllCapacityFor(k, levelCount), CAPACITY_ITEMS);
  while (kllRetained(target) > load<u32>(target, CAPACITY_ITEMS)) compressOnce(target);
  return kllNeedsGrowth(target);
}

// ---------------------------------------------------------------- queries

export function kllRetained(s: usize): u32 {
  return load<u32>(s, BUFFER_ITEMS) - levelAt(s, 0);
}

export function kllCapacityItems(s: usize): u32 {
  return load<u32>(s, CAPACITY_ITEMS);
}

export function kllBufferItems(s: usize): u32 {
  return load<u32>(s, BUFFER_ITEMS);
}

export function kllK(s: usize): u32 {
  return load<u32>(s, K);
}

export function kllLevelCount(s: usize): u32 {
  return load<u32>(s, LEVEL_COUNT);
}

export function kllCount(s: usize): f64 {
  return load<f64>(s, N);
}

export function kllMin(s: usize): f64 {
  return load<f64>(s, N) > 0 ? load<f64>(s, MIN) : NaN;
}

export function kllMax(s: usize): f64 {
  return load<f64>(s, N) > 0 ? load<f64>(s, MAX) : NaN;
}

// k-way merge cursors, one per level: kernels run one at a time, so one static block serves all sketches.
const CURSORS: usize = memory.data(<i32>(MAX_LEVELS << 2));

/**
 * Builds the sorted view in `view` (16 bytes per retained item): the retained
 * items ascending as f64[count], then their cumulative weights (Σ 2^level of
 * the item and all before it) as f64[count]. Returns count. Sorts level 0 in
 * place first (its order carries no meaning), then merges all levels.
 */
export function kllBuildView(s: usize, view: usize): u32 {
  const retained = kllRetained(s);
  const items = itemsOf(s);
  const levelCount = load<u32>(s, LEVEL_COUNT);
  const first = levelAt(s, 0);
  sortF64(items + (<usize>first << 3), <i32>(levelAt(s, 1) - first));
  for (let h: u32 = 0; h < levelCount; h++) store<u32>(CURSORS + (<usize>h << 2), levelAt(s, h));
  const weights = view + (<usize>retained << 3);
  let cumulative: f64 = 0;
  for (let out: u32 = 0; out < retained; out++) {
    let best: u32 = 0;
    let bestItem: f64 = Infinity;
    let found = false;
    for (let h: u32 = 0; h < levelCount; h++) {
      const cursor = load<u32>(CURSORS + (<usize>h << 2));
      if (cursor < levelAt(s, h + 1)) {
        const x = itemAt(items, <i32>cursor);
        if (!found || x < bestItem) {
          best = h;
          bestItem = x;
          found = true;
        }
      }
    }
    const at = CURSORS + (<usize>best << 2);
    store<u32>(at, load<u32>(at) + 1);
    cumulative += <f64>(<u64>1 << <u64>best);
    store<f64>(view + (<usize>out << 3), bestItem);
    store<f64>(weights + (<usize>out << 3), cumulative);
  }
  return retained;
}

/** Smallest retained item whose cumulative weight reaches q·n (inclusive rank); min at q = 0, max at q = 1, NaN when empty. Needs the view kllBuildView built. */
export function kllQuantile(s: usize, view: usize, count: i32, q: f64): f64 {
  const n = load<f64>(s, N);
  if (n == 0) return NaN;
  if (q <= 0) return load<f64>(s, MIN);
  if (q >= 1) return load<f64>(s, MAX);
  const weights = view + (<usize>count << 3);
  const target = q * n;
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (itemAt(weights, mid) >= target) hi = mid;
    else lo = mid + 1;
  }
  return itemAt(view, lo);
}

/** Estimated fraction of the stream ≤ x; exact 0 below min and 1 at or above max, NaN when empty. Needs the view kllBuildView built. */
export function kllRank(s: usize, view: usize, count: i32, x: f64): f64 {
  const n = load<f64>(s, N);
  if (n == 0) return NaN;
  if (x < load<f64>(s, MIN)) return 0;
  if (x >= load<f64>(s, MAX)) return 1;
  const weights = view + (<usize>count << 3);
  // Number of view items ≤ x.
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (itemAt(view, mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo == 0 ? 0 : itemAt(weights, lo - 1) / n;
}

// ---------------------------------------------------------- serialisation

export function kllRandomLow(s: usize): u32 {
  return <u32>load<u64>(s, RNG);
}

export function kllRandomHigh(s: usize): u32 {
  return <u32>(load<u64>(s, RNG) >>> 32);
}

/** Writes u32 level sizes (level 0 first) to `sizesOut` and the retained items, level 0 first, to `itemsOut`. */
export function kllStore(s: usize, sizesOut: usize, itemsOut: usize): void {
  const levelCount = load<u32>(s, LEVEL_COUNT);
  for (let h: u32 = 0; h < levelCount; h++) store<u32>(sizesOut + (<usize>h << 2), levelAt(s, h + 1) - levelAt(s, h));
  const first = levelAt(s, 0);
  memory.copy(itemsOut, itemsOf(s) + (<usize>first << 3), <usize>kllRetained(s) << 3);
}

/**
 * Restores validated serialised contents into a freshly initialised sketch
 * whose buffer holds at least Σ sizes items.
 */
export function kllLoad(s: usize, k: u32, levelCount: u32, n: f64, min: f64, max: f64, randomLow: u32, randomHigh: u32, sizes: usize, itemsIn: usize): void {
  assert(levelCount >= 1 && levelCount <= MAX_LEVELS, 'KLL load: bad level count');
  const buffer = load<u32>(s, BUFFER_ITEMS);
  setLevelAt(s, levelCount, buffer);
  for (let h = <i32>levelCount - 1; h >= 0; h--) {
    const size = load<u32>(sizes + (<usize>h << 2));
    assert(levelAt(s, h + 1) >= size, 'KLL load: buffer too small');
    setLevelAt(s, h, levelAt(s, h + 1) - size);
  }
  const first = levelAt(s, 0);
  memory.copy(itemsOf(s) + (<usize>first << 3), itemsIn, <usize>(buffer - first) << 3);
  store<u32>(s, k, K);
  store<u32>(s, levelCount, LEVEL_COUNT);
  store<u32>(s, kllCapacityFor(k, levelCount), CAPACITY_ITEMS);
  store<f64>(s, n, N);
  store<f64>(s, n > 0 ? min : Infinity, MIN);
  store<f64>(s, n > 0 ? max : -Infinity, MAX);
  seedRandom(s + RNG, (<u64>randomHigh << 32) | <u64>randomLow);
}
