// The result of decoding one RecordBatch: the header plus columns of
// positions into `bytes` (the batch itself, or the decompressed records
// section of a compressed batch). Nothing is copied until a caller asks for a
// record object; even then keys and values are subarray views of `bytes`.
import type { BatchHeader } from './batch-header.js'

export interface RecordHeader {
  key: string
  value: Uint8Array | null
}

export interface DecodedRecord {
  offset: number
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: RecordHeader[]
}

const utf8 = new TextDecoder('utf-8', { fatal: false })
/** Header keys at most this long decode through a charCode loop (they are nearly always short ASCII). */
const ASCII_KEY_BYTES_MAX = 32

export class DecodedBatch {
  /** Number of records. */
  readonly count: number
  /** Absolute offset of each record (baseOffset + offsetDelta). */
  readonly offsets: Float64Array
  /** Timestamp of each record in ms (maxTimestamp for every record of a log-append-time batch). */
  readonly timestamps: Float64Array
  /** Where each key starts in `bytes`; `keyLengths` is -1 for a null key. */
  readonly keyStarts: Int32Array
  readonly keyLengths: Int32Array
  /** Where each value starts in `bytes`; `valueLengths` is -1 for a null value. */
  readonly valueStarts: Int32Array
  readonly valueLengths: Int32Array
  /** Index of each record's first header in the header columns, and how many it has. */
  readonly headerFirsts: Int32Array
  readonly headerCounts: Int32Array
  /** Four i32 per header: keyStart, keyLength, valueStart, valueLength (-1 null). */
  readonly headerColumns: Int32Array

  constructor(
    readonly header: BatchHeader,
    /** The bytes every start position indexes into. */
    readonly bytes: Uint8Array,
    records: Int32Array,
    times: Float64Array,
    headerColumns: Int32Array,
  ) {
    const n = header.recordCount
    this.count = n
    this.keyStarts = records.subarray(0, n)
    this.keyLengths = records.subarray(n, 2 * n)
    this.valueStarts = records.subarray(2 * n, 3 * n)
    this.valueLengths = records.subarray(3 * n, 4 * n)
    this.headerFirsts = records.subarray(4 * n, 5 * n)
    this.headerCounts = records.subarray(5 * n, 6 * n)
    this.offsets = times.subarray(0, n)
    this.timestamps = times.subarray(n, 2 * n)
    this.headerColumns = headerColumns
  }

  /** Key of record `i` as a view of `bytes`, or null. */
  key(i: number): Uint8Array | null {
    const length = this.keyLengths[i]
    if (length < 0) return null
    const start = this.keyStarts[i]
    return this.bytes.subarray(start, start + length)
  }

  /** Value of record `i` as a view of `bytes`, or null. */
  value(i: number): Uint8Array | null {
    const length = this.valueLengths[i]
    if (length < 0) return null
    const start = this.valueStarts[i]
    return this.bytes.subarray(start, start + length)
  }

  /** Headers of record `i`: keys decoded as UTF-8, values as views of `bytes`. */
  headers(i: number): RecordHeader[] {
    const count = this.headerCounts[i]
    if (count === 0) return []
    const out: RecordHeader[] = new Array(count)
    const columns = this.headerColumns
    const bytes = this.bytes
    for (let j = 0, h = this.headerFirsts[i] * 4; j < count; j++, h += 4) {
      const valueLength = columns[h + 3]
      out[j] = {
        key: decodeKey(bytes, columns[h], columns[h + 1]),
        value: valueLength < 0 ? null : bytes.subarray(columns[h + 2], columns[h + 2] + valueLength),
      }
    }
    return out
  }

  /** Record `i` as an object. */
  record(i: number): DecodedRecord {
    if (!Number.isInteger(i) || i < 0 || i >= this.count) throw new RangeError(`record index ${i} is outside 0..${this.count - 1}`)
    return { offset: this.offsets[i], timestamp: this.timestamps[i], key: this.key(i), value: this.value(i), headers: this.headers(i) }
  }

  /** Every record as an object (keys and values are views, not copies). */
  toRecords(): DecodedRecord[] {
    const out: DecodedRecord[] = new Array(this.count)
    for (let i = 0; i < this.count; i++) out[i] = this.record(i)
    return out
  }

  *[Symbol.iterator](): IterableIterator<DecodedRecord> {
    for (let i = 0; i < this.count; i++) yield this.record(i)
  }
}

function decodeKey(bytes: Uint8Array, start: number, length: number): string {
  if (length <= ASCII_KEY_BYTES_MAX) {
    let text = ''
    for (let i = start; i < start + length; i++) {
      const c = bytes[i]
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, start + length))
      text += String.fromCharCode(c)
    }
    return text
  }
  return utf8.decode(bytes.subarray(start, start + length))
}
