// Hash kernels on linear memory, bit-exact with their references:
// - murmur2: Apache Kafka's `Utils.murmur2` (seed 0x9747b28c), signed 32-bit.
// - murmur3_32: MurmurHash3 x86_32 (Austin Appleby's reference).
// - xxhash32 / xxhash64: Yann Collet's xxHash reference.
// - crc32c: CRC-32C (Castagnoli, reflected poly 0x82F63B78), slice-by-16,
//   as Kafka's RecordBatch v2 uses it.
// Every function has a batched form over keys packed in one buffer:
// key i spans [offsets[i], offsets[i+1]) of `data` (offsets are u32, n + 1 of them).

// ---------------------------------------------------------------- murmur2

const MURMUR2_SEED: u32 = 0x9747b28c;
const MURMUR2_M: u32 = 0x5bd1e995;

// @ts-ignore: decorator
@inline
function murmur2Inline(ptr: usize, len: i32): i32 {
  let h: u32 = MURMUR2_SEED ^ <u32>len;
  const end = ptr + (<usize>(len & ~3));
  let p = ptr;
  while (p < end) {
    let k = load<u32>(p);
    k *= MURMUR2_M;
    k ^= k >>> 24;
    k *= MURMUR2_M;
    h *= MURMUR2_M;
    h ^= k;
    p += 4;
  }
  const rest = len & 3;
  if (rest == 3) {
    h ^= (<u32>load<u8>(p + 2)) << 16;
    h ^= (<u32>load<u8>(p + 1)) << 8;
    h ^= <u32>load<u8>(p);
    h *= MURMUR2_M;
  } else if (rest == 2) {
    h ^= (<u32>load<u8>(p + 1)) << 8;
    h ^= <u32>load<u8>(p);
    h *= MURMUR2_M;
  } else if (rest == 1) {
    h ^= <u32>load<u8>(p);
    h *= MURMUR2_M;
  }
  h ^= h >>> 13;
  h *= MURMUR2_M;
  h ^= h >>> 15;
  return <i32>h;
}

export function murmur2(ptr: usize, len: i32): i32 {
  return murmur2Inline(ptr, len);
}

/** Kafka's default partitioner for a keyed record: toPositive(murmur2) % n. */
export function defaultPartition(ptr: usize, len: i32, partitions: i32): i32 {
  return (murmur2Inline(ptr, len) & 0x7fffffff) % partitions;
}

export function murmur2Batch(data: usize, offsets: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    store<i32>(out + (<usize>i << 2), murmur2Inline(data + start, <i32>(end - start)));
  }
}

export function defaultPartitionBatch(data: usize, offsets: usize, n: i32, partitions: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    const h = murmur2Inline(data + start, <i32>(end - start));
    store<i32>(out + (<usize>i << 2), (h & 0x7fffffff) % partitions);
  }
}

// ---------------------------------------------------------------- murmur3_32

// @ts-ignore: decorator
@inline
function murmur3Inline(ptr: usize, len: i32, seed: u32): u32 {
  const c1: u32 = 0xcc9e2d51;
  const c2: u32 = 0x1b873593;
  let h = seed;
  const end = ptr + (<usize>(len & ~3));
  let p = ptr;
  while (p < end) {
    let k = load<u32>(p);
    k *= c1;
    k = rotl<u32>(k, 15);
    k *= c2;
    h ^= k;
    h = rotl<u32>(h, 13);
    h = h * 5 + 0xe6546b64;
    p += 4;
  }
  let k: u32 = 0;
  const rest = len & 3;
  if (rest == 3) k ^= (<u32>load<u8>(p + 2)) << 16;
  if (rest >= 2) k ^= (<u32>load<u8>(p + 1)) << 8;
  if (rest >= 1) {
    k ^= <u32>load<u8>(p);
    k *= c1;
    k = rotl<u32>(k, 15);
    k *= c2;
    h ^= k;
  }
  h ^= <u32>len;
  return fmix32(h);
}

// @ts-ignore: decorator
@inline
function fmix32(x: u32): u32 {
  let h = x;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

export function murmur3_32(ptr: usize, len: i32, seed: u32): u32 {
  return murmur3Inline(ptr, len, seed);
}

export function murmur3_32Batch(data: usize, offsets: usize, n: i32, seed: u32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    store<u32>(out + (<usize>i << 2), murmur3Inline(data + start, <i32>(end - start), seed));
  }
}

// ---------------------------------------------------------------- xxhash32

const P32_1: u32 = 0x9e3779b1;
const P32_2: u32 = 0x85ebca77;
const P32_3: u32 = 0xc2b2ae3d;
const P32_4: u32 = 0x27d4eb2f;
const P32_5: u32 = 0x165667b1;

// @ts-ignore: decorator
@inline
function xxh32Round(acc: u32, input: u32): u32 {
  return rotl<u32>(acc + input * P32_2, 13) * P32_1;
}

