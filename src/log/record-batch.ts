// Kafka RecordBatch v2, encoded and decoded in batch.wasm, bit-exact with
// Apache Kafka's DefaultRecordBatch / DefaultRecord (header layout in
// batch-header.ts, record layout in assembly/recordbatch/encoder.ts).
//
// Encoding packs every record into Wasm memory in one JS pass, then makes one
// Wasm call that writes records, header fields and CRC. Decoding copies the
// batch into Wasm memory once and makes one call that checks the CRC and
// produces columns of positions; keys and values are never copied.
import {
  ATTR_CONTROL,
  ATTR_LOG_APPEND_TIME,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  CODEC_IDS,
  CorruptBatchError,
  MAGIC_V2,
  Offsets,
  computeBatchCrc,
  readBatchHeader,
  type BatchHeader,
  type CompressionCodec,
} from './batch-header.js'
import { CompressionError, compress, decompress } from './compression/index.js'
import { DecodedBatch } from './decoded-batch.js'
import { batchBytesMax, decompressedBytesMax, recordsPerBatchMax } from './limits.js'
import {
  decodeBatchInWasm,
  decodeRecordsInWasm,
  describeWasmError,
  encodePackedBatch,
  encodePackedRecords,
  packRecords,
  sealWrittenBatch,
  setInt64,
  verifyCrcInWasm,
  writeFixedHeader,
  writeRecordColumns,
  writtenRecordsSection,
  type DecodeParams,
  type FixedHeaderFields,
  type RecordColumns,
} from '../wasm/batch.js'

export type { RecordColumns } from '../wasm/batch.js'

export { DecodedBatch } from './decoded-batch.js'
export type { DecodedRecord, RecordHeader } from './decoded-batch.js'

export interface RecordInput {
  key?: Uint8Array | string | null
  value: Uint8Array | string | null
  headers?: { key: string; value: Uint8Array | string | null }[]
  /** Milliseconds; defaults to the time of the encode call. */
  timestamp?: number
  /**
   * Offset relative to baseOffset, for re-encoding records that keep their
   * offsets (compaction). Give it on every record or none; strictly increasing.
   */
  offsetDelta?: number
}

export interface EncodeOptions {
  baseOffset?: number
  /** Defaults to the first record's timestamp (as Kafka's producer does). */
  baseTimestamp?: number
  compression?: CompressionCodec
  producerId?: number
  producerEpoch?: number
  baseSequence?: number
  transactional?: boolean
  control?: boolean
  timestampType?: 'create' | 'log-append'
  partitionLeaderEpoch?: number
  /** Defaults to the last record's offsetDelta; larger when compaction removed the last records. */
  lastOffsetDelta?: number
  /** For log-append-time batches: the broker's append time, stored as maxTimestamp. */
  logAppendTime?: number
}

export interface DecodeOptions {
  /** Check the CRC-32C before trusting anything else (default true). */
  verifyCrc?: boolean
  /** Limit on the decompressed records section (default decompressedBytesMax). */
  decompressedBytesMax?: number
}

/** Kafka's "no producer" / "no sequence" / "no epoch" sentinels. */
const NO_PRODUCER_ID = -1
const NO_PRODUCER_EPOCH = -1
const NO_SEQUENCE = -1
const NO_PARTITION_LEADER_EPOCH = -1
const INT16_MIN = -0x8000
const INT16_MAX = 0x7fff
const INT32_MIN = -0x80000000
const INT32_MAX = 0x7fffffff
/** The smallest encoded record: seven one-byte fields. */
const RECORD_BYTES_MIN = 7

// ------------------------------------------------------------------ encode

