// The sparse offset index of one segment: (relative offset, file position) pairs,
// one every `index.interval.bytes` of batches, each pointing at the start of a
// batch whose baseOffset is baseOffset + relative offset. A lookup gives the
// last entry at or before an offset; the reader scans forward from there.
//
// File layout: the 16-byte header of index-file.ts ("EXOI", entryBytes 8), then
// entries of relativeOffset uint32 BE, position uint32 BE, both strictly rising.
//
// Concurrency: owned by one LogSegment; appended to by the log's single writer,
// read by any number of readers between writes (no awaits inside methods).
import { INDEX_FIELD_MAX, INDEX_HEADER_BYTES, IndexFormatError, checkIndexHeader, grow, writeIndexHeader } from './index-file.js'

export const OFFSET_INDEX_MAGIC = 'EXOI'
export const OFFSET_INDEX_ENTRY_BYTES = 8

export interface OffsetPosition {
  offset: number
  position: number
}

export class OffsetIndex {
  private relativeOffsets = new Int32Array(16)
  private positions = new Int32Array(16)
  private entries = 0
  /** Entries already written to the index file. */
  persistedCount = 0

  constructor(readonly baseOffset: number) {}

  get count(): number {
    return this.entries
  }

  get lastPosition(): number {
    return this.entries === 0 ? -1 : this.positions[this.entries - 1]
  }

  entry(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeOffsets[i], position: this.positions[i] }
  }

  append(offset: number, position: number): void {
    const relative = offset - this.baseOffset
    if (this.entries > 0 && (relative <= this.relativeOffsets[this.entries - 1] || position <= this.positions[this.entries - 1])) {
      throw new Error(`offset index ${this.baseOffset}: entry (${offset}, ${position}) does not follow (${this.entry(this.entries - 1).offset}, ${this.lastPosition})`)
    }
    if (relative < 0 || relative > INDEX_FIELD_MAX || position < 0 || position > INDEX_FIELD_MAX) {
      throw new Error(`offset index ${this.baseOffset}: entry (${offset}, ${position}) out of the 32-bit range`)
    }
    this.relativeOffsets = grow(this.relativeOffsets, this.entries + 1, (n) => new Int32Array(n))
    this.positions = grow(this.positions, this.entries + 1, (n) => new Int32Array(n))
    this.relativeOffsets[this.entries] = relative
    this.positions[this.entries] = position
    this.entries++
  }

  /** The last entry at or before `offset`, or the segment start when there is none. */
  lookup(offset: number): OffsetPosition {
    const relative = offset - this.baseOffset
    let lo = 0
    let hi = this.entries - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.relativeOffsets[mid] <= relative) {
        found = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    return found < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(found)
  }

  /** Drops entries at or past `position` (after the data file was truncated there). */
  truncateToPosition(position: number): void {
    while (this.entries > 0 && this.positions[this.entries - 1] >= position) this.entries--
    this.persistedCount = Math.min(this.persistedCount, this.entries)
  }

  /** Entries [from, count) encoded for the file. */
  encodeEntries(from: number): Uint8Array {
    const bytes = new Uint8Array((this.entries - from) * OFFSET_INDEX_ENTRY_BYTES)
    const view = new DataView(bytes.buffer)
    for (let i = from, at = 0; i < this.entries; i++, at += OFFSET_INDEX_ENTRY_BYTES) {
      view.setUint32(at, this.relativeOffsets[i])
      view.setUint32(at + 4, this.positions[i])
    }
    return bytes
  }

  header(): Uint8Array {
    return writeIndexHeader(OFFSET_INDEX_MAGIC, OFFSET_INDEX_ENTRY_BYTES, this.baseOffset)
  }

  /**
   * Reads an index file, checking the header, that entries rise strictly and
   * that every position lies inside the data file. Throws IndexFormatError.
   */
  static parse(bytes: Uint8Array, baseOffset: number, fileName: string, dataSizeBytes: number): OffsetIndex {
    const count = checkIndexHeader(bytes, OFFSET_INDEX_MAGIC, OFFSET_INDEX_ENTRY_BYTES, baseOffset, fileName)
    const index = new OffsetIndex(baseOffset)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    for (let i = 0, at = INDEX_HEADER_BYTES; i < count; i++, at += OFFSET_INDEX_ENTRY_BYTES) {
      const relative = view.getUint32(at)
      const position = view.getUint32(at + 4)
      if (position >= dataSizeBytes) throw new IndexFormatError(`${fileName}: entry ${i} points at byte ${position}, past the data file's ${dataSizeBytes} bytes`)
      if (i > 0 && (relative <= index.relativeOffsets[i - 1] || position <= index.positions[i - 1])) {
        throw new IndexFormatError(`${fileName}: entry ${i} (${relative}, ${position}) does not rise above the one before`)
      }
      if (relative > INDEX_FIELD_MAX || position > INDEX_FIELD_MAX) throw new IndexFormatError(`${fileName}: entry ${i} out of range`)
      index.append(baseOffset + relative, position)
    }
    index.persistedCount = count
    return index
  }
}
