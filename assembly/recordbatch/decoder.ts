// RecordBatch v2 decoder: walks the records section once and writes columns
// of positions (see layout.ts) instead of copying any key, value or header.
// Every read is bounded by the end of its record, and every record by the end
// of the section, so corrupt input yields an error code, never a stray read.
import { crc32cInline } from '../hash';
import {
  ERROR_BATCH_TOO_LARGE,
  ERROR_CRC_MISMATCH,
  ERROR_HEADER_CAPACITY,
  ERROR_HEADER_COUNT,
  ERROR_HEADER_KEY_LENGTH,
  ERROR_HEADER_VALUE_LENGTH,
  ERROR_KEY_LENGTH,
  ERROR_OFFSET_DELTA,
  ERROR_RECORD_COUNT,
  ERROR_RECORD_LENGTH_MISMATCH,
  ERROR_RECORD_LENGTH_NEGATIVE,
  ERROR_RECORD_PAST_END,
  ERROR_TIMESTAMP_RANGE,
  ERROR_TOO_FEW_RECORDS,
  ERROR_TRAILING_BYTES,
  ERROR_VALUE_LENGTH,
  ERROR_VARINT_PAST_END,
  ERROR_VARINT_TOO_LONG,
  fail,
} from './errors';
import { AT_ATTRIBUTES, AT_CRC, BATCH_HEADER_BYTES, DECODE_HEADER_STRIDE } from './layout';
import { batchBytesMax, recordsPerBatchMax } from './limits';
import { FAULT_VARINT_PAST_END, readAt, readFault, readVarint, readVarlong, resetReader } from './varint';

const SAFE_INTEGER_MAX: i64 = 9007199254740991;

/** CRC-32C over attributes..end compared with the stored field; 0 or a negated error. */
export function verifyBatchCrc(batch: usize, size: i32): i32 {
  if (size < BATCH_HEADER_BYTES) return fail(ERROR_RECORD_PAST_END, -1, 0, size);
  const stored = bswap<u32>(load<u32>(batch + AT_CRC));
  const computed = crc32cInline(batch + AT_ATTRIBUTES, size - <i32>AT_ATTRIBUTES, 0);
  return stored == computed ? 0 : fail(ERROR_CRC_MISMATCH, -1, <i32>AT_CRC, <f64>computed);
}

/**
 * Decodes an uncompressed batch of `size` bytes at `batch` in one call:
 * optionally verifies the CRC, then decodes the records after the header.
 * Positions in the output are relative to `batch`. Returns the total header
 * count, or a negated error code.
 */
export function decodeBatch(
  batch: usize,
  size: i32,
  verifyCrc: bool,
  count: i32,
  records: usize,
  times: usize,
  headers: usize,
  headerCapacity: i32,
  baseOffset: f64,
  baseTimestamp: f64,
  lastOffsetDelta: i32,
  logAppendTime: f64,
): i32 {
  if (size > batchBytesMax) return fail(ERROR_BATCH_TOO_LARGE, -1, -1, size);
  if (size < BATCH_HEADER_BYTES) return fail(ERROR_RECORD_PAST_END, -1, 0, size);
  if (verifyCrc) {
    const crc = verifyBatchCrc(batch, size);
    if (crc < 0) return crc;
  }
  return decodeRecords(
    batch,
    batch + <usize>BATCH_HEADER_BYTES,
    batch + <usize>size,
    count,
    records,
    times,
    headers,
    headerCapacity,
    baseOffset,
    baseTimestamp,
    lastOffsetDelta,
    logAppendTime,
  );
}

/**
 * Decodes `count` records in [start, end) into the output columns. Positions
 * are relative to `base`. `logAppendTime` is NaN for create-time batches;
 * otherwise every record's timestamp is that value (Kafka's rule).
 * Returns the total header count, or a negated error code.
 */