/** Encodes records as one RecordBatch v2 (compressed if asked) and returns its bytes. */
export function encodeRecordBatch(records: readonly RecordInput[], options: EncodeOptions = {}): Uint8Array {
  if (!Array.isArray(records)) throw new TypeError(`encodeRecordBatch needs an array of records, got ${records === null ? 'null' : typeof records}`)
  const codec = checkEncodeCall('encodeRecordBatch', options, records.length)

  const now = Date.now()
  const packed = packRecords(records, now, codec === 'none' ? batchBytesMax : decompressedBytesMax)
  const { baseTimestamp, lastOffsetDelta, fields, logAppendTime: maxTimestampOverride } = checkedHeader(options, codec, packed.firstTimestamp, packed.lastDelta)

  if (codec === 'none') {
    const batch = encodePackedBatch(packed, fields, lastOffsetDelta, maxTimestampOverride)
    if (typeof batch === 'number') throw new RangeError(`encodeRecordBatch: ${describeWasmError(batch)}`)
    return batch
  }
  const section = encodePackedRecords(packed, baseTimestamp)
  if (typeof section === 'number') throw new RangeError(`encodeRecordBatch: ${describeWasmError(section)}`)
  if (section.records.length > decompressedBytesMax) {
    throw new RangeError(`records section of ${section.records.length} bytes exceeds decompressedBytesMax (${decompressedBytesMax}); readers would refuse it`)
  }
  const compressed = compress(codec, section.records)
  const maxTimestamp = Number.isNaN(maxTimestampOverride) ? section.maxTimestamp : maxTimestampOverride
  return sealCompressedBatch(compressed, fields, packed.count, lastOffsetDelta, maxTimestamp)
}

/**
 * Encodes records given as columns (keys, values, timestamps, optional
 * headers: the producer's accumulator, no object per record) as one
 * RecordBatch v2. The bytes, and the errors for bad input, are exactly those
 * of encodeRecordBatch over the same records; the records are written straight
 * into their final layout in Wasm memory in one pass (no packing step).
 * Explicit offset deltas are not supported here (records are numbered 0..n-1).
 * `allocate(size)`, when given, provides the memory for an uncompressed batch
 * (exactly `size` bytes), e.g. from a pool; otherwise it is allocated fresh.
 */
export function encodeRecordColumns(columns: RecordColumns, options: EncodeOptions = {}, allocate?: (size: number) => Uint8Array): Uint8Array {
  const count = columns.count
  const codec = checkEncodeCall('encodeRecordColumns', options, count)

  const written = writeRecordColumns(columns, Date.now(), options.baseTimestamp ?? Number.NaN, codec === 'none' ? batchBytesMax : decompressedBytesMax)
  const { baseTimestamp, lastOffsetDelta, fields, logAppendTime } = checkedHeader(options, codec, written.firstTimestamp, count - 1)
  const maxTimestamp = !Number.isNaN(logAppendTime) ? logAppendTime : count > 0 ? written.maxTimestamp : baseTimestamp

  if (codec === 'none') {
    const batch = sealWrittenBatch(written, fields, lastOffsetDelta, maxTimestamp, allocate)
    if (typeof batch === 'number') throw new RangeError(`encodeRecordBatch: ${describeWasmError(batch)}`)
    return batch
  }
  const section = writtenRecordsSection(written)
  if (section.length > decompressedBytesMax) {
    throw new RangeError(`records section of ${section.length} bytes exceeds decompressedBytesMax (${decompressedBytesMax}); readers would refuse it`)
  }
  const compressed = compress(codec, section)
  return sealCompressedBatch(compressed, fields, count, lastOffsetDelta, maxTimestamp)
}

