// Misra–Gries heavy hitters ("hot list") kernels on a state block the
// TypeScript side allocates and, when the key arena fills, grows.
//
// Guarantee with capacity k over a stream of total weight N: every kept counter
// c(x) satisfies f(x) − offset ≤ c(x) ≤ f(x), an absent key has f(x) ≤ offset,
// and offset ≤ N / (k + 1). So every key with f(x) > N / (k + 1) is kept.
//
// Amortised decrement: the table holds up to L = 2k keys. When a new key finds
// it full, one purge subtracts c* = the (k+1)-th largest counter from every
// counter and drops those ≤ 0, adding c* to `offset`. At least k + 1 counters
// each lose c*, so the weight removed is ≥ (k + 1)·c*, which is what keeps
// offset ≤ N / (k + 1) (the invariant is Σ counters + (k + 1)·offset ≤ N).
// A purge costs O(L) and leaves ≤ k keys, so it runs at most once per k new
// keys: O(1) amortised per add.
//
// State layout (offsets from the state pointer; every section is relative, so
// the block can be copied to a larger one byte for byte):
//   0   u32  capacity k
//   4   u32  entryMax L = 2k
//   8   u32  entryCount
//   12  u32  slotMask         slot count − 1 (slot count: power of two ≥ 2L)
//   16  u64  total            N, sum of all counts added
//   24  u64  offset           sum of purge thresholds = the error bound
//   32  u32  arenaCapacity    bytes of key arena
//   36  u32  arenaUsed
//   40  u32  arenaNeeded      set when an add found the arena too small
//   44  u32  entriesOffset
//   48  u32  scratchOffset
//   52  u32  arenaOffset
//   56  8    reserved
//   64  slots    slotCount × u32: entry index + 1, 0 = empty (linear probing)
//   ..  entries  L × 24 bytes: u64 hash, u64 count, u32 keyOffset (into the arena),
//                u32 keyLength | isString << 31
//   ..  scratch  L × u64, counts for the purge's selection
//   ..  arena    key bytes, in entry order (purges compact both in step)

import { batchKeyLength, batchKeyStart, keyHash } from './common';

const HEADER_BYTES: usize = 64;
const ENTRY_BYTES: usize = 24;
const LENGTH_MASK: u32 = 0x7fffffff;
const STRING_FLAG: u32 = 0x80000000;

/** Result of an add that needs a larger arena (see hhArenaNeeded). */
const NEEDS_ARENA: i32 = 1;

// @ts-ignore: decorator
@inline
function slotCountFor(capacity: u32): u32 {
  // ≥ 2L = 4k slots keeps the load factor at or below 1/2.
  return <u32>1 << (32 - clz<u32>(capacity * 4 - 1));
}

export function hhStateBytes(capacity: u32, arenaBytes: u32): u32 {
  const entryMax = capacity * 2;
  return <u32>HEADER_BYTES + (slotCountFor(capacity) << 2) + entryMax * <u32>ENTRY_BYTES + (entryMax << 3) + arenaBytes;
}

export function hhInit(state: usize, capacity: u32, arenaBytes: u32): void {
  const entryMax = capacity * 2;
  const slotCount = slotCountFor(capacity);
  const entriesOffset = <u32>HEADER_BYTES + (slotCount << 2);
  const scratchOffset = entriesOffset + entryMax * <u32>ENTRY_BYTES;
  store<u32>(state, capacity, 0);
  store<u32>(state, entryMax, 4);
  store<u32>(state, slotCount - 1, 12);
  store<u32>(state, arenaBytes, 32);
  store<u32>(state, entriesOffset, 44);
  store<u32>(state, scratchOffset, 48);
  store<u32>(state, scratchOffset + (entryMax << 3), 52);
}

/** After the caller copied the state into a larger block: records the new arena size. */
export function hhSetArenaCapacity(state: usize, arenaBytes: u32): void {
  store<u32>(state, arenaBytes, 32);
}

