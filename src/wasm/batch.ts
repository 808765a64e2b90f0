// The one place that knows batch.wasm's exports and memory layout (drawn in
// assembly/recordbatch/layout.ts). src/log/record-batch.ts goes through here.
//
// Memory rule, as in core.ts: linear memory only grows inside `alloc`, so the
// views below are refreshed there (`refreshViews`) and nowhere else. Hot loops
// copy them into locals and re-read them after any call that may allocate.
import { wasmBase64 } from './generated/batch.js'
import { describe } from './core.js'
import { instantiateEmbedded } from './load.js'

export interface BatchExports extends Record<string, unknown> {
  alloc(size: number): number
  dealloc(ptr: number): void
  encodeBatch(
    batch: number,
    capacity: number,
    data: number,
    meta: number,
    headers: number,
    timestamps: number,
    deltas: number,
    count: number,
    baseTimestamp: number,
    lastOffsetDelta: number,
    maxTimestampOverride: number,
  ): number
  encodeRecords(
    out: number,
    capacity: number,
    data: number,
    meta: number,
    headers: number,
    timestamps: number,
    deltas: number,
    count: number,
    baseTimestamp: number,
  ): number
  lastMaxTimestamp(): number
  sealWrittenBatch(batch: number, size: number, count: number, lastOffsetDelta: number, maxTimestamp: number): number
  decodeBatch(
    batch: number,
    size: number,
    verifyCrc: number,
    count: number,
    records: number,
    times: number,
    headers: number,
    headerCapacity: number,
    baseOffset: number,
    baseTimestamp: number,
    lastOffsetDelta: number,
    logAppendTime: number,
  ): number
  decodeRecords(
    base: number,
    start: number,
    end: number,
    count: number,
    records: number,
    times: number,
    headers: number,
    headerCapacity: number,
    baseOffset: number,
    baseTimestamp: number,
    lastOffsetDelta: number,
    logAppendTime: number,
  ): number
  verifyBatchCrc(batch: number, size: number): number
  lastErrorRecord(): number
  lastErrorPosition(): number
  lastErrorValue(): number
  recordsPerBatchMax: WebAssembly.Global
  batchBytesMax: WebAssembly.Global
  decompressedBytesMax: WebAssembly.Global
}

export const batchWasm = await instantiateEmbedded<BatchExports>(wasmBase64)

// Layout constants, mirrored from assembly/recordbatch/layout.ts.
const META_STRIDE = 3
const HEADER_STRIDE = 2
const DECODE_RECORD_COLUMNS = 6
const DECODE_HEADER_STRIDE = 4
export const BATCH_HEADER_BYTES = 61
/** Worst-case bytes a record adds besides its data: length 5, attributes 1, timestamp 10, offset 5, key/value lengths 10, header count 5. */
const RECORD_OVERHEAD_BYTES_MAX = 36
/** Worst-case bytes a header adds besides its data: two length varints. */
const HEADER_OVERHEAD_BYTES_MAX = 10
/** Strings at most this long are written by a charCode loop; longer ones by Buffer#write or TextEncoder.encodeInto. */
const ASCII_LOOP_CHARS_MAX = 64
/** Byte arrays at most this long are copied by a loop; longer ones by TypedArray.set. */
const BYTE_LOOP_MAX = 24

export let heapU8 = new Uint8Array(batchWasm.memory.buffer)
export let heapI32 = new Int32Array(batchWasm.memory.buffer)
export let heapF64 = new Float64Array(batchWasm.memory.buffer)
export let heapView = new DataView(batchWasm.memory.buffer)

/** Node's Buffer, when present: its `write` encodes UTF-8 in place, without the subarray encodeInto needs. */
interface Utf8Writer extends Uint8Array {
  write(text: string, offset: number, length: number, encoding: 'utf8'): number
}
const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBuffer): Utf8Writer; byteLength(text: string, encoding: 'utf8'): number } }).Buffer
let heapWriter: Utf8Writer | null = NodeBuffer ? NodeBuffer.from(batchWasm.memory.buffer) : null

function refreshViews(): void {
  if (heapU8.buffer === batchWasm.memory.buffer) return
  heapU8 = new Uint8Array(batchWasm.memory.buffer)
  heapI32 = new Int32Array(batchWasm.memory.buffer)
  heapF64 = new Float64Array(batchWasm.memory.buffer)
  heapView = new DataView(batchWasm.memory.buffer)
  if (NodeBuffer) heapWriter = NodeBuffer.from(batchWasm.memory.buffer)
}

function wasmAlloc(size: number): number {
  const ptr = batchWasm.alloc(size) >>> 0
  refreshViews()
  return ptr
}

/** A reusable block of batch.wasm memory, 8-byte aligned, that grows on demand and never shrinks. */
class Region {
  ptr = 0
  capacity = 0

  /** Makes room for `bytes`; earlier contents are not kept. */
  ensure(bytes: number): number {
    if (bytes > this.capacity) this.resize(bytes, 0)
    return this.ptr
  }

  /** Makes room for `bytes`, keeping the first `keepBytes`. */
  grow(bytes: number, keepBytes: number): number {
    if (bytes > this.capacity) this.resize(bytes, keepBytes)
    return this.ptr
  }

  private resize(bytes: number, keepBytes: number): void {
    const capacity = Math.max(bytes, this.capacity * 2, 1024)
    const ptr = wasmAlloc(capacity)
    if (keepBytes > 0) heapU8.copyWithin(ptr, this.ptr, this.ptr + keepBytes)
    if (this.ptr !== 0) batchWasm.dealloc(this.ptr)
    this.ptr = ptr
    this.capacity = capacity
  }
}

