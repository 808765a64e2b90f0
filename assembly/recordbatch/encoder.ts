// RecordBatch v2 encoder: turns the packed input columns (see layout.ts) into
// the records section, and — for uncompressed batches — finishes the header
// and the CRC in the same call, so JS crosses into Wasm once per batch.
//
// Record (all varints zig-zag):
//   length varint          bytes after this field
//   attributes int8        unused, 0
//   timestampDelta varlong timestamp - baseTimestamp
//   offsetDelta varint     offset - baseOffset
//   keyLength varint       -1 = null, then the key bytes
//   valueLength varint     -1 = null, then the value bytes
//   headerCount varint     then per header: keyLength varint, key bytes,
//                          valueLength varint (-1 = null), value bytes
import { crc32cInline } from '../hash';
import { copyBytes } from './copy';
import { ERROR_BATCH_TOO_LARGE, ERROR_OUTPUT_CAPACITY, ERROR_RECORD_COUNT, fail } from './errors';
import {
  AT_BATCH_LENGTH,
  AT_CRC,
  AT_ATTRIBUTES,
  AT_LAST_OFFSET_DELTA,
  AT_MAX_TIMESTAMP,
  AT_RECORD_COUNT,
  BATCH_HEADER_BYTES,
  ENCODE_HEADER_STRIDE,
  ENCODE_META_STRIDE,
} from './layout';
import { batchBytesMax, recordsPerBatchMax } from './limits';
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from './varint';

let encodedMaxTimestamp: i64 = 0;

/** The largest record timestamp seen by the last encode call. */
export function lastMaxTimestamp(): f64 {
  return <f64>encodedMaxTimestamp;
}

/**
 * Writes `count` records at `out` (at most `capacity` bytes) and returns the
 * bytes written, or a negated error code.
 */
export function encodeRecords(
  out: usize,
  capacity: i32,
  data: usize,
  meta: usize,
  headers: usize,
  timestamps: usize,
  deltas: usize,
  count: i32,
  baseTimestamp: f64,
): i32 {
  if (count < 0 || count > recordsPerBatchMax) return fail(ERROR_RECORD_COUNT, -1, -1, count);
  const base = <i64>baseTimestamp;
  const end = out + <usize>capacity;
  let at = out;
  let src = data;
  let header = headers;
  let maxTimestamp = i64.MIN_VALUE;
  for (let i = 0; i < count; i++) {
    const m = meta + ((<usize>i * <usize>ENCODE_META_STRIDE) << 2);
    const keyLength = load<i32>(m);
    const valueLength = load<i32>(m, 4);
    const headerCount = load<i32>(m, 8);
    const timestamp = <i64>load<f64>(timestamps + (<usize>i << 3));
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const timestampDelta = timestamp - base;
    const offsetDelta = deltas ? load<i32>(deltas + (<usize>i << 2)) : i;

    // The length prefix needs the body size first; summing it is cheaper than
    // writing the body and moving it.
    let body =
      1 +
      sizeOfVarlong(timestampDelta) +
      sizeOfVarint(offsetDelta) +
      sizeOfVarint(keyLength) +
      max(keyLength, 0) +
      sizeOfVarint(valueLength) +
      max(valueLength, 0) +
      sizeOfVarint(headerCount);
    let h = header;
    for (let j = 0; j < headerCount; j++) {
      const hk = load<i32>(h);
      const hv = load<i32>(h, 4);
      body += sizeOfVarint(hk) + hk + sizeOfVarint(hv) + max(hv, 0);
      h += <usize>ENCODE_HEADER_STRIDE << 2;
    }
    if (<usize>(body + 5) > end - at) return fail(ERROR_OUTPUT_CAPACITY, i, <i32>(at - out), capacity);

    at = writeVarint(at, body);
    store<u8>(at, 0);
    at = writeVarlong(at + 1, timestampDelta);
    at = writeVarint(at, offsetDelta);
    at = writeVarint(at, keyLength);
    if (keyLength > 0) {
      copyBytes(at, src, keyLength);
      at += <usize>keyLength;
      src += <usize>keyLength;
    }
    at = writeVarint(at, valueLength);
    if (valueLength > 0) {
      copyBytes(at, src, valueLength);
      at += <usize>valueLength;
      src += <usize>valueLength;
    }
    at = writeVarint(at, headerCount);
    for (let j = 0; j < headerCount; j++) {
      const hk = load<i32>(header);
      const hv = load<i32>(header, 4);
      at = writeVarint(at, hk);
      copyBytes(at, src, hk);
      at += <usize>hk;
      src += <usize>hk;
      at = writeVarint(at, hv);
      if (hv > 0) {
        copyBytes(at, src, hv);
        at += <usize>hv;
        src += <usize>hv;
      }
      header += <usize>ENCODE_HEADER_STRIDE << 2;
    }
  }
  encodedMaxTimestamp = count > 0 ? maxTimestamp : base;
  return <i32>(at - out);
}

