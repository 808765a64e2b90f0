// The fixed 61-byte header of a Kafka RecordBatch (magic 2), read and checked
// without decoding records. This is all the log needs to index, validate and
// serve a batch; record-level encode/decode lives in record-batch.ts.
//
//   offset size field
//   0      8    baseOffset            int64
//   8      4    batchLength           int32, bytes after this field (total = batchLength + 12)
//   12     4    partitionLeaderEpoch  int32
//   16     1    magic                 int8, must be 2
//   17     4    crc                   uint32, CRC-32C of bytes [21, end)
//   21     2    attributes            int16: bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control, 6 delete horizon
//   23     4    lastOffsetDelta       int32
//   27     8    baseTimestamp         int64
//   35     8    maxTimestamp          int64
//   43     8    producerId            int64
//   51     2    producerEpoch         int16
//   53     4    baseSequence          int32
//   57     4    recordCount           int32
//   61     ...  records
// The CRC does not cover baseOffset, batchLength or partitionLeaderEpoch, so the
// broker can assign offsets by rewriting baseOffset without re-encoding.
import { crc32c } from '../hash.js'

export const BATCH_HEADER_BYTES = 61
/** Bytes before batchLength's coverage begins (baseOffset + batchLength). */
export const BATCH_LOG_OVERHEAD = 12
export const BATCH_CRC_START = 21
export const MAGIC_V2 = 2

export const Offsets = {
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
} as const

export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export const CODEC_IDS: Record<CompressionCodec, number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 }
export const CODEC_NAMES: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export const ATTR_CODEC_MASK = 0x07
export const ATTR_LOG_APPEND_TIME = 0x08
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
export const ATTR_DELETE_HORIZON = 0x40

export interface BatchHeader {
  baseOffset: number
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  batchLength: number
  partitionLeaderEpoch: number
  magic: number
  crc: number
  attributes: number
  compression: CompressionCodec
  timestampType: 'create' | 'log-append'
  isTransactional: boolean
  isControl: boolean
  lastOffsetDelta: number
  baseTimestamp: number
  maxTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
  recordCount: number
}

/** Thrown when bytes are not a valid RecordBatch v2; the message names the field at fault. */
export class CorruptBatchError extends Error {
  override name = 'CorruptBatchError'
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** High words of the int64s just inside the safe integer range: [-2^21, 2^21). */
const SAFE_HIGH_MIN = -0x200000
const SAFE_HIGH_END = 0x200000

/**
 * A big-endian int64 as a number, read as two 32-bit halves: getBigInt64 would
 * allocate a BigInt per field, and headers are read on every append and fetch.
 */
function int64(dv: DataView, at: number, field: string): number {
  const high = dv.getInt32(at)
  const low = dv.getUint32(at + 4)
  // -2^53 (high -2^21, low 0) is the one value with a safe-range high word that is not safe.
  if (high < SAFE_HIGH_MIN || high >= SAFE_HIGH_END || (high === SAFE_HIGH_MIN && low === 0)) {
    throw new CorruptBatchError(`record batch ${field} ${dv.getBigInt64(at)} is outside the safe integer range`)
  }
  return high * 0x100000000 + low
}

/** Reads the header of the batch starting at `at`. Checks only that 61 bytes are there. */
export function readBatchHeader(bytes: Uint8Array, at = 0): BatchHeader {
  if (bytes.length - at < BATCH_HEADER_BYTES) {
    throw new CorruptBatchError(`record batch header truncated: ${bytes.length - at} bytes, need ${BATCH_HEADER_BYTES}`)
  }
  const dv = view(bytes)
  const attributes = dv.getInt16(at + Offsets.attributes)
  return {
    baseOffset: int64(dv, at + Offsets.baseOffset, 'baseOffset'),
    batchLength: dv.getInt32(at + Offsets.batchLength),
    partitionLeaderEpoch: dv.getInt32(at + Offsets.partitionLeaderEpoch),
    magic: dv.getInt8(at + Offsets.magic),
    crc: dv.getUint32(at + Offsets.crc),
    attributes,
    compression: CODEC_NAMES[attributes & ATTR_CODEC_MASK] ?? (`unknown(${attributes & ATTR_CODEC_MASK})` as CompressionCodec),
    timestampType: attributes & ATTR_LOG_APPEND_TIME ? 'log-append' : 'create',
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    lastOffsetDelta: dv.getInt32(at + Offsets.lastOffsetDelta),
    baseTimestamp: int64(dv, at + Offsets.baseTimestamp, 'baseTimestamp'),
    maxTimestamp: int64(dv, at + Offsets.maxTimestamp, 'maxTimestamp'),
    producerId: int64(dv, at + Offsets.producerId, 'producerId'),
    producerEpoch: dv.getInt16(at + Offsets.producerEpoch),
    baseSequence: dv.getInt32(at + Offsets.baseSequence),
    recordCount: dv.getInt32(at + Offsets.recordCount),
  }
}

/** Total size in bytes of the batch at `at` (batchLength + 12), or -1 if fewer than 12 bytes remain. */
export function batchSizeAt(bytes: Uint8Array, at = 0): number {
  if (bytes.length - at < BATCH_LOG_OVERHEAD) return -1
  return view(bytes).getInt32(at + Offsets.batchLength) + BATCH_LOG_OVERHEAD
}

/**
 * The complete batches in `bytes` (stored batches back to back, as a read or a
 * Fetch returns them), as views; a cut-short trailing batch is not yielded.
 */
export function* wholeBatches(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0, size = 0; (size = wholeBatchSizeAt(bytes, at)) > 0; at += size) yield bytes.subarray(at, at + size)
}