// ------------------------------------------------------------------ encode

const dataRegion = new Region()
const metaRegion = new Region()
const headerRegion = new Region()
const timeRegion = new Region()
const deltaRegion = new Region()
const outRegion = new Region()

/** What `packRecords` reads from each record (RecordInput in src/log/record-batch.ts). */
export interface PackableRecord {
  key?: Uint8Array | string | null
  value: Uint8Array | string | null
  headers?: readonly { key: string; value: Uint8Array | string | null }[]
  timestamp?: number
  offsetDelta?: number
}

/** Summary of the records `packRecords` left in Wasm memory for the next encode call. */
export interface PackedRecords {
  count: number
  dataBytes: number
  headerCount: number
  /** Timestamp of record 0 (or the default when the batch is empty). */
  firstTimestamp: number
  /** Whether records carried their own offsetDelta (otherwise 0, 1, 2, …). */
  hasDeltas: boolean
  /** The last record's offsetDelta (count - 1 without explicit deltas). */
  lastDelta: number
  /** Upper bound of the encoded records section. */
  recordsBytesBound: number
}

const utf8 = new TextEncoder()

/**
 * Writes the records into the encoder's input columns in Wasm memory: keys,
 * values and header bytes back to back, lengths in `meta` and `headers`,
 * timestamps and offset deltas in their own columns. Validates every input and
 * throws TypeError / RangeError naming the record and field. `bytesMax` caps
 * the raw bytes (an oversize record is reported by index).
 */
export function packRecords(records: readonly PackableRecord[], defaultTimestamp: number, bytesMax: number): PackedRecords {
  const count = records.length
  const metaBase = metaRegion.ensure(count * META_STRIDE * 4 + 8) >> 2
  const timeBase = timeRegion.ensure(count * 8 + 8) >> 3
  let dataPtr = dataRegion.ensure(Math.max(64 * 1024, count * 128))
  let dataCapacity = dataRegion.capacity
  let headerBase = headerRegion.ensure(256) >> 2
  let headerCapacity = headerRegion.capacity >> 3
  let deltaBase = 0
  let u8 = heapU8
  let i32 = heapI32
  let f64 = heapF64
  let at = 0
  let headerCount = 0
  let firstTimestamp = defaultTimestamp
  let previousDelta = -1
  let hasDeltas = false

  for (let i = 0; i < count; i++) {
    const record = records[i]
    if (record === null || typeof record !== 'object') throw new TypeError(`record ${i} must be an object, got ${describe(record)}`)
    const recordStart = at
    const key = record.key
    const value = record.value
    const headers = record.headers

    // A UTF-16 unit takes 1 to 3 UTF-8 bytes: the low bound refuses an oversize
    // record before any copy, the high bound sizes the one growth it may need.
    let length = lengthOf(key) + lengthOf(value)
    let stringUnits = stringUnitsOf(key) + stringUnitsOf(value)
    if (headers !== undefined) {
      if (!Array.isArray(headers)) throw new TypeError(`record ${i} headers must be an array, got ${describe(headers)}`)
      for (let j = 0; j < headers.length; j++) {
        const header = headers[j]
        if (header === null || typeof header !== 'object') throw new TypeError(`record ${i} header ${j} must be an object, got ${describe(header)}`)
        length += lengthOf(header.key) + lengthOf(header.value)
        stringUnits += stringUnitsOf(header.key) + stringUnitsOf(header.value)
      }
    }
    if (length > bytesMax) throw oversize(i, length, bytesMax)
    const need = at + length + 2 * stringUnits
    if (need > dataCapacity) {
      dataPtr = dataRegion.grow(need, at)
      dataCapacity = dataRegion.capacity
      u8 = heapU8
      i32 = heapI32
      f64 = heapF64
    }
    const dataEnd = dataPtr + dataCapacity

    let keyLength = -1
    if (typeof key === 'string') keyLength = writeString(key, u8, dataPtr + at, dataEnd)
    else if (key instanceof Uint8Array) keyLength = writeBytes(key, u8, dataPtr + at)
    else if (key !== null && key !== undefined) throw new TypeError(`record ${i} key must be a string, Uint8Array or null, got ${describe(key)}`)
    at += keyLength > 0 ? keyLength : 0

    let valueLength = -1
    if (typeof value === 'string') valueLength = writeString(value, u8, dataPtr + at, dataEnd)
    else if (value instanceof Uint8Array) valueLength = writeBytes(value, u8, dataPtr + at)
    else if (value !== null) throw new TypeError(`record ${i} value must be a string, Uint8Array or null, got ${describe(value)}`)
    at += valueLength > 0 ? valueLength : 0

    let recordHeaders = 0
    if (headers !== undefined) {
      recordHeaders = headers.length
      if (headerCount + recordHeaders > headerCapacity) {
        headerBase = headerRegion.grow((headerCount + recordHeaders) * HEADER_STRIDE * 4, headerCount * HEADER_STRIDE * 4) >> 2
        headerCapacity = headerRegion.capacity >> 3
        u8 = heapU8
        i32 = heapI32
        f64 = heapF64
      }
      for (let j = 0; j < recordHeaders; j++) {
        const header = headers[j]
        const headerKey = header.key
        if (typeof headerKey !== 'string') throw new TypeError(`record ${i} header ${j} key must be a string, got ${describe(headerKey)}`)
        const headerKeyLength = writeString(headerKey, u8, dataPtr + at, dataEnd)
        at += headerKeyLength
        const headerValue = header.value
        let headerValueLength = -1
        if (typeof headerValue === 'string') headerValueLength = writeString(headerValue, u8, dataPtr + at, dataEnd)
        else if (headerValue instanceof Uint8Array) headerValueLength = writeBytes(headerValue, u8, dataPtr + at)
        else if (headerValue !== null) {
          throw new TypeError(`record ${i} header ${j} ("${headerKey}") value must be a string, Uint8Array or null, got ${describe(headerValue)}`)
        }
        at += headerValueLength > 0 ? headerValueLength : 0
        const h = headerBase + (headerCount + j) * HEADER_STRIDE
        i32[h] = headerKeyLength
        i32[h + 1] = headerValueLength
      }
      headerCount += recordHeaders
    }
    if (at - recordStart > bytesMax) throw oversize(i, at - recordStart, bytesMax)
    if (at > bytesMax) throw new RangeError(`records 0..${i} hold ${at} bytes of keys, values and headers, more than the batch limit of ${bytesMax}`)

    const m = metaBase + i * META_STRIDE
    i32[m] = keyLength
    i32[m + 1] = valueLength
    i32[m + 2] = recordHeaders

    let timestamp = record.timestamp
    if (timestamp === undefined) timestamp = defaultTimestamp
    else if (!Number.isSafeInteger(timestamp)) throw new RangeError(`record ${i} timestamp must be a safe integer (milliseconds), got ${String(timestamp)}`)
    f64[timeBase + i] = timestamp
    if (i === 0) firstTimestamp = timestamp

    const offsetDelta = record.offsetDelta
    if (offsetDelta !== undefined) {
      if (!hasDeltas) {
        if (i > 0) throw new TypeError(`record ${i} has an offsetDelta but record 0 does not: give every record one or none`)
        hasDeltas = true
        deltaBase = deltaRegion.ensure(count * 4 + 8) >> 2
        u8 = heapU8
        i32 = heapI32
        f64 = heapF64
      }
      if (!Number.isInteger(offsetDelta) || offsetDelta <= previousDelta || offsetDelta > 0x7fffffff) {
        throw new RangeError(`record ${i} offsetDelta must be an integer above the previous one (${previousDelta}) and at most 2^31 - 1, got ${String(offsetDelta)}`)
      }
      i32[deltaBase + i] = offsetDelta
      previousDelta = offsetDelta
    } else if (hasDeltas) {
      throw new TypeError(`record ${i} has no offsetDelta but record 0 does: give every record one or none`)
    }
  }
  return {
    count,
    dataBytes: at,
    headerCount,
    firstTimestamp,
    hasDeltas,
    lastDelta: hasDeltas ? previousDelta : count - 1,
    recordsBytesBound: at + count * RECORD_OVERHEAD_BYTES_MAX + headerCount * HEADER_OVERHEAD_BYTES_MAX,
  }
}