/** The checks both encoders make before reading any record; returns the codec. */
function checkEncodeCall(what: string, options: EncodeOptions, count: number): CompressionCodec {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what} options must be an object, got ${options === null ? 'null' : typeof options}`)
  if (count > recordsPerBatchMax) throw new RangeError(`a batch holds at most recordsPerBatchMax = ${recordsPerBatchMax} records, got ${count}`)
  const codec = options.compression ?? 'none'
  if (!Object.hasOwn(CODEC_IDS, codec)) throw new TypeError(`compression must be one of ${Object.keys(CODEC_IDS).join(', ')}, got ${JSON.stringify(codec)}`)
  return codec
}

/**
 * The header values both encoders check once the records are written: the
 * base timestamp (the first record's unless given), the last offset delta,
 * the fixed fields, and the log-append time (NaN when not given).
 */
function checkedHeader(
  options: EncodeOptions,
  codec: CompressionCodec,
  firstTimestamp: number,
  lastDelta: number,
): { baseTimestamp: number; lastOffsetDelta: number; fields: FixedHeaderFields; logAppendTime: number } {
  const baseTimestamp = options.baseTimestamp ?? firstTimestamp
  checkInteger('baseTimestamp', baseTimestamp, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
  const lastOffsetDelta = options.lastOffsetDelta ?? lastDelta
  checkInteger('lastOffsetDelta', lastOffsetDelta, Math.max(lastDelta, 0), INT32_MAX)
  const fields = headerFields(options, codec, baseTimestamp)
  if (fields.baseOffset + lastOffsetDelta > Number.MAX_SAFE_INTEGER) {
    throw new RangeError(`baseOffset ${fields.baseOffset} + lastOffsetDelta ${lastOffsetDelta} is past the safe integer range`)
  }
  let logAppendTime = Number.NaN
  if (options.logAppendTime !== undefined) {
    if (options.timestampType !== 'log-append') throw new TypeError(`logAppendTime needs timestampType 'log-append'`)
    checkInteger('logAppendTime', options.logAppendTime, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)
    logAppendTime = options.logAppendTime
  }
  return { baseTimestamp, lastOffsetDelta, fields, logAppendTime }
}

function headerFields(options: EncodeOptions, codec: CompressionCodec, baseTimestamp: number): FixedHeaderFields {
  const baseOffset = options.baseOffset ?? 0
  checkInteger('baseOffset', baseOffset, 0, Number.MAX_SAFE_INTEGER)
  const producerId = options.producerId ?? NO_PRODUCER_ID
  checkInteger('producerId', producerId, -1, Number.MAX_SAFE_INTEGER)
  const producerEpoch = options.producerEpoch ?? NO_PRODUCER_EPOCH
  checkInteger('producerEpoch', producerEpoch, INT16_MIN, INT16_MAX)
  const baseSequence = options.baseSequence ?? NO_SEQUENCE
  checkInteger('baseSequence', baseSequence, -1, INT32_MAX)
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH
  checkInteger('partitionLeaderEpoch', partitionLeaderEpoch, INT32_MIN, INT32_MAX)
  const timestampType = options.timestampType ?? 'create'
  if (timestampType !== 'create' && timestampType !== 'log-append') {
    throw new TypeError(`timestampType must be 'create' or 'log-append', got ${JSON.stringify(timestampType)}`)
  }
  for (const flag of ['transactional', 'control'] as const) {
    if (options[flag] !== undefined && typeof options[flag] !== 'boolean') throw new TypeError(`${flag} must be a boolean, got ${typeof options[flag]}`)
  }
  const attributes =
    CODEC_IDS[codec] |
    (timestampType === 'log-append' ? ATTR_LOG_APPEND_TIME : 0) |
    (options.transactional ? ATTR_TRANSACTIONAL : 0) |
    (options.control ? ATTR_CONTROL : 0)
  return { baseOffset, partitionLeaderEpoch, attributes, baseTimestamp, producerId, producerEpoch, baseSequence }
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${typeof value === 'number' ? value : typeof value}`)
  }
}

/** Header + compressed records section + CRC (computed in core.wasm). */
function sealCompressedBatch(compressed: Uint8Array, fields: FixedHeaderFields, count: number, lastOffsetDelta: number, maxTimestamp: number): Uint8Array {
  const size = BATCH_HEADER_BYTES + compressed.length
  if (size > batchBytesMax) throw new RangeError(`compressed batch of ${size} bytes exceeds batchBytesMax (${batchBytesMax})`)
  const batch = new Uint8Array(size)
  const view = new DataView(batch.buffer)
  writeFixedHeader(view, 0, fields)
  view.setInt32(Offsets.batchLength, size - BATCH_LOG_OVERHEAD)
  view.setInt32(Offsets.lastOffsetDelta, lastOffsetDelta)
  setInt64(view, Offsets.maxTimestamp, maxTimestamp)
  view.setInt32(Offsets.recordCount, count)
  batch.set(compressed, BATCH_HEADER_BYTES)
  view.setUint32(Offsets.crc, computeBatchCrc(batch))
  return batch
}

// ------------------------------------------------------------------ decode

/**
 * Decodes one complete batch (exactly `batch.length` bytes) into columns.
 * Throws CorruptBatchError naming the problem for anything malformed.
 */