export function decodeRecords(
  base: usize,
  start: usize,
  end: usize,
  count: i32,
  records: usize,
  times: usize,
  headers: usize,
  headerCapacity: i32,
  baseOffset: f64,
  baseTimestamp: f64,
  lastOffsetDelta: i32,
  logAppendTime: f64,
): i32 {
  // Seven bytes is the smallest record (a one-byte varint per field), so a
  // count the bytes cannot hold is refused before any column is touched.
  if (count < 0 || count > recordsPerBatchMax || <u64>count * 7 > <u64>(end - start)) {
    return fail(ERROR_RECORD_COUNT, -1, -1, count);
  }
  const n = <usize>count;
  const keyStarts = records;
  const keyLengths = records + (n << 2);
  const valueStarts = records + (n << 3);
  const valueLengths = records + n * 12;
  const headerFirsts = records + (n << 4);
  const headerCounts = records + n * 20;
  const offsets = times;
  const timestamps = times + (n << 3);
  const fixedTime = !isNaN(logAppendTime);
  const baseTime = <i64>baseTimestamp;

  let headerTotal: i32 = 0;
  let previousDelta: i32 = -1;
  resetReader(start);
  for (let i = 0; i < count; i++) {
    const recordAt = readAt;
    if (recordAt >= end) return fail(ERROR_TOO_FEW_RECORDS, i, <i32>(recordAt - base), count);
    const length = readVarint(end);
    if (readFault) return varintFault(i, base);
    if (length < 0) return fail(ERROR_RECORD_LENGTH_NEGATIVE, i, <i32>(recordAt - base), length);
    const bodyAt = readAt;
    if (<usize>length > end - bodyAt) return fail(ERROR_RECORD_PAST_END, i, <i32>(recordAt - base), length);
    const recordEnd = bodyAt + <usize>length;
    if (length < 1) return fail(ERROR_RECORD_LENGTH_MISMATCH, i, <i32>(recordAt - base), length);
    resetReader(bodyAt + 1); // attributes: unused by every version so far
    const timestampDelta = readVarlong(recordEnd);
    const offsetDelta = readVarint(recordEnd);
    const keyLength = readVarint(recordEnd);
    if (readFault) return varintFault(i, base);
    if (offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
      return fail(ERROR_OFFSET_DELTA, i, <i32>(recordAt - base), offsetDelta);
    }
    previousDelta = offsetDelta;
    if (keyLength < -1 || <usize>max(keyLength, 0) > recordEnd - readAt) {
      return fail(ERROR_KEY_LENGTH, i, <i32>(readAt - base), keyLength);
    }
    const keyStart = <i32>(readAt - base);
    readAt += <usize>max(keyLength, 0);
    const valueLength = readVarint(recordEnd);
    if (readFault) return varintFault(i, base);
    if (valueLength < -1 || <usize>max(valueLength, 0) > recordEnd - readAt) {
      return fail(ERROR_VALUE_LENGTH, i, <i32>(readAt - base), valueLength);
    }
    const valueStart = <i32>(readAt - base);
    readAt += <usize>max(valueLength, 0);
    const headerCount = readVarint(recordEnd);
    if (readFault) return varintFault(i, base);
    // Each header takes at least two bytes, which bounds the loop below.
    if (headerCount < 0 || <usize>headerCount > (recordEnd - readAt) >> 1) {
      return fail(ERROR_HEADER_COUNT, i, <i32>(readAt - base), headerCount);
    }
    if (headerCount > headerCapacity - headerTotal) return fail(ERROR_HEADER_CAPACITY, i, <i32>(readAt - base), headerCapacity);
    const first = headerTotal;
    for (let j = 0; j < headerCount; j++) {
      const hk = readVarint(recordEnd);
      if (readFault) return varintFault(i, base);
      if (hk < 0 || <usize>hk > recordEnd - readAt) return fail(ERROR_HEADER_KEY_LENGTH, i, <i32>(readAt - base), hk);
      const hkStart = <i32>(readAt - base);
      readAt += <usize>hk;
      const hv = readVarint(recordEnd);
      if (readFault) return varintFault(i, base);
      if (hv < -1 || <usize>max(hv, 0) > recordEnd - readAt) return fail(ERROR_HEADER_VALUE_LENGTH, i, <i32>(readAt - base), hv);
      const hvStart = <i32>(readAt - base);
      readAt += <usize>max(hv, 0);
      const h = headers + ((<usize>headerTotal * <usize>DECODE_HEADER_STRIDE) << 2);
      store<i32>(h, hkStart);
      store<i32>(h, hk, 4);
      store<i32>(h, hvStart, 8);
      store<i32>(h, hv, 12);
      headerTotal++;
    }
    if (readAt != recordEnd) return fail(ERROR_RECORD_LENGTH_MISMATCH, i, <i32>(recordAt - base), length);

    let timestamp: f64;
    if (fixedTime) {
      timestamp = logAppendTime;
    } else {
      const t = baseTime + timestampDelta;
      if (t > SAFE_INTEGER_MAX || t < -SAFE_INTEGER_MAX) return fail(ERROR_TIMESTAMP_RANGE, i, <i32>(recordAt - base), <f64>timestampDelta);
      timestamp = <f64>t;
    }
    const column = <usize>i << 2;
    store<i32>(keyStarts + column, keyStart);
    store<i32>(keyLengths + column, keyLength);
    store<i32>(valueStarts + column, valueStart);
    store<i32>(valueLengths + column, valueLength);
    store<i32>(headerFirsts + column, first);
    store<i32>(headerCounts + column, headerCount);
    store<f64>(offsets + (<usize>i << 3), baseOffset + <f64>offsetDelta);
    store<f64>(timestamps + (<usize>i << 3), timestamp);
  }
  if (readAt != end) return fail(ERROR_TRAILING_BYTES, count, <i32>(readAt - base), <f64>(end - readAt));
  return headerTotal;
}

function varintFault(record: i32, base: usize): i32 {
  const code = readFault == FAULT_VARINT_PAST_END ? ERROR_VARINT_PAST_END : ERROR_VARINT_TOO_LONG;
  return fail(code, record, <i32>(readAt - base), 0);
}