/** Bytes of a byte array, UTF-16 units of a string (its fewest UTF-8 bytes), else 0. */
function lengthOf(input: unknown): number {
  return typeof input === 'string' || input instanceof Uint8Array ? input.length : 0
}

function stringUnitsOf(input: unknown): number {
  return typeof input === 'string' ? input.length : 0
}

function oversize(index: number, bytes: number, bytesMax: number): RangeError {
  return new RangeError(`record ${index} is too large: its key, value and headers take at least ${bytes} bytes, more than the batch limit of ${bytesMax}`)
}

/**
 * Writes a string as UTF-8 at `at` (the caller guarantees 3 bytes per UTF-16
 * unit before `end`, so nothing is ever truncated); returns the byte length.
 * Short ASCII, the common key, is cheapest as a loop; longer text goes to a
 * native encoder.
 */
function writeString(text: string, u8: Uint8Array, at: number, end: number): number {
  const n = text.length
  if (n > ASCII_LOOP_CHARS_MAX) return writeUtf8(text, u8, at, end)
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80) return i + writeUtf8(text.slice(i), u8, at + i, end)
    u8[at + i] = c
  }
  return n
}

function writeUtf8(text: string, u8: Uint8Array, at: number, end: number): number {
  if (heapWriter !== null && heapWriter.buffer === u8.buffer) return heapWriter.write(text, at, end - at, 'utf8')
  return utf8.encodeInto(text, u8.subarray(at, end)).written
}

function writeBytes(bytes: Uint8Array, u8: Uint8Array, at: number): number {
  const n = bytes.length
  if (n > BYTE_LOOP_MAX) u8.set(bytes, at)
  else for (let i = 0; i < n; i++) u8[at + i] = bytes[i]
  return n
}

// ------------------------------------------------------------------ encode from columns

/**
 * Records as columns, the way the producer accumulates them (no object per
 * record): record i is keys[i], values[i], timestamps[i] and headers?.[i].
 */
export interface RecordColumns {
  count: number
  keys: readonly (Uint8Array | string | null | undefined)[]
  values: readonly (Uint8Array | string | null)[]
  /** Milliseconds; undefined takes the default timestamp. */
  timestamps: readonly (number | undefined)[]
  /** Per record, or absent when no record has headers. */
  headers?: readonly (readonly { key: string; value: Uint8Array | string | null }[] | undefined)[]
}

