// Exponentially decaying aggregates: sum, weight ("count") and the decayed
// sum of squared deviations, so mean, variance and z-scores come out too.
// One aggregate is one 32-byte row; a keyed table is rows back to back and a
// single aggregate is a table of one row, so both share every kernel.
//
// Two decay modes, chosen by the caller's parameters:
// - per element (halfLifeMs == 0): before each new element every field is
//   multiplied by `retain` = 1 − λ, so S = Σ x_i (1 − λ)^(n − i);
// - by time (halfLifeMs > 0): an element at time t weighs 2^(−(T − t)/halfLife)
//   when read at time T. The row is kept decayed to its latest timestamp; a
//   later element first decays the row forward, an earlier (out-of-order) one
//   is added with its own weight 2^(−(latest − t)/halfLife). The result is
//   therefore the same for any arrival order.
//
// Variance uses the weighted form of West's incremental update (West 1979,
// "Updating mean and variance estimates"): adding x with weight w moves the
// mean from m to m' and adds w·(x − m)·(x − m') to M2, which stays ≥ 0 and,
// unlike Σ w x² − (Σ w x)² / Σ w, does not cancel catastrophically.
//
// Row layout (f64 each):
//   0   sum      decayed Σ w_i x_i
//   8   weight   decayed Σ w_i (the decayed count)
//   16  m2       decayed Σ w_i (x_i − mean)²
//   24  timeMs   time the row is decayed to; −Infinity until a timed element arrives

const SUM: usize = 0;
const WEIGHT: usize = 8;
const M2: usize = 16;
const TIME: usize = 24;
const ROW_BYTES: u32 = 32;

export function decayRowBytes(): u32 {
  return ROW_BYTES;
}

/** Marks rows [from, to) empty (zero sums, time −Infinity). */
export function decayClearRows(rows: usize, from: u32, to: u32): void {
  for (let i = from; i < to; i++) {
    const row = rows + (<usize>i << 5);
    store<f64>(row, 0, SUM);
    store<f64>(row, 0, WEIGHT);
    store<f64>(row, 0, M2);
    store<f64>(row, -Infinity, TIME);
  }
}

// @ts-ignore: decorator
@inline
function scaleRow(row: usize, factor: f64): void {
  store<f64>(row, load<f64>(row, SUM) * factor, SUM);
  store<f64>(row, load<f64>(row, WEIGHT) * factor, WEIGHT);
  store<f64>(row, load<f64>(row, M2) * factor, M2);
}

// @ts-ignore: decorator
@inline
function halfLifeFactor(elapsedMs: f64, halfLifeMs: f64): f64 {
  return Math.exp(-elapsedMs / halfLifeMs * Math.LN2);
}

// @ts-ignore: decorator
@inline
function pushWeighted(row: usize, x: f64, w: f64): void {
  // A very late element can weigh exactly 0; adding it must not turn 0/0 into NaN.
  if (w == 0) return;
  const sum = load<f64>(row, SUM);
  const weight = load<f64>(row, WEIGHT);
  const meanBefore = weight > 0 ? sum / weight : x;
  const sumAfter = sum + w * x;
  const weightAfter = weight + w;
  const meanAfter = sumAfter / weightAfter;
  store<f64>(row, sumAfter, SUM);
  store<f64>(row, weightAfter, WEIGHT);
  store<f64>(row, load<f64>(row, M2) + w * (x - meanBefore) * (x - meanAfter), M2);
}

// @ts-ignore: decorator
@inline
function addToRow(row: usize, x: f64, timeMs: f64, retain: f64, halfLifeMs: f64): void {
  if (halfLifeMs == 0) {
    scaleRow(row, retain);
    pushWeighted(row, x, 1.0);
    return;
  }
  const latestMs = load<f64>(row, TIME);
  if (timeMs >= latestMs) {
    // −Infinity as latest gives factor 0 on an empty row, which is harmless.
    if (timeMs > latestMs) scaleRow(row, halfLifeFactor(timeMs - latestMs, halfLifeMs));
    store<f64>(row, timeMs, TIME);
    pushWeighted(row, x, 1.0);
  } else {
    pushWeighted(row, x, halfLifeFactor(latestMs - timeMs, halfLifeMs));
  }
}