// @ts-ignore: decorator
@inline
function xxhash32Inline(ptr: usize, len: i32, seed: u32): u32 {
  let p = ptr;
  const end = ptr + <usize>len;
  let h: u32;
  if (len >= 16) {
    const limit = end - 16;
    let v1 = seed + P32_1 + P32_2;
    let v2 = seed + P32_2;
    let v3 = seed;
    let v4 = seed - P32_1;
    do {
      v1 = xxh32Round(v1, load<u32>(p));
      v2 = xxh32Round(v2, load<u32>(p, 4));
      v3 = xxh32Round(v3, load<u32>(p, 8));
      v4 = xxh32Round(v4, load<u32>(p, 12));
      p += 16;
    } while (p <= limit);
    h = rotl<u32>(v1, 1) + rotl<u32>(v2, 7) + rotl<u32>(v3, 12) + rotl<u32>(v4, 18);
  } else {
    h = seed + P32_5;
  }
  h += <u32>len;
  while (p + 4 <= end) {
    h += load<u32>(p) * P32_3;
    h = rotl<u32>(h, 17) * P32_4;
    p += 4;
  }
  while (p < end) {
    h += (<u32>load<u8>(p)) * P32_5;
    h = rotl<u32>(h, 11) * P32_1;
    p++;
  }
  h ^= h >>> 15;
  h *= P32_2;
  h ^= h >>> 13;
  h *= P32_3;
  h ^= h >>> 16;
  return h;
}

export function xxhash32(ptr: usize, len: i32, seed: u32): u32 {
  return xxhash32Inline(ptr, len, seed);
}

export function xxhash32Batch(data: usize, offsets: usize, n: i32, seed: u32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    store<u32>(out + (<usize>i << 2), xxhash32Inline(data + start, <i32>(end - start), seed));
  }
}

// ---------------------------------------------------------------- xxhash64

const P64_1: u64 = 0x9e3779b185ebca87;
const P64_2: u64 = 0xc2b2ae3d27d4eb4f;
const P64_3: u64 = 0x165667b19e3779f9;
const P64_4: u64 = 0x85ebca77c2b2ae63;
const P64_5: u64 = 0x27d4eb2f165667c5;

// @ts-ignore: decorator
@inline
function xxh64Round(acc: u64, input: u64): u64 {
  return rotl<u64>(acc + input * P64_2, 31) * P64_1;
}

// @ts-ignore: decorator
@inline
function xxh64Merge(acc: u64, val: u64): u64 {
  return (acc ^ xxh64Round(0, val)) * P64_1 + P64_4;
}

/** Inlined into every sketch kernel: the 64-bit hash all sketches derive from. */
// @ts-ignore: decorator
@inline
export function xxhash64Inline(ptr: usize, len: i32, seed: u64): u64 {
  let p = ptr;
  const end = ptr + <usize>len;
  let h: u64;
  if (len >= 32) {
    const limit = end - 32;
    let v1 = seed + P64_1 + P64_2;
    let v2 = seed + P64_2;
    let v3 = seed;
    let v4 = seed - P64_1;
    do {
      v1 = xxh64Round(v1, load<u64>(p));
      v2 = xxh64Round(v2, load<u64>(p, 8));
      v3 = xxh64Round(v3, load<u64>(p, 16));
      v4 = xxh64Round(v4, load<u64>(p, 24));
      p += 32;
    } while (p <= limit);
    h = rotl<u64>(v1, 1) + rotl<u64>(v2, 7) + rotl<u64>(v3, 12) + rotl<u64>(v4, 18);
    h = xxh64Merge(h, v1);
    h = xxh64Merge(h, v2);
    h = xxh64Merge(h, v3);
    h = xxh64Merge(h, v4);
  } else {
    h = seed + P64_5;
  }
  h += <u64>len;
  while (p + 8 <= end) {
    h ^= xxh64Round(0, load<u64>(p));
    h = rotl<u64>(h, 27) * P64_1 + P64_4;
    p += 8;
  }
  if (p + 4 <= end) {
    h ^= (<u64>load<u32>(p)) * P64_1;
    h = rotl<u64>(h, 23) * P64_2 + P64_3;
    p += 4;
  }
  while (p < end) {
    h ^= (<u64>load<u8>(p)) * P64_5;
    h = rotl<u64>(h, 11) * P64_1;
    p++;
  }
  h ^= h >>> 33;
  h *= P64_2;
  h ^= h >>> 29;
  h *= P64_3;
  h ^= h >>> 32;
  return h;
}

export function xxhash64(ptr: usize, len: i32, seed: u64): u64 {
  return xxhash64Inline(ptr, len, seed);
}