/** What `writeRecordColumns` left in Wasm memory: a batch header's room, then the records section. */
export interface WrittenRecords {
  count: number
  /** Bytes of the records section (it starts BATCH_HEADER_BYTES after the batch start). */
  recordsBytes: number
  firstTimestamp: number
  /** The largest record timestamp (-Infinity for no records). */
  maxTimestamp: number
}

const TWO_POW_31 = 0x80000000
/** Strings at most this long take writeRecordColumns' fast path (a one-byte length varint when ASCII). */
const FAST_STRING_CHARS_MAX = 63
/** Deltas up to this magnitude zig-zag into exact doubles (2^53 at most). */
const TWO_POW_52 = 4503599627370496
let headerLengths = new Int32Array(64)

/**
 * Writes record columns straight into their final RecordBatch v2 layout in
 * Wasm memory, one pass with no intermediate copy, leaving BATCH_HEADER_BYTES
 * of room in front for `sealWrittenBatch` (or the records section alone for a
 * compressed batch, `writtenRecordsSection`). Checks every input exactly as
 * `packRecords` does, in the same order and with the same messages (TypeError
 * / RangeError naming the record and field), so the bytes and the errors are
 * those of the packed path. `baseTimestamp` NaN means the first record's.
 */
export function writeRecordColumns(columns: RecordColumns, defaultTimestamp: number, baseTimestamp: number, bytesMax: number): WrittenRecords {
  const { count, keys, values, timestamps } = columns
  const headersColumn = columns.headers
  let capacity = BATCH_HEADER_BYTES + count * 64 + 1024
  let out = outRegion.ensure(capacity)
  capacity = outRegion.capacity
  let u8 = heapU8
  let at = out + BATCH_HEADER_BYTES
  let dataBytes = 0
  let firstTimestamp = defaultTimestamp
  let maxTimestamp = -Infinity
  let base = baseTimestamp
  for (let i = 0; i < count; i++) {
    const key = keys[i]
    const value = values[i]
    const headers = headersColumn === undefined ? undefined : headersColumn[i]

    // Fast path for the common shape: no headers, key and value as bytes, null or short strings that turn
    // out to be ASCII, a valid timestamp within int32 of the base. Varints are written inline (calls cost
    // more than the work here). Anything else, or any input that would fail a check, takes the general
    // path below, which checks and throws exactly as packRecords does; the bytes are the same either way.
    if (headers === undefined) {
      let timestamp = timestamps[i]
      if (timestamp === undefined) timestamp = defaultTimestamp
      const keyIsString = typeof key === 'string'
      const valueIsString = typeof value === 'string'
      const keyLength = keyIsString ? (key.length <= FAST_STRING_CHARS_MAX ? key.length : -2) : key instanceof Uint8Array ? key.length : key === null || key === undefined ? -1 : -2
      const valueLength = valueIsString ? (value.length <= FAST_STRING_CHARS_MAX ? value.length : -2) : value instanceof Uint8Array ? value.length : value === null ? -1 : -2
      const keyBytes = keyLength > 0 ? keyLength : 0
      const valueBytes = valueLength > 0 ? valueLength : 0
      const recordBase = i > 0 ? base : Number.isNaN(base) ? timestamp : Number.isSafeInteger(base) ? base : 0
      const delta = timestamp - recordBase
      if (keyLength >= -1 && valueLength >= -1 && keyBytes + valueBytes <= bytesMax - dataBytes && Number.isSafeInteger(timestamp) && delta >= -TWO_POW_31 && delta < TWO_POW_31) {
        const timeZ = ((delta << 1) ^ (delta >> 31)) >>> 0
        const deltaZ = i << 1
        const keyZ = keyLength < 0 ? 1 : keyLength << 1
        const valueZ = valueLength < 0 ? 1 : valueLength << 1
        // attributes and the header count (0) take a byte each
        const body =
          2 +
          keyBytes +
          valueBytes +
          (timeZ < 0x80 ? 1 : timeZ < 0x4000 ? 2 : timeZ < 0x200000 ? 3 : timeZ < 0x10000000 ? 4 : 5) +
          (deltaZ < 0x80 ? 1 : deltaZ < 0x4000 ? 2 : deltaZ < 0x200000 ? 3 : deltaZ < 0x10000000 ? 4 : 5) +
          (keyZ < 0x80 ? 1 : keyZ < 0x4000 ? 2 : keyZ < 0x200000 ? 3 : keyZ < 0x10000000 ? 4 : 5) +
          (valueZ < 0x80 ? 1 : valueZ < 0x4000 ? 2 : valueZ < 0x200000 ? 3 : valueZ < 0x10000000 ? 4 : 5)
        const need = at - out + body + 5
        if (need > capacity) {
          const offset = at - out
          out = outRegion.grow(need, offset)
          capacity = outRegion.capacity
          u8 = heapU8
          at = out + offset
        }
        const recordStart = at
        let v = body << 1
        while (v >= 0x80) {
          u8[at++] = (v & 0x7f) | 0x80
          v >>>= 7
        }
        u8[at++] = v
        u8[at++] = 0
        v = timeZ
        while (v >= 0x80) {
          u8[at++] = (v & 0x7f) | 0x80
          v >>>= 7
        }
        u8[at++] = v
        v = deltaZ
        while (v >= 0x80) {
          u8[at++] = (v & 0x7f) | 0x80
          v >>>= 7
        }
        u8[at++] = v
        v = keyZ
        while (v >= 0x80) {
          u8[at++] = (v & 0x7f) | 0x80
          v >>>= 7
        }
        u8[at++] = v
        // Strings are written as ASCII while their bits are gathered; one non-ASCII char sends the record to the general path.
        let bits = 0
        if (keyBytes > 0) {
          if (keyIsString) {
            const text = key as string
            for (let j = 0; j < keyBytes; j++) {
              const c = text.charCodeAt(j)
              bits |= c
              u8[at + j] = c
            }
          } else if (keyBytes > BYTE_LOOP_MAX) u8.set(key as Uint8Array, at)
          else for (let j = 0; j < keyBytes; j++) u8[at + j] = (key as Uint8Array)[j]
          at += keyBytes
        }
        v = valueZ
        while (v >= 0x80) {
          u8[at++] = (v & 0x7f) | 0x80
          v >>>= 7
        }
        u8[at++] = v
        if (valueBytes > 0) {
          if (valueIsString) {
            const text = value as string
            for (let j = 0; j < valueBytes; j++) {
              const c = text.charCodeAt(j)
              bits |= c
              u8[at + j] = c
            }
          } else if (valueBytes > BYTE_LOOP_MAX) u8.set(value as Uint8Array, at)
          else for (let j = 0; j < valueBytes; j++) u8[at + j] = (value as Uint8Array)[j]
          at += valueBytes
        }
        u8[at++] = 0
        if (bits < 0x80) {
          dataBytes += keyBytes + valueBytes
          if (i === 0) {
            firstTimestamp = timestamp
            base = recordBase
          }
          if (timestamp > maxTimestamp) maxTimestamp = timestamp
          continue
        }
        at = recordStart
      }
    }

    // The same checks, in the same order, as packRecords.
    let length = lengthOf(key) + lengthOf(value)
    let headerCount = 0
    if (headers !== undefined) {
      if (!Array.isArray(headers)) throw new TypeError(`record ${i} headers must be an array, got ${describe(headers)}`)
      headerCount = headers.length
      for (let j = 0; j < headerCount; j++) {
        const header = headers[j]
        if (header === null || typeof header !== 'object') throw new TypeError(`record ${i} header ${j} must be an object, got ${describe(header)}`)
        length += lengthOf(header.key) + lengthOf(header.value)
      }
    }
    if (length > bytesMax) throw oversize(i, length, bytesMax)
    let keyLength: number
    if (typeof key === 'string') keyLength = utf8Length(key)
    else if (key instanceof Uint8Array) keyLength = key.length
    else if (key === null || key === undefined) keyLength = -1
    else throw new TypeError(`record ${i} key must be a string, Uint8Array or null, got ${describe(key)}`)
    let valueLength: number
    if (typeof value === 'string') valueLength = utf8Length(value)
    else if (value instanceof Uint8Array) valueLength = value.length
    else if (value === null) valueLength = -1
    else throw new TypeError(`record ${i} value must be a string, Uint8Array or null, got ${describe(value)}`)
    let recordData = (keyLength > 0 ? keyLength : 0) + (valueLength > 0 ? valueLength : 0)
    let headersBody = 0
    if (headerCount > 0) {
      if (headerLengths.length < headerCount * 2) headerLengths = new Int32Array(headerCount * 4)
      for (let j = 0; j < headerCount; j++) {
        const header = headers![j]
        const headerKey = header.key
        if (typeof headerKey !== 'string') throw new TypeError(`record ${i} header ${j} key must be a string, got ${describe(headerKey)}`)
        const headerKeyLength = utf8Length(headerKey)
        const headerValue = header.value
        let headerValueLength: number
        if (typeof headerValue === 'string') headerValueLength = utf8Length(headerValue)
        else if (headerValue instanceof Uint8Array) headerValueLength = headerValue.length
        else if (headerValue === null) headerValueLength = -1
        else throw new TypeError(`record ${i} header ${j} ("${headerKey}") value must be a string, Uint8Array or null, got ${describe(headerValue)}`)
        headerLengths[2 * j] = headerKeyLength
        headerLengths[2 * j + 1] = headerValueLength
        const headerData = headerKeyLength + (headerValueLength > 0 ? headerValueLength : 0)
        recordData += headerData
        headersBody += varintSize(headerKeyLength) + varintSize(headerValueLength) + headerData
      }
    }
    if (recordData > bytesMax) throw oversize(i, recordData, bytesMax)
    dataBytes += recordData
    if (dataBytes > bytesMax) throw new RangeError(`records 0..${i} hold ${dataBytes} bytes of keys, values and headers, more than the batch limit of ${bytesMax}`)

    let timestamp = timestamps[i]
    if (timestamp === undefined) timestamp = defaultTimestamp
    else if (!Number.isSafeInteger(timestamp)) throw new RangeError(`record ${i} timestamp must be a safe integer (milliseconds), got ${String(timestamp)}`)
    if (i === 0) {
      firstTimestamp = timestamp
      // An invalid explicit base is reported by the caller once the records passed; 0 stands in meanwhile.
      if (Number.isNaN(base)) base = timestamp
      else if (!Number.isSafeInteger(base)) base = 0
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp

    // The record: length, attributes, timestampDelta, offsetDelta, key, value, headers.
    const delta = timestamp - base
    const deltaSize = delta >= -TWO_POW_31 && delta < TWO_POW_31 ? varint32Size(zigzag32(delta)) : varlongSize(timestamp, base)
    const body =
      1 + deltaSize + varint32Size(i << 1) + varintSize(keyLength) + (keyLength > 0 ? keyLength : 0) + varintSize(valueLength) + (valueLength > 0 ? valueLength : 0) + varintSize(headerCount) + headersBody
    const need = at - out + body + 5
    if (need > capacity) {
      const offset = at - out
      out = outRegion.grow(need, offset)
      capacity = outRegion.capacity
      u8 = heapU8
      at = out + offset
    }
    at = writeVarint32(u8, at, body << 1)
    u8[at++] = 0
    if (delta >= -TWO_POW_31 && delta < TWO_POW_31) at = writeVarint32(u8, at, zigzag32(delta))
    else at = writeVarlong(u8, at, timestamp, base)
    at = writeVarint32(u8, at, i << 1)
    at = writeVarint32(u8, at, zigzag32(keyLength))
    if (keyLength > 0) at = writeData(key as string | Uint8Array, keyLength, u8, at)
    at = writeVarint32(u8, at, zigzag32(valueLength))
    if (valueLength > 0) at = writeData(value as string | Uint8Array, valueLength, u8, at)
    at = writeVarint32(u8, at, headerCount << 1)
    for (let j = 0; j < headerCount; j++) {
      const header = headers![j]
      const headerKeyLength = headerLengths[2 * j]
      const headerValueLength = headerLengths[2 * j + 1]
      at = writeVarint32(u8, at, zigzag32(headerKeyLength))
      if (headerKeyLength > 0) at = writeData(header.key, headerKeyLength, u8, at)
      at = writeVarint32(u8, at, zigzag32(headerValueLength))
      if (headerValueLength > 0) at = writeData(header.value as string | Uint8Array, headerValueLength, u8, at)
    }
  }
  return { count, recordsBytes: at - out - BATCH_HEADER_BYTES, firstTimestamp, maxTimestamp }
}

/**
 * Writes the fixed header fields in front of the records `writeRecordColumns`
 * left, seals the batch in Wasm (lengths, count, maxTimestamp, CRC) and returns
 * a copy of its bytes, or a negative error code (see `describeWasmError`).
 */
export function sealWrittenBatch(
  written: WrittenRecords,
  fields: FixedHeaderFields,
  lastOffsetDelta: number,
  maxTimestamp: number,
  allocate?: (size: number) => Uint8Array,
): Uint8Array | number {
  const out = outRegion.ptr
  writeFixedHeader(heapView, out, fields)
  const size = batchWasm.sealWrittenBatch(out, BATCH_HEADER_BYTES + written.recordsBytes, written.count, lastOffsetDelta, maxTimestamp)
  if (size < 0) return size
  if (allocate === undefined) return heapU8.slice(out, out + size)
  const target = allocate(size)
  if (target.length !== size) throw new RangeError(`allocate(${size}) returned ${target.length} bytes`)
  target.set(heapU8.subarray(out, out + size))
  return target
}

/** The records section `writeRecordColumns` left, as a view valid until the next call into this module. */
export function writtenRecordsSection(written: WrittenRecords): Uint8Array {
  const start = outRegion.ptr + BATCH_HEADER_BYTES
  return heapU8.subarray(start, start + written.recordsBytes)
}

/** UTF-8 bytes of a string: short ASCII by a charCode loop, anything else natively. */
function utf8Length(text: string): number {
  const n = text.length
  if (n <= ASCII_LOOP_CHARS_MAX) {
    let i = 0
    while (i < n && text.charCodeAt(i) < 0x80) i++
    if (i === n) return n
  }
  return NodeBuffer ? NodeBuffer.byteLength(text, 'utf8') : utf8.encode(text).length
}

/** Writes a key, value or header part of `length` bytes (its UTF-8 length for a string) at `at`. */
function writeData(data: string | Uint8Array, length: number, u8: Uint8Array, at: number): number {
  if (typeof data !== 'string') {
    if (length > BYTE_LOOP_MAX) u8.set(data, at)
    else for (let i = 0; i < length; i++) u8[at + i] = data[i]
    return at + length
  }
  if (length === data.length && length <= ASCII_LOOP_CHARS_MAX) {
    for (let i = 0; i < length; i++) u8[at + i] = data.charCodeAt(i)
    return at + length
  }
  if (heapWriter !== null && heapWriter.buffer === u8.buffer) heapWriter.write(data, at, length, 'utf8')
  else utf8.encodeInto(data, u8.subarray(at, at + length))
  return at + length
}

/** Zig-zag of an int32 (null lengths are -1), as an unsigned 32-bit number. */
function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0
}

