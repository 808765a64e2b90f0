// Pane-based aggregation for tumbling and sliding event-time windows (the
// kernels behind src/stream/window/pane-aggregator.ts).
//
// Time is cut into panes of g = gcd(size, slide) ms: pane p is
// [offset + p·g, offset + (p + 1)·g). Window k is [offset + k·slide,
// offset + k·slide + size) = panes [k·r, k·r + m) with r = slide / g and
// m = size / g. A record updates exactly ONE accumulator, that of its
// (key, pane); a window's result is the merge of its panes when it fires.
// Pane and window indices are integers held in f64 (exact below 2^53); the
// TypeScript side keeps timestamps within ±2^52 so they stay exact.
//
// All memory is allocated by the TypeScript side (kernels never allocate, so
// linear memory never grows here) and every structure refers to nodes and
// keys by index, so a block can be moved by copying it. The TypeScript side
// reserves room before each call (nodes, hash, directory, outputs).
//
// State header (offsets from the state pointer; pointers are u32):
//   0   f64  g              pane length (ms)
//   8   f64  offset         window offset, 0 <= offset < slide
//   16  f64  r              slide / g
//   24  f64  m              size / g
//   32  u32  kind           0 count, 1 sum, 2 min, 3 max, 4 avg
//   36  u32  batchStamp     current batch (node.stamp == batchStamp: touched by it)
//   40  u32  nodes          node pool: NODE_BYTES each, index 0 unused
//   44  u32  nodeCap        nodes the pool holds (including index 0)
//   48  u32  nodeNext       first never-used node index
//   52  u32  nodeFree       free-list head (0: empty), linked through node.next
//   56  u32  liveNodes
//   60  u32  hash           open-addressing table of node indices (0: empty), linear probing
//   64  u32  hashMask       table size − 1 (a power of two)
//   68  u32  dir            pane directory: DIR_BYTES each, sorted by pane
//   72  u32  dirLen
//   76  u32  dirCap
//   80  u32  keys           key records: KEY_BYTES each, by key index
//   84  u32  rankToKey      u32 per rank: the key index of the rank-th key in key order
//   88  u32  windowSeq      stamp for per-window scratch in key records
//   92  u32  dirHint        last directory entry found
//   96  u32  inKey          batch input: u32 key index per row
//   100 u32  inTs           batch input: f64 timestamp per row
//   104 u32  inVal          batch input: f64 value per row (unused by count)
//   108 u32  lateOut        output: u32 row index of each late record
//   112 u32  touched        u32 node indices touched by this batch in already-fired windows
//   116 u32  touchedLen
//   120 u32  dropped        rows of the last paneApply call that fell in no window
//   124 u32  outK           output: f64 window index per row
//   128 u32  outKey         output: u32 key index per row
//   132 u32  outVal         output: f64 result per row
//   136 u32  outCap
//   140 u32  sortA          u32 scratch (capacity >= key capacity and pair capacity)
//   144 u32  sortB          u32 scratch, same capacity
//   148 u32  deadOut        output: u32 key indices whose last node was purged
//   152 u32  pairK          refire scratch: f64 window index per pair
//   156 u32  pairKey        refire scratch: u32 key index per pair
//   160 f64  resumeK        paneFire: next window to fire when it stopped early
//   168 u32  fireDone       paneFire: 1 when every window up to kTo was fired
//   172 u32  keyCap         key records allocated
//   176..256 reserved
//
// Node (NODE_BYTES = 40): pane f64, count f64, acc f64, key u32, next u32
// (pane list or free list), stamp u32 (batch that last touched it), 4 spare.
// Key record (KEY_BYTES = 40): lastPane f64 (NaN: none), scratch count f64,
// scratch acc f64, rank u32, nodes u32 (live nodes of the key), lastNode u32,
// stamp u32 (window scratch).
// Directory entry (DIR_BYTES = 16): pane f64, head u32 (node list), count u32.