export function decodeRecordBatch(batch: Uint8Array, options: DecodeOptions = {}): DecodedBatch {
  if (!(batch instanceof Uint8Array)) throw new TypeError(`decodeRecordBatch needs a Uint8Array, got ${batch === null ? 'null' : typeof batch}`)
  const verifyCrc = options.verifyCrc ?? true
  const bytesMax = options.decompressedBytesMax ?? decompressedBytesMax
  if (!Number.isSafeInteger(bytesMax) || bytesMax < 0) throw new RangeError(`decompressedBytesMax must be a non-negative integer, got ${String(bytesMax)}`)

  const header = readBatchHeader(batch)
  checkFraming(batch, header)
  const compressed = header.compression !== 'none'
  const countProblem = recordCountProblem(header, compressed ? Number.POSITIVE_INFINITY : batch.length - BATCH_HEADER_BYTES)
  if (countProblem !== '') {
    // A flipped bit in the count is better reported as the CRC mismatch it also causes.
    if (verifyCrc) throwIfCrcBad(batch)
    throw new CorruptBatchError(`record batch ${countProblem}`)
  }
  const params: DecodeParams = {
    count: header.recordCount,
    baseOffset: header.baseOffset,
    baseTimestamp: header.baseTimestamp,
    lastOffsetDelta: header.lastOffsetDelta,
    logAppendTime: header.timestampType === 'log-append' ? header.maxTimestamp : Number.NaN,
  }
  if (!compressed) {
    const columns = decodeBatchInWasm(batch, verifyCrc, params)
    if (typeof columns === 'number') throw new CorruptBatchError(`record batch: ${describeWasmError(columns)}`)
    return new DecodedBatch(header, batch, columns.records, columns.times, columns.headers)
  }
  if (verifyCrc) throwIfCrcBad(batch)
  let section: Uint8Array
  try {
    section = decompress(header.compression, batch.subarray(BATCH_HEADER_BYTES), bytesMax)
  } catch (error) {
    if (error instanceof CompressionError) throw new CorruptBatchError(`record batch records section: ${error.message}`, { cause: error })
    throw error
  }
  if (header.recordCount * RECORD_BYTES_MIN > section.length) {
    throw new CorruptBatchError(`record batch declares ${header.recordCount} records but its decompressed records section holds only ${section.length} bytes`)
  }
  const columns = decodeRecordsInWasm(section, params)
  if (typeof columns === 'number') throw new CorruptBatchError(`record batch (decompressed ${header.compression} records section): ${describeWasmError(columns)}`)
  return new DecodedBatch(header, section, columns.records, columns.times, columns.headers)
}

/** Size, magic and codec: what must hold before the CRC can even be located. */
function checkFraming(batch: Uint8Array, header: BatchHeader): void {
  if (header.batchLength + BATCH_LOG_OVERHEAD !== batch.length) {
    throw new CorruptBatchError(`record batch length field says ${header.batchLength + BATCH_LOG_OVERHEAD} bytes but ${batch.length} were given`)
  }
  if (batch.length > batchBytesMax) throw new CorruptBatchError(`record batch of ${batch.length} bytes exceeds batchBytesMax (${batchBytesMax})`)
  if (header.magic !== MAGIC_V2) throw new CorruptBatchError(`record batch magic is ${header.magic}, only magic 2 (RecordBatch v2) is supported`)
  if (!Object.hasOwn(CODEC_IDS, header.compression)) {
    throw new CorruptBatchError(`record batch uses unknown compression codec id ${header.attributes & 0x07}`)
  }
}

/** Why the count fields cannot be right, or '' if they can. */
function recordCountProblem(header: BatchHeader, sectionBytes: number): string {
  const count = header.recordCount
  if (count < 0 || count > recordsPerBatchMax) return `record count ${count} is outside 0..recordsPerBatchMax (${recordsPerBatchMax})`
  if (count * RECORD_BYTES_MIN > sectionBytes) return `declares ${count} records but its records section holds only ${sectionBytes} bytes`
  if (header.lastOffsetDelta < 0 || header.lastOffsetDelta < count - 1) return `has ${count} records but lastOffsetDelta ${header.lastOffsetDelta}`
  if (header.baseOffset < 0 || header.baseOffset + header.lastOffsetDelta > Number.MAX_SAFE_INTEGER) {
    return `baseOffset ${header.baseOffset} + lastOffsetDelta ${header.lastOffsetDelta} is outside the offset range`
  }
  return ''
}

function throwIfCrcBad(batch: Uint8Array): void {
  const result = verifyCrcInWasm(batch)
  if (result < 0) throw new CorruptBatchError(`record batch: ${describeWasmError(result)} (stored 0x${readBatchHeader(batch).crc.toString(16)})`)
}

/** The offset of the record after this batch (baseOffset + lastOffsetDelta + 1). */
export function nextOffsetOf(header: BatchHeader): number {
  return header.baseOffset + header.lastOffsetDelta + 1
}

