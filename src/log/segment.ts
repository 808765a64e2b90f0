// One log segment: a data file of whole RecordBatch v2 batches (exactly as Kafka
// stores them, no file header), its sparse offset index and its time index.
// The segment knows how to index a batch, serve reads by offset or timestamp,
// fence off damaged byte ranges and persist its indexes; the partition log
// decides when to write, roll, flush and delete.
//
// Definitions:
// - sizeBytes: bytes written and readable (a write in flight is not counted);
// - nextOffset: one past the last offset of the written batches;
// - a fence: a damaged byte range whose offsets are never served (CorruptRange).
//
// Concurrency: the partition log's single writer appends; any number of readers
// read concurrently (a read snapshots sizeBytes and never looks past it). The
// file handle is closed only after the segment is retired and its last reader
// has released it.
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, batchSizeAt, type BatchHeader } from './batch-header.js'
import { SCAN_CHUNK_BYTES, checkBatchAt, findNextGoodBatch, int64At } from './batch-scan.js'
import { CorruptRangeError, LogError, type CorruptRange } from './errors.js'
import { FileWindow } from './file-window.js'
import { segmentFileName } from './file-names.js'
import { INDEX_FIELD_MAX, INDEX_HEADER_BYTES } from './index-file.js'
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js'
import { joinPath, type Storage, type StorageFile } from './storage/storage.js'
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js'

/** Smallest read issued for a fetch, so small fetches still pick up whole nearby batches. */
export const READ_BYTES_MIN = 16 * 1024
/** Offsets in a segment are stored relative to its base offset in 32 bits. */
export const RELATIVE_OFFSET_MAX = INDEX_FIELD_MAX

export interface SegmentRead {
  batches: Uint8Array
  /** baseOffset of the first batch returned. */
  offsetFirst: number
  /** One past the last offset of the last batch returned. */
  nextOffset: number
}

export class LogSegment {
  readonly logPath: string
  readonly indexPath: string
  readonly timeIndexPath: string
  sizeBytes: number
  /** Bytes known to be durable (synced). */
  syncedBytes: number
  nextOffset: number
  offsetIndex: OffsetIndex
  timeIndex: TimeIndex
  /** Largest batch maxTimestamp in the segment, -1 when none. */
  maxTimestampMs = -1
  /** baseOffset of the batch holding maxTimestampMs. */
  offsetOfMaxTimestamp: number
  /** maxTimestamp of the first batch (segment.ms counts from it), -1 when none. */
  firstBatchTimestampMs = -1
  /** Wall-clock time the segment was created or loaded, for segments without timestamps. */
  readonly createdAtMs: number
  bytesSinceIndexEntry = 0
  /** Damaged byte ranges, sorted by position. */
  readonly fences: CorruptRange[] = []
  private readers = 0
  private retired = false
  private closed = false

  constructor(
    readonly dir: string,
    readonly topicPartition: string,
    readonly baseOffset: number,
    public file: StorageFile,
    sizeBytes: number,
    createdAtMs: number,
  ) {
    this.logPath = joinPath(dir, segmentFileName(baseOffset, 'log'))
    this.indexPath = joinPath(dir, segmentFileName(baseOffset, 'index'))
    this.timeIndexPath = joinPath(dir, segmentFileName(baseOffset, 'timeindex'))
    this.sizeBytes = sizeBytes
    this.syncedBytes = sizeBytes
    this.nextOffset = baseOffset
    this.offsetOfMaxTimestamp = baseOffset
    this.createdAtMs = createdAtMs
    this.offsetIndex = new OffsetIndex(baseOffset)
    this.timeIndex = new TimeIndex(baseOffset)
  }