const H_G: usize = 0;
const H_OFFSET: usize = 8;
const H_R: usize = 16;
const H_M: usize = 24;
const H_KIND: usize = 32;
const H_BATCH: usize = 36;
const H_NODES: usize = 40;
const H_NODE_NEXT: usize = 48;
const H_NODE_FREE: usize = 52;
const H_LIVE: usize = 56;
const H_HASH: usize = 60;
const H_HASH_MASK: usize = 64;
const H_DIR: usize = 68;
const H_DIR_LEN: usize = 72;
const H_KEYS: usize = 80;
const H_RANK_TO_KEY: usize = 84;
const H_WSEQ: usize = 88;
const H_DIR_HINT: usize = 92;
const H_IN_KEY: usize = 96;
const H_IN_TS: usize = 100;
const H_IN_VAL: usize = 104;
const H_LATE: usize = 108;
const H_TOUCHED: usize = 112;
const H_TOUCHED_LEN: usize = 116;
const H_DROPPED: usize = 120;
const H_OUT_K: usize = 124;
const H_OUT_KEY: usize = 128;
const H_OUT_VAL: usize = 132;
const H_OUT_CAP: usize = 136;
const H_SORT_A: usize = 140;
const H_SORT_B: usize = 144;
const H_DEAD: usize = 148;
const H_PAIR_K: usize = 152;
const H_PAIR_KEY: usize = 156;
const H_RESUME_K: usize = 160;
const H_FIRE_DONE: usize = 168;
const H_KEY_CAP: usize = 172;
const HEADER_BYTES: u32 = 256;

const NODE_BYTES: usize = 40;
const N_PANE: usize = 0;
const N_COUNT: usize = 8;
const N_ACC: usize = 16;
const N_KEY: usize = 24;
const N_NEXT: usize = 28;
const N_STAMP: usize = 32;

const KEY_BYTES: usize = 40;
const K_LAST_PANE: usize = 0;
const K_SCOUNT: usize = 8;
const K_SACC: usize = 16;
const K_RANK: usize = 24;
const K_NODES: usize = 28;
const K_LAST_NODE: usize = 32;
const K_STAMP: usize = 36;

const DIR_BYTES: usize = 16;
const D_PANE: usize = 0;
const D_HEAD: usize = 8;
const D_COUNT: usize = 12;

const KIND_COUNT: u32 = 0;
const KIND_MIN: u32 = 2;
const KIND_MAX: u32 = 3;
const KIND_AVG: u32 = 4;

/** Radix-sort histogram (256 u32). */
const HISTOGRAM: usize = memory.data(256 * 4, 16);

/** Layout sizes, so the TypeScript side can check it agrees: header, node, key record, directory entry. */
export function paneLayout(): u32 {
  return (HEADER_BYTES << 24) | (<u32>NODE_BYTES << 16) | (<u32>KEY_BYTES << 8) | <u32>DIR_BYTES;
}

// @ts-ignore: decorator
@inline
function ptrAt(state: usize, field: usize): usize {
  return <usize>load<u32>(state + field);
}

// @ts-ignore: decorator
@inline
function nodeAt(state: usize, node: u32): usize {
  return ptrAt(state, H_NODES) + <usize>node * NODE_BYTES;
}

// @ts-ignore: decorator
@inline
function keyAt(state: usize, key: u32): usize {
  return ptrAt(state, H_KEYS) + <usize>key * KEY_BYTES;
}

// @ts-ignore: decorator
@inline
function emptyAcc(kind: u32): f64 {
  return kind == KIND_MIN ? Infinity : kind == KIND_MAX ? -Infinity : 0.0;
}

/** Folds accumulator `x` into `a` (count's acc is unused; avg's acc is the sum). */
// @ts-ignore: decorator
@inline
function combine(kind: u32, a: f64, x: f64): f64 {
  if (kind == KIND_MIN) return x < a ? x : a;
  if (kind == KIND_MAX) return x > a ? x : a;
  return a + x;
}

// @ts-ignore: decorator
@inline
function resultOf(kind: u32, count: f64, acc: f64): f64 {
  if (kind == KIND_COUNT) return count;
  if (kind == KIND_AVG) return acc / count;
  return acc;
}

/** Slot of (key, pane) in a table of mask + 1 entries. */
// @ts-ignore: decorator
@inline
function slotOf(key: u32, pane: f64, mask: u32): u32 {
  let h = <u64>(<i64>pane) * 0x9e3779b97f4a7c15 + <u64>key * 0xc2b2ae3d27d4eb4f;
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9;
  h ^= h >> 32;
  return <u32>h & mask;
}