/**
 * The size of the complete batch starting at `at` in stored batches back to
 * back, or 0 when none does (the end, a cut-short batch or a bad length): the
 * step of wholeBatches, for loops that walk batches without a generator.
 */
export function wholeBatchSizeAt(bytes: Uint8Array, at: number): number {
  if (at + BATCH_LOG_OVERHEAD > bytes.length) return 0
  const size = batchSizeAt(bytes, at)
  return size < BATCH_LOG_OVERHEAD || at + size > bytes.length ? 0 : size
}

/** CRC-32C over attributes..end, as stored in the crc field. */
export function computeBatchCrc(batch: Uint8Array): number {
  return crc32c(batch.subarray(BATCH_CRC_START))
}

/**
 * Validates one complete batch (exactly `batch.length` bytes): size, magic, CRC
 * (unless `verifyCrc` is false: the caller computed it over these bytes itself),
 * record count and offset delta. Throws CorruptBatchError naming the problem.
 */
export function validateBatch(batch: Uint8Array, maxBatchBytes = 0x7fffffff, verifyCrc = true): BatchHeader {
  const header = readBatchHeader(batch)
  if (header.batchLength + BATCH_LOG_OVERHEAD !== batch.length) {
    throw new CorruptBatchError(`record batch length field says ${header.batchLength + BATCH_LOG_OVERHEAD} bytes but ${batch.length} were given`)
  }
  if (batch.length > maxBatchBytes) throw new CorruptBatchError(`record batch of ${batch.length} bytes exceeds the limit of ${maxBatchBytes}`)
  if (header.magic !== MAGIC_V2) throw new CorruptBatchError(`record batch magic is ${header.magic}, only magic 2 (RecordBatch v2) is supported`)
  const crc = verifyCrc ? computeBatchCrc(batch) : header.crc
  if (crc !== header.crc) {
    throw new CorruptBatchError(`record batch CRC-32C mismatch: stored 0x${header.crc.toString(16)}, computed 0x${crc.toString(16)}`)
  }
  if ((header.attributes & ATTR_CODEC_MASK) > 4) throw new CorruptBatchError(`record batch uses unknown compression codec id ${header.attributes & ATTR_CODEC_MASK}`)
  if (header.recordCount < 0 || header.lastOffsetDelta < 0 || (header.recordCount > 0 && header.lastOffsetDelta < header.recordCount - 1)) {
    throw new CorruptBatchError(`record batch has ${header.recordCount} records but lastOffsetDelta ${header.lastOffsetDelta}`)
  }
  return header
}

/** Rewrites baseOffset in place (outside the CRC, so no re-encoding is needed). */
export function setBaseOffset(batch: Uint8Array, baseOffset: number, at = 0): void {
  if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) throw new RangeError(`baseOffset must be a non-negative safe integer, got ${baseOffset}`)
  // Two 32-bit halves rather than a BigInt per append.
  const dv = view(batch)
  dv.setUint32(at + Offsets.baseOffset, Math.floor(baseOffset / 0x100000000))
  dv.setUint32(at + Offsets.baseOffset + 4, baseOffset >>> 0)
}

/** Rewrites partitionLeaderEpoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(batch: Uint8Array, epoch: number, at = 0): void {
  view(batch).setInt32(at + Offsets.partitionLeaderEpoch, epoch)
}
