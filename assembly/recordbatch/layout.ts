// The memory layout shared by batch.wasm and src/wasm/batch.ts (the only
// TypeScript module that knows it). Every column is little-endian.
//
// Encoder input, written by JS:
//   data        key, value, then each header's key and value bytes, record after
//               record, back to back (nulls take no bytes)
//   meta        i32 × ENCODE_META_STRIDE per record: keyLength (-1 null),
//               valueLength (-1 null), headerCount
//   headers     i32 × ENCODE_HEADER_STRIDE per header: keyLength, valueLength (-1 null)
//   timestamps  f64 per record, absolute milliseconds (safe integers)
//   deltas      i32 per record offsetDelta, or pointer 0 for 0, 1, 2, …
//
// Decoder output, written by Wasm (n = record count, struct of arrays):
//   records     i32 × n each: keyStart, keyLength, valueStart, valueLength,
//               headerFirst, headerCount  (starts are byte positions from `base`)
//   times       f64 × n each: offsets, timestamps
//   headers     i32 × DECODE_HEADER_STRIDE per header: keyStart, keyLength,
//               valueStart, valueLength

export const ENCODE_META_STRIDE: i32 = 3;
export const ENCODE_HEADER_STRIDE: i32 = 2;
export const DECODE_RECORD_COLUMNS: i32 = 6;
export const DECODE_TIME_COLUMNS: i32 = 2;
export const DECODE_HEADER_STRIDE: i32 = 4;

// Byte offsets of the RecordBatch v2 header fields (big-endian on the wire);
// see src/log/batch-header.ts for the drawing.
export const BATCH_HEADER_BYTES: i32 = 61;
export const AT_BATCH_LENGTH: usize = 8;
export const AT_CRC: usize = 17;
export const AT_ATTRIBUTES: usize = 21;
export const AT_LAST_OFFSET_DELTA: usize = 23;
export const AT_MAX_TIMESTAMP: usize = 35;
export const AT_RECORD_COUNT: usize = 57;