function varint32Size(unsigned: number): number {
  return unsigned < 0x80 ? 1 : unsigned < 0x4000 ? 2 : unsigned < 0x200000 ? 3 : unsigned < 0x10000000 ? 4 : 5
}

/** Encoded size of a zig-zag varint of an int32. */
function varintSize(value: number): number {
  return varint32Size(zigzag32(value))
}

function writeVarint32(u8: Uint8Array, at: number, unsigned: number): number {
  let v = unsigned
  while (v >= 0x80) {
    u8[at++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  u8[at++] = v
  return at
}

/** Zig-zag of timestamp - base beyond the int32 range: exact in doubles up to 2^52, in BigInt past that. */
function zigzagLong(timestamp: number, base: number): number | bigint {
  const delta = timestamp - base
  if (delta >= -TWO_POW_52 && delta <= TWO_POW_52) return delta >= 0 ? delta * 2 : -delta * 2 - 1
  const exact = BigInt(timestamp) - BigInt(base)
  return exact >= 0n ? exact * 2n : -exact * 2n - 1n
}

function varlongSize(timestamp: number, base: number): number {
  const z = zigzagLong(timestamp, base)
  let size = 1
  if (typeof z === 'number') {
    for (let v = z; v >= 128; v = Math.floor(v / 128)) size++
  } else {
    for (let v = z; v >= 128n; v >>= 7n) size++
  }
  return size
}

function writeVarlong(u8: Uint8Array, at: number, timestamp: number, base: number): number {
  const z = zigzagLong(timestamp, base)
  if (typeof z === 'number') {
    let v = z
    while (v >= 128) {
      u8[at++] = (v % 128) | 0x80
      v = Math.floor(v / 128)
    }
    u8[at++] = v
    return at
  }
  let v = z
  while (v >= 128n) {
    u8[at++] = Number(v & 0x7fn) | 0x80
    v >>= 7n
  }
  u8[at++] = Number(v)
  return at
}

/** The header fields JS writes before the encode call; the rest come from Wasm. */
export interface FixedHeaderFields {
  baseOffset: number
  partitionLeaderEpoch: number
  attributes: number
  baseTimestamp: number
  producerId: number
  producerEpoch: number
  baseSequence: number
}

/** Writes the record-independent header fields (big-endian) at `at` of `view`. */
export function writeFixedHeader(view: DataView, at: number, fields: FixedHeaderFields): void {
  setInt64(view, at, fields.baseOffset)
  view.setInt32(at + 12, fields.partitionLeaderEpoch)
  view.setInt8(at + 16, 2)
  view.setInt16(at + 21, fields.attributes)
  setInt64(view, at + 27, fields.baseTimestamp)
  setInt64(view, at + 43, fields.producerId)
  view.setInt16(at + 51, fields.producerEpoch)
  view.setInt32(at + 53, fields.baseSequence)
}

/** Writes a safe integer as a big-endian int64 without a BigInt. */
export function setInt64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / 4294967296)
  view.setInt32(at, high)
  view.setUint32(at + 4, value - high * 4294967296)
}

