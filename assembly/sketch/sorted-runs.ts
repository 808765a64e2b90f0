// Sorting and merging f64 runs in linear memory, for the KLL compactors.
// Inputs never contain NaN (the sketch refuses it), so < is a total order.
//
// Both hot loops are branch-free in their data comparisons: KLL sorts and
// merges random data, where a compare-and-branch mispredicts about half the
// time and costs more than the work itself. Comparisons feed integer
// arithmetic (pointer advances) or i64 selects, which compile to conditional
// moves; an f64 select would compile back into a branch.

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

/**
 * Maps an f64's bits to an i64 that orders like the f64 (−0 just below +0):
 * non-negative values already do; negative ones order in reverse, so their
 * magnitude bits are flipped.
 */
// @ts-ignore: decorator
@inline
function orderKey(bits: i64): i64 {
  return bits ^ ((bits >> 63) & 0x7fffffffffffffff);
}

/** Runs this short are finished by insertion sort, which is cheapest there. */
const INSERTION_SORT_MAX: i32 = 12;

/** Sorts `count` f64 at `base` ascending: quicksort with a branch-free partition, heapsort past a depth limit. */
export function sortF64(base: usize, count: i32): void {
  if (count < 2) return;
  quickSort(base, 0, count, 2 * (32 - clz(count)));
}

/** Sorts [lo, hi). `depthLeft` bounds the recursion; past it heapsort keeps the worst case O(n log n). */
function quickSort(base: usize, lo: i32, hi: i32, depthLeft: i32): void {
  while (hi - lo > INSERTION_SORT_MAX) {
    if (depthLeft == 0) {
      heapSort(base + (<usize>lo << 3), hi - lo);
      return;
    }
    depthLeft--;
    const a = itemAt(base, lo);
    const b = itemAt(base, lo + ((hi - lo) >> 1));
    const c = itemAt(base, hi - 1);
    // Median of three; it is a value present in the range, so both sides below end up non-empty.
    const pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    let split = partitionBelow(base, lo, hi, pivot);
    if (split == lo) {
      // The pivot is the minimum: peel off everything equal to it (this keeps runs of duplicates linear).
      lo = partitionAtMost(base, lo, hi, pivot);
      continue;
    }
    // Recurse into the smaller side so the stack stays O(log n).
    if (split - lo < hi - split) {
      quickSort(base, lo, split, depthLeft);
      lo = split;
    } else {
      quickSort(base, split, hi, depthLeft);
      hi = split;
    }
  }
  insertionSort(base, lo, hi);
}

/**
 * Lomuto partition with an unconditional swap: keeps [lo, at) < pivot ≤
 * [at, i). Swapping when a[i] ≥ pivot only permutes the ≥ side, so the swap
 * needs no branch and only `at` depends on the comparison. Returns `at`.
 */
function partitionBelow(base: usize, lo: i32, hi: i32, pivot: f64): i32 {
  let at = lo;
  for (let i = lo; i < hi; i++) {
    const x = itemAt(base, i);
    setItemAt(base, i, itemAt(base, at));
    setItemAt(base, at, x);
    at += <i32>(x < pivot);
  }
  return at;
}

/** As partitionBelow, with ≤: keeps [lo, at) ≤ pivot < [at, i). */
function partitionAtMost(base: usize, lo: i32, hi: i32, pivot: f64): i32 {
  let at = lo;
  for (let i = lo; i < hi; i++) {
    const x = itemAt(base, i);
    setItemAt(base, i, itemAt(base, at));
    setItemAt(base, at, x);
    at += <i32>(x <= pivot);
  }
  return at;
}

function insertionSort(base: usize, lo: i32, hi: i32): void {
  // Each new item sinks through the sorted prefix by compare-exchanges that run
  // to the front even after the item has settled (they then change nothing):
  // more work than a classic insertion sort, but no mispredicted loop exit.
  for (let i = lo + 1; i < hi; i++) {
    let upper = load<i64>(base + (<usize>i << 3));
    for (let j = i - 1; j >= lo; j--) {
      const at = base + (<usize>j << 3);
      const lower = load<i64>(at);
      const swap = orderKey(lower) > orderKey(upper);
      store<i64>(at + 8, select<i64>(lower, upper, swap));
      upper = select<i64>(upper, lower, swap);
    }
    store<i64>(base + (<usize>lo << 3), upper);
  }
}

function heapSort(base: usize, count: i32): void {
  for (let root = (count >> 1) - 1; root >= 0; root--) siftDown(base, root, count);
  for (let end = count - 1; end > 0; end--) {
    const top = itemAt(base, 0);
    setItemAt(base, 0, itemAt(base, end));
    setItemAt(base, end, top);
    siftDown(base, 0, end);
  }
}

function siftDown(base: usize, root: i32, count: i32): void {
  while (true) {
    let child = 2 * root + 1;
    if (child >= count) return;
    if (child + 1 < count && itemAt(base, child) < itemAt(base, child + 1)) child++;
    const x = itemAt(base, root);
    const y = itemAt(base, child);
    if (x >= y) return;
    setItemAt(base, root, y);
    setItemAt(base, child, x);
    root = child;
  }
}

/**
 * Merges sorted run a (countA items, separate memory or below `out`) with
 * sorted run b (countB items) into `out`, where b sits at out + countA, the
 * tail of the output. Writing never overtakes reading: after t outputs of
 * which j came from b, the write position is countA + j − (countA − i) ≤ the
 * read position countA + j. What is left of b at the end is already in place.
 */
export function mergeIntoTail(a: usize, countA: i32, b: usize, countB: i32, out: usize): void {
  let i = 0;
  let j = 0;
  let to = 0;
  while (i < countA && j < countB) {
    const x = load<i64>(a + (<usize>i << 3));
    const y = load<i64>(b + (<usize>j << 3));
    const takeA = orderKey(x) <= orderKey(y);
    store<i64>(out + (<usize>to << 3), select<i64>(x, y, takeA));
    i += <i32>takeA;
    j += <i32>!takeA;
    to++;
  }
  while (i < countA) setItemAt(out, to++, itemAt(a, i++));
}