export function hhArenaNeeded(state: usize): u32 {
  return load<u32>(state, 40);
}

export function hhArenaUsed(state: usize): u32 {
  return load<u32>(state, 36);
}

export function hhArenaCapacity(state: usize): u32 {
  return load<u32>(state, 32);
}

// ------------------------------------------------------------ table

// @ts-ignore: decorator
@inline
function entryAt(state: usize, index: u32): usize {
  return state + <usize>load<u32>(state, 44) + <usize>index * ENTRY_BYTES;
}

// @ts-ignore: decorator
@inline
function arenaAt(state: usize): usize {
  return state + <usize>load<u32>(state, 52);
}

// @ts-ignore: decorator
@inline
function bytesEqual(a: usize, b: usize, len: usize): bool {
  let i: usize = 0;
  for (; i + 8 <= len; i += 8) if (load<u64>(a + i) != load<u64>(b + i)) return false;
  for (; i < len; i++) if (load<u8>(a + i) != load<u8>(b + i)) return false;
  return true;
}

/** Address of the slot holding the key, or of the empty slot where it would go. */
// @ts-ignore: decorator
@inline
function probe(state: usize, hash: u64, key: usize, len: u32): usize {
  const mask = load<u32>(state, 12);
  const slots = state + HEADER_BYTES;
  const arena = arenaAt(state);
  let i = <u32>hash & mask;
  while (true) {
    const slot = slots + (<usize>i << 2);
    const index = load<u32>(slot);
    if (index == 0) return slot;
    const entry = entryAt(state, index - 1);
    if (load<u64>(entry) == hash && (load<u32>(entry, 20) & LENGTH_MASK) == len
      && bytesEqual(arena + <usize>load<u32>(entry, 16), key, <usize>len)) return slot;
    i = (i + 1) & mask;
  }
  return 0; // unreachable: the load factor stays ≤ 1/2
}

/** Appends a new entry (key bytes into the arena) and points `slot` at it; the caller checked room. */
// @ts-ignore: decorator
@inline
function append(state: usize, slot: usize, hash: u64, key: usize, len: u32, count: u64, flags: u32): void {
  const index = load<u32>(state, 8);
  const keyOffset = load<u32>(state, 36);
  memory.copy(arenaAt(state) + <usize>keyOffset, key, <usize>len);
  const entry = entryAt(state, index);
  store<u64>(entry, hash);
  store<u64>(entry, count, 8);
  store<u32>(entry, keyOffset, 16);
  store<u32>(entry, len | flags, 20);
  store<u32>(slot, index + 1);
  store<u32>(state, index + 1, 8);
  store<u32>(state, keyOffset + len, 36);
}

/** Value at ascending rank `target` (0-based) of `count` u64s at `base` (Hoare's selection; reorders them). */
function selectAscending(base: usize, count: i32, target: i32): u64 {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const a = load<u64>(base + (<usize>lo << 3));
    const b = load<u64>(base + (<usize>((lo + hi) >>> 1) << 3));
    const c = load<u64>(base + (<usize>hi << 3));
    // Median of three, so sorted or reversed input stays O(n).
    const pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<u64>(base + (<usize>i << 3)) < pivot) i++;
      while (load<u64>(base + (<usize>j << 3)) > pivot) j--;
      if (i <= j) {
        const at = base + (<usize>i << 3);
        const bt = base + (<usize>j << 3);
        const t = load<u64>(at);
        store<u64>(at, load<u64>(bt));
        store<u64>(bt, t);
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return pivot; // everything between j and i equals the pivot
  }
  return load<u64>(base + (<usize>lo << 3));
}