/** The node of (key, pane), or 0. */
function hashFind(state: usize, key: u32, pane: f64): u32 {
  const table = ptrAt(state, H_HASH);
  const mask = load<u32>(state + H_HASH_MASK);
  let slot = slotOf(key, pane, mask);
  while (true) {
    const node = load<u32>(table + (<usize>slot << 2));
    if (node == 0) return 0;
    const at = nodeAt(state, node);
    if (load<u32>(at + N_KEY) == key && load<f64>(at + N_PANE) == pane) return node;
    slot = (slot + 1) & mask;
  }
}

/** Removes `node` from the table (backward-shift deletion keeps probe runs unbroken). */
function hashRemove(state: usize, node: u32, key: u32, pane: f64): void {
  const table = ptrAt(state, H_HASH);
  const mask = load<u32>(state + H_HASH_MASK);
  let hole = slotOf(key, pane, mask);
  while (load<u32>(table + (<usize>hole << 2)) != node) hole = (hole + 1) & mask;
  let j = hole;
  while (true) {
    j = (j + 1) & mask;
    const other = load<u32>(table + (<usize>j << 2));
    if (other == 0) break;
    const at = nodeAt(state, other);
    const home = slotOf(load<u32>(at + N_KEY), load<f64>(at + N_PANE), mask);
    // `other` may fill the hole unless its home lies cyclically in (hole, j].
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      store<u32>(table + (<usize>hole << 2), other);
      hole = j;
    }
  }
  store<u32>(table + (<usize>hole << 2), 0);
}

