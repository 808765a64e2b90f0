// Kafka's variable-length integers (protobuf style): 7 bits per byte, low
// group first, high bit set on every byte but the last; signed values are
// zig-zag mapped first so small negatives stay short. An int32 takes at most
// 5 bytes, an int64 at most 10.

// @ts-ignore: decorator
@inline
export function zigzag32(value: i32): u32 {
  return <u32>((value << 1) ^ (value >> 31));
}

// @ts-ignore: decorator
@inline
export function zigzag64(value: i64): u64 {
  return <u64>((value << 1) ^ (value >> 63));
}

// @ts-ignore: decorator
@inline
export function sizeOfVarint(value: i32): i32 {
  // Bits in use (at least one), rounded up to groups of seven.
  return (38 - <i32>clz<u32>(zigzag32(value) | 1)) / 7;
}

// @ts-ignore: decorator
@inline
export function sizeOfVarlong(value: i64): i32 {
  return (70 - <i32>clz<u64>(zigzag64(value) | 1)) / 7;
}

// @ts-ignore: decorator
@inline
export function writeVarint(at: usize, value: i32): usize {
  let v = zigzag32(value);
  while (v >= 0x80) {
    store<u8>(at, <u8>(v | 0x80));
    v >>>= 7;
    at++;
  }
  store<u8>(at, <u8>v);
  return at + 1;
}

// @ts-ignore: decorator
@inline
export function writeVarlong(at: usize, value: i64): usize {
  let v = zigzag64(value);
  while (v >= 0x80) {
    store<u8>(at, <u8>(v | 0x80));
    v >>>= 7;
    at++;
  }
  store<u8>(at, <u8>v);
  return at + 1;
}

// ------------------------------------------------------------- reading
// Readers never pass `end`. They advance the cursor `readAt` and, on a varint
// that runs past `end` or is longer than its type allows, set `readFault`
// (and return 0) instead of trapping, so the decoder can report which record
// and byte were bad. Callers check `readFault` once per record.

export let readAt: usize = 0;
export let readFault: i32 = 0;

export const FAULT_VARINT_PAST_END: i32 = 1;
export const FAULT_VARINT_TOO_LONG: i32 = 2;

export function resetReader(at: usize): void {
  readAt = at;
  readFault = 0;
}

// @ts-ignore: decorator
@inline
export function readVarint(end: usize): i32 {
  let at = readAt;
  if (at < end) {
    const b0 = <u32>load<u8>(at);
    // One-byte values (lengths under 64, small deltas) are the common case.
    if (b0 < 0x80) {
      readAt = at + 1;
      return <i32>(b0 >>> 1) ^ -(<i32>(b0 & 1));
    }
  }
  return readVarintSlow(end);
}

function readVarintSlow(end: usize): i32 {
  let at = readAt;
  let raw: u32 = 0;
  let shift: u32 = 0;
  while (true) {
    if (at >= end) {
      readFault = FAULT_VARINT_PAST_END;
      readAt = end;
      return 0;
    }
    const b = <u32>load<u8>(at++);
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 28) {
      readFault = FAULT_VARINT_TOO_LONG;
      readAt = at;
      return 0;
    }
  }
  readAt = at;
  return <i32>(raw >>> 1) ^ -(<i32>(raw & 1));
}

export function readVarlong(end: usize): i64 {
  let at = readAt;
  let raw: u64 = 0;
  let shift: u64 = 0;
  while (true) {
    if (at >= end) {
      readFault = FAULT_VARINT_PAST_END;
      readAt = end;
      return 0;
    }
    const b = <u64>load<u8>(at++);
    raw |= (b & 0x7f) << shift;
    if (b < 0x80) break;
    shift += 7;
    if (shift > 63) {
      readFault = FAULT_VARINT_TOO_LONG;
      readAt = at;
      return 0;
    }
  }
  readAt = at;
  return <i64>(raw >>> 1) ^ -(<i64>(raw & 1));
}