/**
 * Encodes the packed records as a whole uncompressed batch in one Wasm call and
 * returns a copy of its bytes. Returns a negative error code on failure
 * (see `describeWasmError`).
 */
export function encodePackedBatch(packed: PackedRecords, fields: FixedHeaderFields, lastOffsetDelta: number, maxTimestampOverride: number): Uint8Array | number {
  const capacity = BATCH_HEADER_BYTES + packed.recordsBytesBound
  const out = outRegion.ensure(capacity)
  writeFixedHeader(heapView, out, fields)
  const size = batchWasm.encodeBatch(
    out,
    capacity,
    dataRegion.ptr,
    metaRegion.ptr,
    headerRegion.ptr,
    timeRegion.ptr,
    packed.hasDeltas ? deltaRegion.ptr : 0,
    packed.count,
    fields.baseTimestamp,
    lastOffsetDelta,
    maxTimestampOverride,
  )
  if (size < 0) return size
  return heapU8.slice(out, out + size)
}

/**
 * Encodes only the records section of the packed records (for compression).
 * The returned view into Wasm memory is valid until the next call into this module.
 */
export function encodePackedRecords(packed: PackedRecords, baseTimestamp: number): { records: Uint8Array; maxTimestamp: number } | number {
  const capacity = packed.recordsBytesBound
  const out = outRegion.ensure(capacity)
  const size = batchWasm.encodeRecords(
    out,
    capacity,
    dataRegion.ptr,
    metaRegion.ptr,
    headerRegion.ptr,
    timeRegion.ptr,
    packed.hasDeltas ? deltaRegion.ptr : 0,
    packed.count,
    baseTimestamp,
  )
  if (size < 0) return size
  return { records: heapU8.subarray(out, out + size), maxTimestamp: batchWasm.lastMaxTimestamp() }
}