  /** Creates an empty segment file (the caller syncs the directory). */
  static async create(storage: Storage, dir: string, topicPartition: string, baseOffset: number, nowMs: number): Promise<LogSegment> {
    const path = joinPath(dir, segmentFileName(baseOffset, 'log'))
    const file = await storage.open(path, { create: true })
    const existing = await file.size()
    if (existing > 0) {
      // Offsets only grow, so a new segment's name is never taken by live data.
      await file.close()
      throw new LogError(`${topicPartition}: refusing to create segment ${path}: the file exists and holds ${existing} bytes`)
    }
    return new LogSegment(dir, topicPartition, baseOffset, file, 0, nowMs)
  }

  get isEmpty(): boolean {
    return this.sizeBytes === 0
  }

  /** Offsets of this segment must stay below this (32-bit relative offsets). */
  get offsetLimit(): number {
    return this.baseOffset + RELATIVE_OFFSET_MAX + 1
  }

  // ------------------------------------------------------------ writing

  /** Writes whole batches at the end of the data file; the caller then indexes them. */
  async write(chunks: readonly Uint8Array[]): Promise<void> {
    await this.file.write(this.sizeBytes, chunks)
  }

  /**
   * Accounts for one batch now stored at `position` (after a write, or while
   * rebuilding indexes): advances sizeBytes and nextOffset and adds sparse
   * index entries. O(1), no I/O.
   */
  indexBatch(baseOffset: number, lastOffset: number, maxTimestampMs: number, position: number, sizeBytes: number, indexIntervalBytes: number): void {
    if (position === 0) this.firstBatchTimestampMs = maxTimestampMs
    if (maxTimestampMs > this.maxTimestampMs) {
      this.maxTimestampMs = maxTimestampMs
      this.offsetOfMaxTimestamp = baseOffset
    }
    if (this.bytesSinceIndexEntry > indexIntervalBytes) {
      this.offsetIndex.append(baseOffset, position)
      if (this.maxTimestampMs >= 0) this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp)
      this.bytesSinceIndexEntry = 0
    }
    this.bytesSinceIndexEntry += sizeBytes
    this.sizeBytes = position + sizeBytes
    this.nextOffset = lastOffset + 1
  }

  /** Forgets all index state (before a rebuild scan). */
  resetIndexes(): void {
    this.offsetIndex = new OffsetIndex(this.baseOffset)
    this.timeIndex = new TimeIndex(this.baseOffset)
    this.maxTimestampMs = -1
    this.offsetOfMaxTimestamp = this.baseOffset
    this.firstBatchTimestampMs = -1
    this.bytesSinceIndexEntry = 0
    this.sizeBytes = 0
    this.nextOffset = this.baseOffset
  }

  /** Adds the final time-index entry so the last entry holds the segment's largest timestamp. */
  seal(): void {
    if (this.maxTimestampMs >= 0) this.timeIndex.maybeAppend(this.maxTimestampMs, this.offsetOfMaxTimestamp)
  }

  async sync(): Promise<void> {
    const size = this.sizeBytes
    await this.file.sync()
    if (size > this.syncedBytes) this.syncedBytes = size
  }

  /** Cuts the data file at `position` (a torn tail) and drops index entries past it. */
  async truncateTo(position: number, nextOffset: number): Promise<void> {
    await this.file.truncate(position)
    await this.file.sync()
    this.sizeBytes = position
    this.syncedBytes = position
    this.nextOffset = nextOffset
    this.offsetIndex.truncateToPosition(position)
    this.timeIndex.truncateToOffset(nextOffset)
  }

  /**
   * Writes index entries not yet in the index files and syncs them. With a
   * suffix (the cleaner's `.cleaned`), writes whole new files under that name.
   */
  async persistIndexes(storage: Storage, suffix = ''): Promise<void> {
    if (suffix !== '') {
      this.offsetIndex.persistedCount = 0
      this.timeIndex.persistedCount = 0
    }
    await persistIndex(storage, this.indexPath + suffix, this.offsetIndex, OFFSET_INDEX_ENTRY_BYTES)
    await persistIndex(storage, this.timeIndexPath + suffix, this.timeIndex, TIME_INDEX_ENTRY_BYTES)
  }

  // ------------------------------------------------------------ reading

  acquire(): void {
    this.readers++
  }

  async release(): Promise<void> {
    this.readers--
    if (this.retired && this.readers === 0) await this.closeFile()
  }

  /** Marks the segment as gone from the log; the file closes once no reader holds it. */
  async retire(): Promise<void> {
    this.retired = true
    if (this.readers === 0) await this.closeFile()
  }

  get isRetired(): boolean {
    return this.retired
  }

  async closeFile(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.file.close()
  }

  private fenceStartingAt(position: number): CorruptRange | undefined {
    for (const fence of this.fences) if (fence.positionStart === position) return fence
    return undefined
  }

  addFence(fence: CorruptRange): void {
    if (this.fenceStartingAt(fence.positionStart)) return
    this.fences.push(fence)
    this.fences.sort((a, b) => a.positionStart - b.positionStart)
  }

  /**
   * Finds where the damage starting at `position` ends (the next good batch, or
   * the end of the data) and records it as a fence.
   */
  async discoverFence(position: number, expectedOffset: number, problem: string, end: number): Promise<CorruptRange> {
    const window = new FileWindow(this.file, end, SCAN_CHUNK_BYTES)
    const next = await findNextGoodBatch(window, position, expectedOffset, Math.min(this.offsetLimit, Math.max(this.nextOffset, expectedOffset + 1)))
    const fence: CorruptRange = next
      ? {
          topicPartition: this.topicPartition,
          file: this.logPath,
          positionStart: position,
          positionEnd: next.position,
          offsetFirst: expectedOffset,
          offsetLast: next.header.baseOffset - 1,
          resumeOffset: next.header.baseOffset,
          reason: problem,
        }
      : {
          topicPartition: this.topicPartition,
          file: this.logPath,
          positionStart: position,
          positionEnd: end,
          offsetFirst: expectedOffset,
          offsetLast: Math.max(expectedOffset, this.nextOffset) - 1,
          resumeOffset: Math.max(expectedOffset, this.nextOffset),
          reason: problem,
        }
    this.addFence(fence)
    return fence
  }

  /**
   * Whole batches starting with the one containing `offset`, up to `maxBytes`
   * (the first batch is returned whole even if larger), below `offsetLimit`.
   * Returns undefined when the segment holds no such batch. Every batch served
   * passed its checks (CRC too when `verifyCrc`); reading an offset inside a
   * fence throws CorruptRangeError. `onFence` hears of newly found damage.
   * With `buffer`, reads go into it when they fit and the result is a view of it.
   */
  async read(
    offset: number,
    maxBytes: number,
    offsetLimit: number,
    verifyCrc: boolean,
    indexIntervalBytes: number,
    onFence: (fence: CorruptRange) => void,
    buffer?: Uint8Array,
  ): Promise<SegmentRead | undefined> {
    const end = this.sizeBytes
    const start = this.offsetIndex.lookup(offset)
    let position = start.position
    let expected = start.offset
    const window = new FileWindow(this.file, end, Math.max(READ_BYTES_MIN, maxBytes + indexIntervalBytes + BATCH_HEADER_BYTES), buffer)
    // Phase 1: find the batch holding `offset`, checking lengths and continuity only.
    let first: BatchHeader | undefined
    let firstSize = 0
    while (position < end) {
      const fence = this.fenceStartingAt(position) ?? (await this.checkOrFence(window, position, expected, false, onFence))
      if ('positionStart' in fence) {
        if (offset <= fence.offsetLast) throw new CorruptRangeError(fence)
        position = fence.positionEnd
        expected = fence.resumeOffset
        continue
      }
      const { header, sizeBytes } = fence
      if (header.baseOffset >= offsetLimit) return undefined
      const lastOffset = header.baseOffset + header.lastOffsetDelta
      if (lastOffset >= offset) {
        first = header
        firstSize = sizeBytes
        break
      }
      position += sizeBytes
      expected = lastOffset + 1
    }
    if (first === undefined) return undefined
    // Phase 2: collect whole batches from there, each fully checked. The window
    // covers the budget, so checks inside it need no further reads.
    const firstPosition = position
    const budget = Math.max(firstSize, Math.min(maxBytes, end - firstPosition))
    const limit = firstPosition + (await window.ensure(firstPosition, budget))
    let nextOffset = expected
    while (position < limit) {
      if (position !== firstPosition) {
        if (limit - position < BATCH_LOG_OVERHEAD) break
        const sizeBytes = batchSizeAt(window.buffer, window.at(position))
        if (sizeBytes >= BATCH_HEADER_BYTES && position + sizeBytes > limit) break
        if (int64At(window.buffer, window.at(position)) >= offsetLimit) break
      }
      const checked = this.fenceStartingAt(position) ?? (await this.checkOrFence(window, position, expected, verifyCrc, onFence))
      if ('positionStart' in checked) {
        if (position === firstPosition && offset <= checked.offsetLast) throw new CorruptRangeError(checked)
        break
      }
      position += checked.sizeBytes
      nextOffset = expected = checked.header.baseOffset + checked.header.lastOffsetDelta + 1
    }
    if (position === firstPosition) return undefined
    const at = window.at(firstPosition)
    return { batches: window.buffer.subarray(at, at + (position - firstPosition)), offsetFirst: first.baseOffset, nextOffset }
  }

  /** Checks one batch; on damage, finds (or reuses) the fence and returns it. */
  private async checkOrFence(
    window: FileWindow,
    position: number,
    expected: number,
    verifyCrc: boolean,
    onFence: (fence: CorruptRange) => void,
  ): Promise<CorruptRange | { header: BatchHeader; sizeBytes: number }> {
    const check = await checkBatchAt(window, position, { expectedBaseOffset: expected, offsetLimit: this.offsetLimit, verifyCrc })
    if (check.header !== undefined) return check
    const fence = await this.discoverFence(position, expected, check.problem, window.end)
    onFence(fence)
    return fence
  }

  /**
   * The first batch at or after `startOffset` whose maxTimestamp >= targetMs,
   * below `offsetLimit`; damaged ranges are skipped. Undefined when none.
   */
  async findBatchByTimestamp(targetMs: number, startOffset: number, offsetLimit: number, onFence: (fence: CorruptRange) => void): Promise<{ header: BatchHeader; batch: Uint8Array } | undefined> {
    const end = this.sizeBytes
    const scanFrom = Math.max(startOffset, this.timeIndex.lookup(targetMs))
    const start = this.offsetIndex.lookup(scanFrom)
    let position = start.position
    let expected = start.offset
    const window = new FileWindow(this.file, end, SCAN_CHUNK_BYTES)
    while (position < end) {
      const checked = this.fenceStartingAt(position) ?? (await this.checkOrFence(window, position, expected, true, onFence))
      if ('positionStart' in checked) {
        position = checked.positionEnd
        expected = checked.resumeOffset
        continue
      }
      const { header, sizeBytes } = checked
      if (header.baseOffset >= offsetLimit) return undefined
      const lastOffset = header.baseOffset + header.lastOffsetDelta
      if (lastOffset >= startOffset && header.maxTimestamp >= targetMs) {
        const at = window.at(position)
        return { header, batch: window.buffer.subarray(at, at + sizeBytes) }
      }
      position += sizeBytes
      expected = lastOffset + 1
    }
    return undefined
  }
}

async function persistIndex(storage: Storage, path: string, index: OffsetIndex | TimeIndex, entryBytes: number): Promise<void> {
  const file = await storage.open(path, { create: true })
  try {
    if (index.persistedCount === 0) {
      await file.truncate(0)
      await file.write(0, [index.header(), index.encodeEntries(0)])
    } else {
      await file.write(INDEX_HEADER_BYTES + index.persistedCount * entryBytes, [index.encodeEntries(index.persistedCount)])
    }
    await file.truncate(INDEX_HEADER_BYTES + index.count * entryBytes)
    await file.sync()
    index.persistedCount = index.count
  } finally {
    await file.close()
  }
}