export function xxhash64Batch(data: usize, offsets: usize, n: i32, seed: u64, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    store<u64>(out + (<usize>i << 3), xxhash64Inline(data + start, <i32>(end - start), seed));
  }
}

// ---------------------------------------------------------------- crc32c

// Sixteen 256-entry tables for slice-by-16, built once when the module starts.
// Table t maps a byte to its CRC contribution when t zero bytes follow it.
const CRC_TABLES: usize = memory.data(16 * 256 * 4, 16);
const CRC_TABLE_BYTES: usize = 256 * 4;

function buildCrcTables(): void {
  for (let i: u32 = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = (c & 1) ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    store<u32>(CRC_TABLES + (<usize>i << 2), c);
  }
  for (let t: usize = 1; t < 16; t++) {
    for (let i: usize = 0; i < 256; i++) {
      const prev = load<u32>(CRC_TABLES + ((t - 1) << 10) + (i << 2));
      store<u32>(CRC_TABLES + (t << 10) + (i << 2), (prev >>> 8) ^ load<u32>(CRC_TABLES + (<usize>(prev & 0xff) << 2)));
    }
  }
}
buildCrcTables();

// Byte `shift / 8` of `word`, as a byte offset into a 256-entry u32 table.
// @ts-ignore: decorator
@inline
function tableIndex(word: u32, shift: u32): usize {
  return (<usize>((word >>> shift) & 0xff)) << 2;
}

/**
 * Continues a CRC-32C: pass 0 to start; the result is final (already inverted).
 *
 * Slice-by-16. The loop is bound by the latency of the chain crc → table
 * loads → crc, so only the first word's four lookups depend on the previous
 * crc; the other twelve are xored in a balanced tree off that chain. This runs
 * about twice as fast as slice-by-8 with a linear xor chain in V8. Table
 * bases sit in each load's immediate offset, saving an add per lookup.
 */
// @ts-ignore: decorator
@inline
export function crc32cInline(ptr: usize, len: i32, previous: u32): u32 {
  let crc = ~previous;
  let p = ptr;
  const end = ptr + <usize>len;
  while (p + 16 <= end) {
    const w0 = load<u32>(p) ^ crc;
    const w1 = load<u32>(p, 4);
    const w2 = load<u32>(p, 8);
    const w3 = load<u32>(p, 12);
    const rest =
      ((load<u32>(tableIndex(w1, 0), CRC_TABLES + 11 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w1, 8), CRC_TABLES + 10 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w1, 16), CRC_TABLES + 9 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w1, 24), CRC_TABLES + 8 * CRC_TABLE_BYTES))) ^
      ((load<u32>(tableIndex(w2, 0), CRC_TABLES + 7 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w2, 8), CRC_TABLES + 6 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w2, 16), CRC_TABLES + 5 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w2, 24), CRC_TABLES + 4 * CRC_TABLE_BYTES))) ^
      ((load<u32>(tableIndex(w3, 0), CRC_TABLES + 3 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w3, 8), CRC_TABLES + 2 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w3, 16), CRC_TABLES + 1 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w3, 24), CRC_TABLES)));
    crc = rest ^
      ((load<u32>(tableIndex(w0, 0), CRC_TABLES + 15 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w0, 8), CRC_TABLES + 14 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w0, 16), CRC_TABLES + 13 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w0, 24), CRC_TABLES + 12 * CRC_TABLE_BYTES)));
    p += 16;
  }
  if (p + 8 <= end) {
    const w0 = load<u32>(p) ^ crc;
    const w1 = load<u32>(p, 4);
    crc =
      ((load<u32>(tableIndex(w1, 0), CRC_TABLES + 3 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w1, 8), CRC_TABLES + 2 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w1, 16), CRC_TABLES + 1 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w1, 24), CRC_TABLES))) ^
      ((load<u32>(tableIndex(w0, 0), CRC_TABLES + 7 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w0, 8), CRC_TABLES + 6 * CRC_TABLE_BYTES)) ^
        (load<u32>(tableIndex(w0, 16), CRC_TABLES + 5 * CRC_TABLE_BYTES) ^ load<u32>(tableIndex(w0, 24), CRC_TABLES + 4 * CRC_TABLE_BYTES)));
    p += 8;
  }
  while (p < end) {
    crc = (crc >>> 8) ^ load<u32>(tableIndex(crc ^ <u32>load<u8>(p), 0), CRC_TABLES);
    p++;
  }
  return ~crc;
}

export function crc32c(ptr: usize, len: i32, previous: u32): u32 {
  return crc32cInline(ptr, len, previous);
}

export function crc32cBatch(data: usize, offsets: usize, n: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const start = load<u32>(offsets + (<usize>i << 2));
    const end = load<u32>(offsets + (<usize>(i + 1) << 2));
    store<u32>(out + (<usize>i << 2), crc32cInline(data + start, <i32>(end - start), 0));
  }
}