/** The amortised Misra–Gries decrement: subtract the (k+1)-th largest counter, drop counters ≤ 0, compact, rehash. */
function purge(state: usize): void {
  const capacity = load<u32>(state);
  const count = load<u32>(state, 8);
  assert(count > capacity, 'purge needs more than k entries');
  const scratch = state + <usize>load<u32>(state, 48);
  for (let i: u32 = 0; i < count; i++) store<u64>(scratch + (<usize>i << 3), load<u64>(entryAt(state, i), 8));
  const threshold = selectAscending(scratch, <i32>count, <i32>(count - 1 - capacity));
  store<u64>(state, load<u64>(state, 24) + threshold, 24);

  const arena = arenaAt(state);
  let kept: u32 = 0;
  let arenaUsed: u32 = 0;
  for (let i: u32 = 0; i < count; i++) {
    const from = entryAt(state, i);
    const value = load<u64>(from, 8);
    if (value <= threshold) continue;
    const keyOffset = load<u32>(from, 16);
    const lengthAndFlags = load<u32>(from, 20);
    const len = lengthAndFlags & LENGTH_MASK;
    // Keys sit in the arena in entry order, so moving them down never overwrites a kept key.
    if (keyOffset != arenaUsed) memory.copy(arena + <usize>arenaUsed, arena + <usize>keyOffset, <usize>len);
    const to = entryAt(state, kept);
    store<u64>(to, load<u64>(from));
    store<u64>(to, value - threshold, 8);
    store<u32>(to, arenaUsed, 16);
    store<u32>(to, lengthAndFlags, 20);
    arenaUsed += len;
    kept++;
  }
  store<u32>(state, kept, 8);
  store<u32>(state, arenaUsed, 36);

  const mask = load<u32>(state, 12);
  const slots = state + HEADER_BYTES;
  memory.fill(slots, 0, (<usize>mask + 1) << 2);
  for (let i: u32 = 0; i < kept; i++) {
    let s = <u32>load<u64>(entryAt(state, i)) & mask;
    while (load<u32>(slots + (<usize>s << 2)) != 0) s = (s + 1) & mask;
    store<u32>(slots + (<usize>s << 2), i + 1);
  }
}

// @ts-ignore: decorator
@inline
function addKey(state: usize, hash: u64, key: usize, len: u32, count: u64, flags: u32): i32 {
  let slot = probe(state, hash, key, len);
  const index = load<u32>(slot);
  if (index != 0) {
    const entry = entryAt(state, index - 1);
    store<u64>(entry, load<u64>(entry, 8) + count, 8);
    store<u64>(state, load<u64>(state, 16) + count, 16);
    return 0;
  }
  if (count == 0) return 0;
  if (load<u32>(state, 8) == load<u32>(state, 4)) {
    purge(state);
    slot = probe(state, hash, key, len);
  }
  const arenaUsed = load<u32>(state, 36);
  if (<u64>arenaUsed + <u64>len > <u64>load<u32>(state, 32)) {
    store<u32>(state, arenaUsed + len, 40);
    return NEEDS_ARENA;
  }
  append(state, slot, hash, key, len, count, flags);
  store<u64>(state, load<u64>(state, 16) + count, 16);
  return 0;
}

/** Adds `count` of one key. Returns 0, or 1 when the arena must grow to hhArenaNeeded bytes first (then call again). */
export function hhAdd(state: usize, ptr: usize, len: i32, count: u32, isString: u32): i32 {
  return addKey(state, keyHash(ptr, len), ptr, <u32>len, <u64>count, isString != 0 ? STRING_FLAG : 0);
}

/**
 * Adds keys [start, n) of a packed batch. `counts` holds one u32 per key (0: add 1 each);
 * `flags` one byte per key, 1 = string (0: use `allStrings` for every key).
 * Returns n when done, or the index of the key that needs a larger arena.
 */
export function hhAddBatch(
  state: usize, data: usize, offsets: usize, n: i32, start: i32, counts: usize, flags: usize, allStrings: u32,
): i32 {
  for (let i = start; i < n; i++) {
    const key = data + batchKeyStart(offsets, i);
    const len = batchKeyLength(offsets, i);
    const count: u64 = counts == 0 ? 1 : <u64>load<u32>(counts + (<usize>i << 2));
    const isString = flags == 0 ? allStrings : <u32>load<u8>(flags + <usize>i);
    if (addKey(state, keyHash(key, len), key, <u32>len, count, isString != 0 ? STRING_FLAG : 0) != 0) return i;
  }
  return n;
}