// ------------------------------------------------------------------ decode

const inputRegion = new Region()
const recordColumnRegion = new Region()
const timeColumnRegion = new Region()
const headerColumnRegion = new Region()

/** Decoded columns, copied out of Wasm memory (stable after later calls). */
export interface DecodedColumns {
  count: number
  /** i32 × count each: keyStart, keyLength, valueStart, valueLength, headerFirst, headerCount. */
  records: Int32Array
  /** f64 × count each: offsets, timestamps. */
  times: Float64Array
  /** i32 × 4 per header: keyStart, keyLength, valueStart, valueLength. */
  headers: Int32Array
  headerCount: number
}

export interface DecodeParams {
  count: number
  baseOffset: number
  baseTimestamp: number
  lastOffsetDelta: number
  /** NaN for create-time batches; otherwise the timestamp every record takes. */
  logAppendTime: number
}

export const DECODE_COLUMN_COUNT = DECODE_RECORD_COLUMNS
export const HEADER_COLUMN_STRIDE = DECODE_HEADER_STRIDE

/**
 * Decodes a whole uncompressed batch (header included, CRC checked when
 * `verifyCrc`) in one Wasm call. Positions are relative to the batch start.
 * Returns the columns, or a negative error code.
 */
export function decodeBatchInWasm(batch: Uint8Array, verifyCrc: boolean, params: DecodeParams): DecodedColumns | number {
  const input = inputRegion.ensure(batch.length)
  heapU8.set(batch, input)
  return runDecode(params, batch.length - BATCH_HEADER_BYTES, (records, times, headers, headerCapacity) =>
    batchWasm.decodeBatch(
      input,
      batch.length,
      verifyCrc ? 1 : 0,
      params.count,
      records,
      times,
      headers,
      headerCapacity,
      params.baseOffset,
      params.baseTimestamp,
      params.lastOffsetDelta,
      params.logAppendTime,
    ),
  )
}

