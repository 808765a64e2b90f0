// Why an encode or decode call failed. Kernels return the negated code; the
// record index, byte position and offending value are kept in globals that
// src/wasm/batch.ts reads to build a CorruptBatchError message.

export const ERROR_CRC_MISMATCH: i32 = 1;
export const ERROR_VARINT_PAST_END: i32 = 2;
export const ERROR_VARINT_TOO_LONG: i32 = 3;
export const ERROR_RECORD_LENGTH_NEGATIVE: i32 = 4;
export const ERROR_RECORD_PAST_END: i32 = 5;
export const ERROR_KEY_LENGTH: i32 = 6;
export const ERROR_VALUE_LENGTH: i32 = 7;
export const ERROR_HEADER_COUNT: i32 = 8;
export const ERROR_HEADER_KEY_LENGTH: i32 = 9;
export const ERROR_HEADER_VALUE_LENGTH: i32 = 10;
export const ERROR_RECORD_LENGTH_MISMATCH: i32 = 11;
export const ERROR_TRAILING_BYTES: i32 = 12;
export const ERROR_TOO_FEW_RECORDS: i32 = 13;
export const ERROR_OFFSET_DELTA: i32 = 14;
export const ERROR_TIMESTAMP_RANGE: i32 = 15;
export const ERROR_HEADER_CAPACITY: i32 = 16;
export const ERROR_RECORD_COUNT: i32 = 17;
export const ERROR_BATCH_TOO_LARGE: i32 = 18;
export const ERROR_OUTPUT_CAPACITY: i32 = 19;

let errorRecord: i32 = -1;
let errorPosition: i32 = -1;
let errorValue: f64 = 0;

/** Records a failure and returns its negated code, for `return fail(...)`. */
export function fail(code: i32, record: i32, position: i32, value: f64): i32 {
  errorRecord = record;
  errorPosition = position;
  errorValue = value;
  return -code;
}

export function lastErrorRecord(): i32 {
  return errorRecord;
}

export function lastErrorPosition(): i32 {
  return errorPosition;
}

export function lastErrorValue(): f64 {
  return errorValue;
}