/**
 * Misra–Gries merge of `source` into `target` (same capacity): add counters and
 * offsets, then subtract the (k+1)-th largest counter and drop those ≤ 0. A purge
 * also runs midway if the union overflows the table. The caller has made the
 * target's arena at least target.arenaUsed + source.arenaUsed bytes.
 */
export function hhMerge(target: usize, source: usize): void {
  const sourceCount = load<u32>(source, 8);
  const sourceArena = arenaAt(source);
  for (let i: u32 = 0; i < sourceCount; i++) {
    const entry = entryAt(source, i);
    const hash = load<u64>(entry);
    const count = load<u64>(entry, 8);
    const key = sourceArena + <usize>load<u32>(entry, 16);
    const lengthAndFlags = load<u32>(entry, 20);
    const len = lengthAndFlags & LENGTH_MASK;
    let slot = probe(target, hash, key, len);
    const index = load<u32>(slot);
    if (index != 0) {
      const kept = entryAt(target, index - 1);
      store<u64>(kept, load<u64>(kept, 8) + count, 8);
      continue;
    }
    if (load<u32>(target, 8) == load<u32>(target, 4)) {
      purge(target);
      slot = probe(target, hash, key, len);
    }
    assert(<u64>load<u32>(target, 36) + <u64>len <= <u64>load<u32>(target, 32), 'merge target arena too small');
    append(target, slot, hash, key, len, count, lengthAndFlags & STRING_FLAG);
  }
  store<u64>(target, load<u64>(target, 16) + load<u64>(source, 16), 16);
  store<u64>(target, load<u64>(target, 24) + load<u64>(source, 24), 24);
  if (load<u32>(target, 8) > load<u32>(target)) purge(target);
}

/**
 * Inserts one restored entry (deserialisation). Returns 0, −1 if the key is
 * already present, −2 if the table is full, −3 if the arena is too small.
 */
export function hhRestoreEntry(state: usize, ptr: usize, len: i32, count: f64, isString: u32): i32 {
  const hash = keyHash(ptr, len);
  const slot = probe(state, hash, ptr, <u32>len);
  if (load<u32>(slot) != 0) return -1;
  if (load<u32>(state, 8) == load<u32>(state, 4)) return -2;
  if (<u64>load<u32>(state, 36) + <u64>len > <u64>load<u32>(state, 32)) return -3;
  append(state, slot, hash, ptr, <u32>len, <u64>count, isString != 0 ? STRING_FLAG : 0);
  return 0;
}

export function hhRestoreTotals(state: usize, total: f64, offset: f64): void {
  store<u64>(state, <u64>total, 16);
  store<u64>(state, <u64>offset, 24);
}

// ------------------------------------------------------------ reading (not hot)

export function hhEntryCount(state: usize): u32 {
  return load<u32>(state, 8);
}

export function hhCapacity(state: usize): u32 {
  return load<u32>(state);
}

export function hhTotal(state: usize): f64 {
  return <f64>load<u64>(state, 16);
}

/** The Misra–Gries error bound: every counter undercounts its key by at most this much. */
export function hhOffset(state: usize): f64 {
  return <f64>load<u64>(state, 24);
}

export function hhEntryValue(state: usize, index: u32): f64 {
  return <f64>load<u64>(entryAt(state, index), 8);
}

export function hhEntryKey(state: usize, index: u32): usize {
  return arenaAt(state) + <usize>load<u32>(entryAt(state, index), 16);
}

export function hhEntryKeyLength(state: usize, index: u32): u32 {
  return load<u32>(entryAt(state, index), 20) & LENGTH_MASK;
}

export function hhEntryIsString(state: usize, index: u32): u32 {
  return load<u32>(entryAt(state, index), 20) >>> 31;
}