/** First directory index whose pane is >= `pane` (dirLen if none). */
function dirLowerBound(state: usize, pane: f64): u32 {
  const dir = ptrAt(state, H_DIR);
  let lo: u32 = 0;
  let hi = load<u32>(state + H_DIR_LEN);
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (load<f64>(dir + <usize>mid * DIR_BYTES + D_PANE) < pane) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The directory entry of `pane`, inserted (in pane order) when missing. */
function dirEntry(state: usize, pane: f64): usize {
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  const hint = load<u32>(state + H_DIR_HINT);
  if (hint < len && load<f64>(dir + <usize>hint * DIR_BYTES + D_PANE) == pane) return dir + <usize>hint * DIR_BYTES;
  let at: u32;
  if (len == 0 || load<f64>(dir + <usize>(len - 1) * DIR_BYTES + D_PANE) < pane) at = len;
  else {
    at = dirLowerBound(state, pane);
    if (load<f64>(dir + <usize>at * DIR_BYTES + D_PANE) == pane) {
      store<u32>(state + H_DIR_HINT, at);
      return dir + <usize>at * DIR_BYTES;
    }
    memory.copy(dir + <usize>(at + 1) * DIR_BYTES, dir + <usize>at * DIR_BYTES, <usize>(len - at) * DIR_BYTES);
  }
  const entry = dir + <usize>at * DIR_BYTES;
  store<f64>(entry + D_PANE, pane);
  store<u32>(entry + D_HEAD, 0);
  store<u32>(entry + D_COUNT, 0);
  store<u32>(state + H_DIR_LEN, len + 1);
  store<u32>(state + H_DIR_HINT, at);
  return entry;
}

/** The node of (key, pane), created empty (and linked into its pane) when missing. */
function findOrInsert(state: usize, key: u32, pane: f64, kind: u32): u32 {
  const table = ptrAt(state, H_HASH);
  const mask = load<u32>(state + H_HASH_MASK);
  let slot = slotOf(key, pane, mask);
  while (true) {
    const found = load<u32>(table + (<usize>slot << 2));
    if (found == 0) break;
    const at = nodeAt(state, found);
    if (load<u32>(at + N_KEY) == key && load<f64>(at + N_PANE) == pane) return found;
    slot = (slot + 1) & mask;
  }
  let node = load<u32>(state + H_NODE_FREE);
  if (node != 0) store<u32>(state + H_NODE_FREE, load<u32>(nodeAt(state, node) + N_NEXT));
  else {
    node = load<u32>(state + H_NODE_NEXT);
    store<u32>(state + H_NODE_NEXT, node + 1);
  }
  const at = nodeAt(state, node);
  const entry = dirEntry(state, pane);
  store<f64>(at + N_PANE, pane);
  store<f64>(at + N_COUNT, 0.0);
  store<f64>(at + N_ACC, emptyAcc(kind));
  store<u32>(at + N_KEY, key);
  store<u32>(at + N_NEXT, load<u32>(entry + D_HEAD));
  store<u32>(at + N_STAMP, 0);
  store<u32>(entry + D_HEAD, node);
  store<u32>(entry + D_COUNT, load<u32>(entry + D_COUNT) + 1);
  store<u32>(table + (<usize>slot << 2), node);
  const record = keyAt(state, key);
  store<u32>(record + K_NODES, load<u32>(record + K_NODES) + 1);
  store<u32>(state + H_LIVE, load<u32>(state + H_LIVE) + 1);
  return node;
}

/** Starts a batch: a fresh batch stamp (clearing node stamps when it wraps) and an empty touched list. */
export function paneBeginBatch(state: usize): void {
  let stamp = load<u32>(state + H_BATCH) + 1;
  if (stamp == 0) {
    const next = load<u32>(state + H_NODE_NEXT);
    for (let node: u32 = 1; node < next; node++) store<u32>(nodeAt(state, node) + N_STAMP, 0);
    stamp = 1;
  }
  store<u32>(state + H_BATCH, stamp);
  store<u32>(state + H_TOUCHED_LEN, 0);
}

/** A fresh window stamp for the per-key scratch (clearing key stamps when it wraps). */
function nextWindowSeq(state: usize): u32 {
  let seq = load<u32>(state + H_WSEQ) + 1;
  if (seq == 0) {
    const cap = load<u32>(state + H_KEY_CAP);
    for (let key: u32 = 0; key < cap; key++) store<u32>(keyAt(state, key) + K_STAMP, 0);
    seq = 1;
  }
  store<u32>(state + H_WSEQ, seq);
  return seq;
}

/**
 * Adds `n` rows of the batch input columns. `kp`: windows k <= kp are purged
 * (late); `kf`: windows k <= kf have fired. A row in no window is dropped; a
 * row whose newest window is purged is late (its row index goes to lateOut);
 * any other row updates the one node of (key, pane). Nodes that feed an
 * already-fired, unpurged window join the touched list (once per batch).
 * Returns the number of late rows; the number dropped is left in the header.
 */
export function paneApply(state: usize, n: i32, kp: f64, kf: f64): i32 {
  const g = load<f64>(state + H_G);
  const offset = load<f64>(state + H_OFFSET);
  const r = load<f64>(state + H_R);
  const m = load<f64>(state + H_M);
  const kind = load<u32>(state + H_KIND);
  const stamp = load<u32>(state + H_BATCH);
  const keys = ptrAt(state, H_KEYS);
  const inKey = ptrAt(state, H_IN_KEY);
  const inTs = ptrAt(state, H_IN_TS);
  const inVal = ptrAt(state, H_IN_VAL);
  const lateOut = ptrAt(state, H_LATE);
  const touched = ptrAt(state, H_TOUCHED);
  let touchedLen = load<u32>(state + H_TOUCHED_LEN);
  const refire = kf > kp;
  const gaps = r > m;
  let late: i32 = 0;
  let dropped: u32 = 0;
  for (let i: i32 = 0; i < n; i++) {
    const pane = Math.floor((Math.floor(load<f64>(inTs + (<usize>i << 3))) - offset) / g);
    const newest = r == 1.0 ? pane : Math.floor(pane / r);
    if (gaps && pane - newest * r >= m) {
      dropped++;
      continue;
    }
    if (newest <= kp) {
      store<u32>(lateOut + (<usize>late << 2), <u32>i);
      late++;
      continue;
    }
    const key = load<u32>(inKey + (<usize>i << 2));
    const record = keys + <usize>key * KEY_BYTES;
    let node: u32;
    if (load<f64>(record + K_LAST_PANE) == pane) node = load<u32>(record + K_LAST_NODE);
    else {
      node = findOrInsert(state, key, pane, kind);
      store<f64>(record + K_LAST_PANE, pane);
      store<u32>(record + K_LAST_NODE, node);
    }
    const at = nodeAt(state, node);
    store<f64>(at + N_COUNT, load<f64>(at + N_COUNT) + 1.0);
    if (kind != KIND_COUNT) {
      const v = load<f64>(inVal + (<usize>i << 3));
      const acc = load<f64>(at + N_ACC);
      if (kind == KIND_MIN) {
        if (v < acc) store<f64>(at + N_ACC, v);
      } else if (kind == KIND_MAX) {
        if (v > acc) store<f64>(at + N_ACC, v);
      } else store<f64>(at + N_ACC, acc + v);
    }
    // The oldest window of the pane is floor((pane − m) / r) + 1; it has fired when <= kf.
    if (refire && Math.floor((pane - m) / r) + 1.0 <= kf && load<u32>(at + N_STAMP) != stamp) {
      store<u32>(at + N_STAMP, stamp);
      store<u32>(touched + (<usize>touchedLen << 2), node);
      touchedLen++;
    }
  }
  store<u32>(state + H_TOUCHED_LEN, touchedLen);
  store<u32>(state + H_DROPPED, dropped);
  return late;
}

/** Sorts `n` u32 at `a` ascending (`b`: scratch of n); the result is in `a`. */
function sortU32(a: usize, b: usize, n: u32, maxValue: u32): void {
  if (n < 2) return;
  if (n <= 32) {
    for (let i: u32 = 1; i < n; i++) {
      const x = load<u32>(a + (<usize>i << 2));
      let j = i;
      while (j > 0) {
        const y = load<u32>(a + (<usize>(j - 1) << 2));
        if (y <= x) break;
        store<u32>(a + (<usize>j << 2), y);
        j--;
      }
      store<u32>(a + (<usize>j << 2), x);
    }
    return;
  }
  let src = a;
  let dst = b;
  for (let shift: u32 = 0; shift < 32 && (maxValue >>> shift) != 0; shift += 8) {
    memory.fill(HISTOGRAM, 0, 256 * 4);
    for (let i: u32 = 0; i < n; i++) {
      const digit = (load<u32>(src + (<usize>i << 2)) >>> shift) & 0xff;
      const h = HISTOGRAM + (<usize>digit << 2);
      store<u32>(h, load<u32>(h) + 1);
    }
    let sum: u32 = 0;
    for (let d: usize = 0; d < 256; d++) {
      const h = HISTOGRAM + (d << 2);
      const c = load<u32>(h);
      store<u32>(h, sum);
      sum += c;
    }
    for (let i: u32 = 0; i < n; i++) {
      const x = load<u32>(src + (<usize>i << 2));
      const h = HISTOGRAM + (<usize>((x >>> shift) & 0xff) << 2);
      const to = load<u32>(h);
      store<u32>(h, to + 1);
      store<u32>(dst + (<usize>to << 2), x);
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memory.copy(a, src, <usize>n << 2);
}

/**
 * Fires windows k in [kFrom, kTo] that hold data, in k order, each window's
 * keys in key order (by rank), writing rows (k, key index, result) to the
 * output columns. Stops before a window whose rows might not fit (the
 * TypeScript side keeps outCap >= liveNodes, so each call fires at least one
 * window); then fireDone = 0 and resumeK is the window to continue from.
 * Returns the number of rows written.
 */
export function paneFire(state: usize, kFrom: f64, kTo: f64): i32 {
  const r = load<f64>(state + H_R);
  const m = load<f64>(state + H_M);
  const kind = load<u32>(state + H_KIND);
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  const keys = ptrAt(state, H_KEYS);
  const rankToKey = ptrAt(state, H_RANK_TO_KEY);
  const sortA = ptrAt(state, H_SORT_A);
  const sortB = ptrAt(state, H_SORT_B);
  const outK = ptrAt(state, H_OUT_K);
  const outKey = ptrAt(state, H_OUT_KEY);
  const outVal = ptrAt(state, H_OUT_VAL);
  const outCap = load<u32>(state + H_OUT_CAP);
  let rows: u32 = 0;
  let k = kFrom;
  let di = dirLowerBound(state, k * r);
  store<u32>(state + H_FIRE_DONE, 1);
  while (di < len) {
    const first = load<f64>(dir + <usize>di * DIR_BYTES + D_PANE);
    // Skip windows with no pane: jump to the oldest window of the next pane.
    if (first >= k * r + m) k = Math.max(k, Math.floor((first - m) / r) + 1.0);
    if (k > kTo) break;
    const end = k * r + m;
    let bound: u32 = 0;
    let e = di;
    while (e < len && load<f64>(dir + <usize>e * DIR_BYTES + D_PANE) < end) {
      bound += load<u32>(dir + <usize>e * DIR_BYTES + D_COUNT);
      e++;
    }
    if (rows > 0 && rows + bound > outCap) {
      store<u32>(state + H_FIRE_DONE, 0);
      store<f64>(state + H_RESUME_K, k);
      return <i32>rows;
    }
    const seq = nextWindowSeq(state);
    let distinct: u32 = 0;
    let maxRank: u32 = 0;
    for (let x = di; x < e; x++) {
      let node = load<u32>(dir + <usize>x * DIR_BYTES + D_HEAD);
      while (node != 0) {
        const at = nodeAt(state, node);
        const key = load<u32>(at + N_KEY);
        const record = keys + <usize>key * KEY_BYTES;
        if (load<u32>(record + K_STAMP) != seq) {
          store<u32>(record + K_STAMP, seq);
          store<f64>(record + K_SCOUNT, load<f64>(at + N_COUNT));
          store<f64>(record + K_SACC, load<f64>(at + N_ACC));
          const rank = load<u32>(record + K_RANK);
          if (rank > maxRank) maxRank = rank;
          store<u32>(sortA + (<usize>distinct << 2), rank);
          distinct++;
        } else {
          store<f64>(record + K_SCOUNT, load<f64>(record + K_SCOUNT) + load<f64>(at + N_COUNT));
          store<f64>(record + K_SACC, combine(kind, load<f64>(record + K_SACC), load<f64>(at + N_ACC)));
        }
        node = load<u32>(at + N_NEXT);
      }
    }
    sortU32(sortA, sortB, distinct, maxRank);
    for (let j: u32 = 0; j < distinct; j++) {
      const key = load<u32>(rankToKey + (<usize>load<u32>(sortA + (<usize>j << 2)) << 2));
      const record = keys + <usize>key * KEY_BYTES;
      store<f64>(outK + (<usize>rows << 3), k);
      store<u32>(outKey + (<usize>rows << 2), key);
      store<f64>(outVal + (<usize>rows << 3), resultOf(kind, load<f64>(record + K_SCOUNT), load<f64>(record + K_SACC)));
      rows++;
    }
    k += 1.0;
    const start = k * r;
    while (di < len && load<f64>(dir + <usize>di * DIR_BYTES + D_PANE) < start) di++;
  }
  return <i32>rows;
}

/**
 * Frees every pane whose windows are all purged (windows k <= kp): pane p's
 * newest window is floor(p / r), so panes p < (kp + 1)·r go. Key indices
 * whose last node goes are written to deadOut; returns how many.
 */
export function panePurge(state: usize, kp: f64): i32 {
  const limit = (kp + 1.0) * load<f64>(state + H_R);
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  const deadOut = ptrAt(state, H_DEAD);
  let dead: i32 = 0;
  let popped: u32 = 0;
  let free = load<u32>(state + H_NODE_FREE);
  let live = load<u32>(state + H_LIVE);
  while (popped < len) {
    const entry = dir + <usize>popped * DIR_BYTES;
    const pane = load<f64>(entry + D_PANE);
    if (!(pane < limit)) break;
    let node = load<u32>(entry + D_HEAD);
    while (node != 0) {
      const at = nodeAt(state, node);
      const next = load<u32>(at + N_NEXT);
      const key = load<u32>(at + N_KEY);
      hashRemove(state, node, key, pane);
      const record = keyAt(state, key);
      if (load<u32>(record + K_LAST_NODE) == node) store<f64>(record + K_LAST_PANE, NaN);
      const remaining = load<u32>(record + K_NODES) - 1;
      store<u32>(record + K_NODES, remaining);
      if (remaining == 0) {
        store<u32>(deadOut + (<usize>dead << 2), key);
        dead++;
      }
      store<u32>(at + N_NEXT, free);
      free = node;
      live--;
      node = next;
    }
    popped++;
  }
  if (popped > 0) {
    memory.copy(dir, dir + <usize>popped * DIR_BYTES, <usize>(len - popped) * DIR_BYTES);
    store<u32>(state + H_DIR_LEN, len - popped);
    store<u32>(state + H_DIR_HINT, 0);
  }
  store<u32>(state + H_NODE_FREE, free);
  store<u32>(state + H_LIVE, live);
  return dead;
}

/** (pairK, rank) order of pairs i and j. */
// @ts-ignore: decorator
@inline
function pairBefore(state: usize, pairK: usize, pairKey: usize, i: u32, j: u32): bool {
  const ki = load<f64>(pairK + (<usize>i << 3));
  const kj = load<f64>(pairK + (<usize>j << 3));
  if (ki != kj) return ki < kj;
  return load<u32>(keyAt(state, load<u32>(pairKey + (<usize>i << 2))) + K_RANK) < load<u32>(keyAt(state, load<u32>(pairKey + (<usize>j << 2))) + K_RANK);
}

/** Merge-sorts the index permutation at `a` (n entries, `b` scratch) by (pairK, rank); the result is in `a`. */
function sortPairs(state: usize, pairK: usize, pairKey: usize, a: usize, b: usize, n: u32): void {
  let src = a;
  let dst = b;
  for (let width: u32 = 1; width < n; width <<= 1) {
    for (let lo: u32 = 0; lo < n; lo += width << 1) {
      const mid = min<u32>(lo + width, n);
      const hi = min<u32>(lo + (width << 1), n);
      let i = lo;
      let j = mid;
      let o = lo;
      while (i < mid && j < hi) {
        const x = load<u32>(src + (<usize>i << 2));
        const y = load<u32>(src + (<usize>j << 2));
        if (pairBefore(state, pairK, pairKey, y, x)) {
          store<u32>(dst + (<usize>o << 2), y);
          j++;
        } else {
          store<u32>(dst + (<usize>o << 2), x);
          i++;
        }
        o++;
      }
      while (i < mid) {
        store<u32>(dst + (<usize>o << 2), load<u32>(src + (<usize>i << 2)));
        o++;
        i++;
      }
      while (j < hi) {
        store<u32>(dst + (<usize>o << 2), load<u32>(src + (<usize>j << 2)));
        o++;
        j++;
      }
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memory.copy(a, src, <usize>n << 2);
}

/**
 * Re-fires, once each, the already-fired unpurged windows (kp < k <= kf) that
 * this batch's touched nodes feed, in (k, key) order, with their results
 * after the whole batch. Needs pair scratch for touchedLen × (windows per
 * pane) pairs and as many output rows. Returns the number of rows written.
 */
export function paneRefire(state: usize, kp: f64, kf: f64): i32 {
  const r = load<f64>(state + H_R);
  const m = load<f64>(state + H_M);
  const kind = load<u32>(state + H_KIND);
  const touched = ptrAt(state, H_TOUCHED);
  const touchedLen = load<u32>(state + H_TOUCHED_LEN);
  const pairK = ptrAt(state, H_PAIR_K);
  const pairKey = ptrAt(state, H_PAIR_KEY);
  const sortA = ptrAt(state, H_SORT_A);
  const sortB = ptrAt(state, H_SORT_B);
  let pairs: u32 = 0;
  for (let t: u32 = 0; t < touchedLen; t++) {
    const at = nodeAt(state, load<u32>(touched + (<usize>t << 2)));
    const pane = load<f64>(at + N_PANE);
    const key = load<u32>(at + N_KEY);
    const hi = Math.min(Math.floor(pane / r), kf);
    for (let k = Math.max(Math.floor((pane - m) / r) + 1.0, kp + 1.0); k <= hi; k += 1.0) {
      store<f64>(pairK + (<usize>pairs << 3), k);
      store<u32>(pairKey + (<usize>pairs << 2), key);
      store<u32>(sortA + (<usize>pairs << 2), pairs);
      pairs++;
    }
  }
  store<u32>(state + H_TOUCHED_LEN, 0);
  sortPairs(state, pairK, pairKey, sortA, sortB, pairs);
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  const outK = ptrAt(state, H_OUT_K);
  const outKey = ptrAt(state, H_OUT_KEY);
  const outVal = ptrAt(state, H_OUT_VAL);
  let rows: u32 = 0;
  let prevK: f64 = NaN;
  let prevKey: u32 = 0;
  for (let j: u32 = 0; j < pairs; j++) {
    const p = load<u32>(sortA + (<usize>j << 2));
    const k = load<f64>(pairK + (<usize>p << 3));
    const key = load<u32>(pairKey + (<usize>p << 2));
    if (k == prevK && key == prevKey) continue;
    prevK = k;
    prevKey = key;
    const end = k * r + m;
    let count: f64 = 0.0;
    let acc = emptyAcc(kind);
    for (let e = dirLowerBound(state, k * r); e < len; e++) {
      const pane = load<f64>(dir + <usize>e * DIR_BYTES + D_PANE);
      if (pane >= end) break;
      const node = hashFind(state, key, pane);
      if (node == 0) continue;
      const at = nodeAt(state, node);
      count += load<f64>(at + N_COUNT);
      acc = combine(kind, acc, load<f64>(at + N_ACC));
    }
    store<f64>(outK + (<usize>rows << 3), k);
    store<u32>(outKey + (<usize>rows << 2), key);
    store<f64>(outVal + (<usize>rows << 3), resultOf(kind, count, acc));
    rows++;
  }
  return <i32>rows;
}

/** Live (key, window) pairs: windows k > kp with at least one node of the key. */
export function paneCountWindows(state: usize, kp: f64): f64 {
  const r = load<f64>(state + H_R);
  const m = load<f64>(state + H_M);
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  const seq = nextWindowSeq(state);
  let total: f64 = 0.0;
  // Panes in ascending order: each key's windows are counted as a growing union of ranges.
  for (let e: u32 = 0; e < len; e++) {
    const pane = load<f64>(dir + <usize>e * DIR_BYTES + D_PANE);
    const newest = Math.floor(pane / r);
    const oldest = Math.max(Math.floor((pane - m) / r) + 1.0, kp + 1.0);
    let node = load<u32>(dir + <usize>e * DIR_BYTES + D_HEAD);
    while (node != 0) {
      const at = nodeAt(state, node);
      const record = keyAt(state, load<u32>(at + N_KEY));
      let last: f64 = -Infinity;
      if (load<u32>(record + K_STAMP) == seq) last = load<f64>(record + K_SCOUNT);
      else store<u32>(record + K_STAMP, seq);
      const from = Math.max(oldest, last + 1.0);
      if (newest >= from) total += newest - from + 1.0;
      if (newest > last) store<f64>(record + K_SCOUNT, newest);
      else store<f64>(record + K_SCOUNT, last);
      node = load<u32>(at + N_NEXT);
    }
  }
  return total;
}

/**
 * Writes every live node, in pane order, as 32-byte records: pane f64,
 * count f64, acc f64, key index u32, 4 zero bytes. Returns the node count.
 */
export function paneExport(state: usize, out: usize): i32 {
  const dir = ptrAt(state, H_DIR);
  const len = load<u32>(state + H_DIR_LEN);
  let n: i32 = 0;
  for (let e: u32 = 0; e < len; e++) {
    let node = load<u32>(dir + <usize>e * DIR_BYTES + D_HEAD);
    while (node != 0) {
      const at = nodeAt(state, node);
      const to = out + (<usize>n << 5);
      store<f64>(to, load<f64>(at + N_PANE));
      store<f64>(to + 8, load<f64>(at + N_COUNT));
      store<f64>(to + 16, load<f64>(at + N_ACC));
      store<u32>(to + 24, load<u32>(at + N_KEY));
      store<u32>(to + 28, 0);
      n++;
      node = load<u32>(at + N_NEXT);
    }
  }
  return n;
}

/**
 * Re-creates nodes from `n` records in paneExport's format (the TypeScript
 * side has checked the fields). Returns 0, or i + 1 when record i repeats
 * an earlier (key, pane).
 */
export function paneImport(state: usize, src: usize, n: i32): i32 {
  const kind = load<u32>(state + H_KIND);
  for (let i: i32 = 0; i < n; i++) {
    const from = src + (<usize>i << 5);
    const pane = load<f64>(from);
    const key = load<u32>(from + 24);
    if (hashFind(state, key, pane) != 0) return i + 1;
    const at = nodeAt(state, findOrInsert(state, key, pane, kind));
    store<f64>(at + N_COUNT, load<f64>(from + 8));
    store<f64>(at + N_ACC, load<f64>(from + 16));
  }
  return 0;
}

/** Moves every node index from the current table into `table` (zeroed, mask + 1 slots) and makes it current. */
export function paneRehash(state: usize, table: usize, mask: u32): void {
  const old = ptrAt(state, H_HASH);
  const oldSize = load<u32>(state + H_HASH_MASK) + 1;
  for (let s: u32 = 0; s < oldSize; s++) {
    const node = load<u32>(old + (<usize>s << 2));
    if (node == 0) continue;
    const at = nodeAt(state, node);
    let slot = slotOf(load<u32>(at + N_KEY), load<f64>(at + N_PANE), mask);
    while (load<u32>(table + (<usize>slot << 2)) != 0) slot = (slot + 1) & mask;
    store<u32>(table + (<usize>slot << 2), node);
  }
  store<u32>(state + H_HASH, <u32>table);
  store<u32>(state + H_HASH_MASK, mask);
}