/** z-score of x against the row as it stands (before x is added); NaN without data, ±Infinity with zero variance. */
// @ts-ignore: decorator
@inline
function zScore(row: usize, x: f64): f64 {
  const weight = load<f64>(row, WEIGHT);
  if (!(weight > 0)) return NaN;
  const mean = load<f64>(row, SUM) / weight;
  return (x - mean) / Math.sqrt(load<f64>(row, M2) / weight);
}

/** Adds one element to one row. The caller has checked that x and timeMs are finite. */
export function decayAdd(row: usize, x: f64, timeMs: f64, retain: f64, halfLifeMs: f64): void {
  addToRow(row, x, timeMs, retain, halfLifeMs);
}

/**
 * Adds n elements in one call. Element i goes to row slots[i] (or row 0 when
 * `slots` is 0) at time times[i] (or `defaultTimeMs` when `times` is 0). When
 * `zOut` is non-zero, zOut[i] receives element i's z-score against its row just
 * before it was added. Everything is checked before anything changes: returns
 * n, or −(i + 1) for the first element i with a non-finite value or time or a
 * slot ≥ rowCount, in which case no row was touched.
 */
export function decayAddMany(
  rows: usize,
  rowCount: u32,
  slots: usize,
  values: usize,
  times: usize,
  n: i32,
  defaultTimeMs: f64,
  retain: f64,
  halfLifeMs: f64,
  zOut: usize,
): i32 {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const x = load<f64>(values + at);
    if (!isFinite(x)) return -(i + 1);
    if (times != 0 && !isFinite(load<f64>(times + at))) return -(i + 1);
    if (slots != 0 && load<u32>(slots + (<usize>i << 2)) >= rowCount) return -(i + 1);
  }
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const slot = slots != 0 ? load<u32>(slots + (<usize>i << 2)) : 0;
    const row = rows + (<usize>slot << 5);
    const x = load<f64>(values + at);
    if (zOut != 0) store<f64>(zOut + at, zScore(row, x));
    addToRow(row, x, times != 0 ? load<f64>(times + at) : defaultTimeMs, retain, halfLifeMs);
  }
  return n;
}

/**
 * Merges source rows into target rows: source row i into target row map[i]
 * (or row i when `map` is 0). In time mode both are first decayed to the later
 * of their two times, which makes the merge exact. In per-element mode the two
 * streams are taken as independent sub-streams, each decayed by its own
 * elements, and their sums are added. Means and M2 combine by Chan et al.'s
 * pairwise formula.
 */
export function decayMergeRows(target: usize, source: usize, map: usize, n: u32, halfLifeMs: f64): void {
  for (let i: u32 = 0; i < n; i++) {
    const from = source + (<usize>i << 5);
    const to = target + ((map != 0 ? <usize>load<u32>(map + (<usize>i << 2)) : <usize>i) << 5);
    mergeRow(to, from, halfLifeMs);
  }
}

// @ts-ignore: decorator
@inline
function mergeRow(to: usize, from: usize, halfLifeMs: f64): void {
  let sumFrom = load<f64>(from, SUM);
  let weightFrom = load<f64>(from, WEIGHT);
  let m2From = load<f64>(from, M2);
  if (halfLifeMs > 0) {
    const timeTo = load<f64>(to, TIME);
    const timeFrom = load<f64>(from, TIME);
    if (timeFrom > timeTo) {
      if (timeTo > -Infinity) scaleRow(to, halfLifeFactor(timeFrom - timeTo, halfLifeMs));
      store<f64>(to, timeFrom, TIME);
    } else if (timeFrom < timeTo && timeFrom > -Infinity) {
      const factor = halfLifeFactor(timeTo - timeFrom, halfLifeMs);
      sumFrom *= factor;
      weightFrom *= factor;
      m2From *= factor;
    }
  }
  const sumTo = load<f64>(to, SUM);
  const weightTo = load<f64>(to, WEIGHT);
  const weight = weightTo + weightFrom;
  let m2 = load<f64>(to, M2) + m2From;
  if (weightTo > 0 && weightFrom > 0) {
    const delta = sumFrom / weightFrom - sumTo / weightTo;
    m2 += delta * delta * (weightTo * weightFrom / weight);
  }
  store<f64>(to, sumTo + sumFrom, SUM);
  store<f64>(to, weight, WEIGHT);
  store<f64>(to, m2, M2);
}