/**
 * Encodes an uncompressed batch in one call. JS has already written the fixed
 * header fields at `batch` (baseOffset, partitionLeaderEpoch, magic,
 * attributes, baseTimestamp, producerId, producerEpoch, baseSequence); this
 * writes the records after the header, then batchLength, lastOffsetDelta,
 * maxTimestamp (or `maxTimestampOverride` unless NaN), recordCount and the CRC.
 * Returns the batch size in bytes, or a negated error code.
 */
export function encodeBatch(
  batch: usize,
  capacity: i32,
  data: usize,
  meta: usize,
  headers: usize,
  timestamps: usize,
  deltas: usize,
  count: i32,
  baseTimestamp: f64,
  lastOffsetDelta: i32,
  maxTimestampOverride: f64,
): i32 {
  const records = encodeRecords(
    batch + <usize>BATCH_HEADER_BYTES,
    capacity - BATCH_HEADER_BYTES,
    data,
    meta,
    headers,
    timestamps,
    deltas,
    count,
    baseTimestamp,
  );
  if (records < 0) return records;
  const size = BATCH_HEADER_BYTES + records;
  if (size > batchBytesMax) return fail(ERROR_BATCH_TOO_LARGE, -1, -1, size);
  const maxTimestamp = isNaN(maxTimestampOverride) ? encodedMaxTimestamp : <i64>maxTimestampOverride;
  sealBatch(batch, size, count, lastOffsetDelta, maxTimestamp);
  return size;
}

/**
 * Seals a batch JS wrote whole (fixed header fields and records, as
 * src/wasm/batch.ts does for the producer's record columns): the fields that
 * depend on the records, then the CRC. Returns the size, or a negated error.
 */
export function sealWrittenBatch(batch: usize, size: i32, count: i32, lastOffsetDelta: i32, maxTimestamp: f64): i32 {
  if (count < 0 || count > recordsPerBatchMax) return fail(ERROR_RECORD_COUNT, -1, -1, count);
  if (size > batchBytesMax) return fail(ERROR_BATCH_TOO_LARGE, -1, -1, size);
  sealBatch(batch, size, count, lastOffsetDelta, <i64>maxTimestamp);
  return size;
}

/** Fills the fields that depend on the records, then the CRC over attributes..end. */
function sealBatch(batch: usize, size: i32, count: i32, lastOffsetDelta: i32, maxTimestamp: i64): void {
  store<u32>(batch + AT_BATCH_LENGTH, bswap<u32>(<u32>(size - 12)));
  store<u32>(batch + AT_LAST_OFFSET_DELTA, bswap<u32>(<u32>lastOffsetDelta));
  store<u64>(batch + AT_MAX_TIMESTAMP, bswap<u64>(<u64>maxTimestamp));
  store<u32>(batch + AT_RECORD_COUNT, bswap<u32>(<u32>count));
  const crc = crc32cInline(batch + AT_ATTRIBUTES, size - <i32>AT_ATTRIBUTES, 0);
  store<u32>(batch + AT_CRC, bswap<u32>(crc));
}
