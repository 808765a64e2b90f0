// The sparse time index of one segment: (timestamp, relative offset) pairs with
// strictly rising timestamps. Entry (T, O) says: every batch before the batch at
// offset O has a max timestamp of at most T, and the batch at O reaches T. So to
// find the first batch with timestamp >= t, start at the last entry with T < t.
// An entry is added with each offset-index entry (when the max timestamp rose),
// and a final one when the segment is sealed, so the last entry of a sealed
// segment holds its largest timestamp.
//
// File layout: the 16-byte header of index-file.ts ("EXTI", entryBytes 12), then
// entries of timestamp int64 BE, relativeOffset uint32 BE.
//
// Concurrency: as OffsetIndex — one writer, readers between writes.
import { INDEX_FIELD_MAX, INDEX_HEADER_BYTES, IndexFormatError, checkIndexHeader, grow, writeIndexHeader } from './index-file.js'

export const TIME_INDEX_MAGIC = 'EXTI'
export const TIME_INDEX_ENTRY_BYTES = 12

export interface TimestampOffset {
  timestampMs: number
  offset: number
}

export class TimeIndex {
  private timestamps = new Float64Array(16)
  private relativeOffsets = new Int32Array(16)
  private entries = 0
  persistedCount = 0

  constructor(readonly baseOffset: number) {}

  get count(): number {
    return this.entries
  }

  /** The largest timestamp recorded, or -1 when empty. */
  get lastTimestampMs(): number {
    return this.entries === 0 ? -1 : this.timestamps[this.entries - 1]
  }

  entry(i: number): TimestampOffset {
    return { timestampMs: this.timestamps[i], offset: this.baseOffset + this.relativeOffsets[i] }
  }

  /** Adds (timestampMs, offset) if the timestamp rose past the last entry; returns whether it did. */
  maybeAppend(timestampMs: number, offset: number): boolean {
    if (this.entries > 0 && timestampMs <= this.timestamps[this.entries - 1]) return false
    const relative = offset - this.baseOffset
    if (relative < 0 || relative > INDEX_FIELD_MAX) throw new Error(`time index ${this.baseOffset}: offset ${offset} out of the 32-bit range`)
    if (this.entries > 0 && relative < this.relativeOffsets[this.entries - 1]) {
      throw new Error(`time index ${this.baseOffset}: offset ${offset} goes backwards`)
    }
    this.timestamps = grow(this.timestamps, this.entries + 1, (n) => new Float64Array(n))
    this.relativeOffsets = grow(this.relativeOffsets, this.entries + 1, (n) => new Int32Array(n))
    this.timestamps[this.entries] = timestampMs
    this.relativeOffsets[this.entries] = relative
    this.entries++
    return true
  }

  /** Where to start scanning for the first batch with a timestamp >= targetMs. */
  lookup(targetMs: number): number {
    let lo = 0
    let hi = this.entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestamps[mid] < targetMs) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? this.baseOffset : this.baseOffset + this.relativeOffsets[found]
  }

  /** Drops entries at or past `offset`. */
  truncateToOffset(offset: number): void {
    while (this.entries > 0 && this.baseOffset + this.relativeOffsets[this.entries - 1] >= offset) this.entries--
    this.persistedCount = Math.min(this.persistedCount, this.entries)
  }

  encodeEntries(from: number): Uint8Array {
    const bytes = new Uint8Array((this.entries - from) * TIME_INDEX_ENTRY_BYTES)
    const view = new DataView(bytes.buffer)
    for (let i = from, at = 0; i < this.entries; i++, at += TIME_INDEX_ENTRY_BYTES) {
      view.setBigInt64(at, BigInt(this.timestamps[i]))
      view.setUint32(at + 8, this.relativeOffsets[i])
    }
    return bytes
  }

  header(): Uint8Array {
    return writeIndexHeader(TIME_INDEX_MAGIC, TIME_INDEX_ENTRY_BYTES, this.baseOffset)
  }

  /** Reads a time index file; entries must rise and stay below `nextOffset`. Throws IndexFormatError. */
  static parse(bytes: Uint8Array, baseOffset: number, fileName: string, nextOffset: number): TimeIndex {
    const count = checkIndexHeader(bytes, TIME_INDEX_MAGIC, TIME_INDEX_ENTRY_BYTES, baseOffset, fileName)
    const index = new TimeIndex(baseOffset)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0, at = INDEX_HEADER_BYTES; i < count; i++, at += TIME_INDEX_ENTRY_BYTES) {
      const timestamp = view.getBigInt64(at)
      const relative = view.getUint32(at + 8)
      if (timestamp > BigInt(Number.MAX_SAFE_INTEGER) || timestamp < -1n) throw new IndexFormatError(`${fileName}: entry ${i} has timestamp ${timestamp} out of range`)
      if (relative > INDEX_FIELD_MAX || baseOffset + relative >= nextOffset) {
        throw new IndexFormatError(`${fileName}: entry ${i} points at offset ${baseOffset + relative}, past the segment's end ${nextOffset}`)
      }
      if (i > 0 && relative < index.relativeOffsets[i - 1]) throw new IndexFormatError(`${fileName}: entry ${i} offset goes backwards`)
      if (!index.maybeAppend(Number(timestamp), baseOffset + relative)) {
        throw new IndexFormatError(`${fileName}: entry ${i} timestamp ${timestamp} does not rise above the one before`)
      }
    }
    index.persistedCount = count
    return index
  }
}