/** Decodes a bare records section (a decompressed one). Positions are relative to its start. */
export function decodeRecordsInWasm(section: Uint8Array, params: DecodeParams): DecodedColumns | number {
  const input = inputRegion.ensure(section.length)
  heapU8.set(section, input)
  return runDecode(params, section.length, (records, times, headers, headerCapacity) =>
    batchWasm.decodeRecords(
      input,
      input,
      input + section.length,
      params.count,
      records,
      times,
      headers,
      headerCapacity,
      params.baseOffset,
      params.baseTimestamp,
      params.lastOffsetDelta,
      params.logAppendTime,
    ),
  )
}

const ERROR_HEADER_CAPACITY = 16

function runDecode(
  params: DecodeParams,
  sectionBytes: number,
  call: (records: number, times: number, headers: number, headerCapacity: number) => number,
): DecodedColumns | number {
  const count = params.count
  // Column regions are sized from `count`, which the caller has bounded by the section size.
  const records = recordColumnRegion.ensure(count * DECODE_RECORD_COLUMNS * 4 + 8)
  const times = timeColumnRegion.ensure(count * 16 + 8)
  // Most batches have few headers: start small, retry once with the proven bound.
  let headerCapacity = Math.max(64, count * 2)
  let headers = headerColumnRegion.ensure(headerCapacity * DECODE_HEADER_STRIDE * 4)
  let result = call(records, times, headers, headerCapacity)
  if (result === -ERROR_HEADER_CAPACITY) {
    headerCapacity = (sectionBytes >> 1) + 1
    headers = headerColumnRegion.ensure(headerCapacity * DECODE_HEADER_STRIDE * 4)
    result = call(records, times, headers, headerCapacity)
  }
  if (result < 0) return result
  return {
    count,
    records: heapI32.slice(records >> 2, (records >> 2) + count * DECODE_RECORD_COLUMNS),
    times: heapF64.slice(times >> 3, (times >> 3) + count * 2),
    headers: heapI32.slice(headers >> 2, (headers >> 2) + result * DECODE_HEADER_STRIDE),
    headerCount: result,
  }
}

/** Checks the CRC of a whole batch in Wasm; returns 0 or a negative error code. */
export function verifyCrcInWasm(batch: Uint8Array): number {
  const input = inputRegion.ensure(batch.length)
  heapU8.set(batch, input)
  return batchWasm.verifyBatchCrc(input, batch.length)
}

// ------------------------------------------------------------------ errors

/** What each negated code from batch.wasm means (assembly/recordbatch/errors.ts). */
const ERROR_TEXT: Record<number, (value: number) => string> = {
  1: (v) => `CRC-32C mismatch (computed 0x${(v >>> 0).toString(16)})`,
  2: () => 'a varint runs past the end of the record',
  3: () => 'a varint is longer than its type allows (5 bytes for int32, 10 for int64)',
  4: (v) => `record length is negative (${v})`,
  5: (v) => `record length ${v} runs past the end of the records section`,
  6: (v) => `key length ${v} is invalid or runs past the end of the record`,
  7: (v) => `value length ${v} is invalid or runs past the end of the record`,
  8: (v) => `header count ${v} is negative or more than the record can hold`,
  9: (v) => `header key length ${v} is negative or runs past the end of the record`,
  10: (v) => `header value length ${v} is invalid or runs past the end of the record`,
  11: (v) => `record length ${v} does not match the bytes its fields take`,
  12: (v) => `${v} bytes remain after the last record (record count mismatch)`,
  13: (v) => `records section ends before all ${v} declared records (record count mismatch)`,
  14: (v) => `offsetDelta ${v} is not above the previous record's or exceeds lastOffsetDelta`,
  15: (v) => `timestampDelta ${v} puts the timestamp outside the safe integer range`,
  16: (v) => `more than ${v} headers`,
  17: (v) => `record count ${v} is negative, above recordsPerBatchMax or more than the bytes can hold`,
  18: (v) => `batch of ${v} bytes exceeds batchBytesMax`,
  19: (v) => `encoder output capacity of ${v} bytes exceeded (internal bound error)`,
}

/** Turns a negative code from the last batch.wasm call into a sentence naming the record and byte. */
export function describeWasmError(code: number): string {
  const record = batchWasm.lastErrorRecord()
  const position = batchWasm.lastErrorPosition()
  const text = ERROR_TEXT[-code]?.(batchWasm.lastErrorValue()) ?? `unknown error code ${code}`
  const where = [record >= 0 ? `record ${record}` : '', position >= 0 ? `byte ${position}` : ''].filter(Boolean).join(', ')
  return where ? `${text} (${where})` : text
}

/** The limits compiled into batch.wasm, for the test that checks they match src/log/limits.ts. */
export function wasmLimits(): { recordsPerBatchMax: number; batchBytesMax: number; decompressedBytesMax: number } {
  return {
    recordsPerBatchMax: batchWasm.recordsPerBatchMax.value as number,
    batchBytesMax: batchWasm.batchBytesMax.value as number,
    decompressedBytesMax: batchWasm.decompressedBytesMax.value as number,
  }
}
