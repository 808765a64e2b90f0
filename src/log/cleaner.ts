// Log compaction (cleanup.policy=compact): keep only the latest record per key,
// and drop tombstones (null values) once they are older than delete.retention.ms.
// This is Kafka's LogCleaner for one log, run in the background.
//
// Definitions (as Kafka's cleaner javadoc):
// - the active segment is never cleaned; everything before it is cleanable;
// - the clean section is [logStartOffset, firstDirtyOffset): already compacted;
// - the dirty section is [firstDirtyOffset, active base): appended since.
//
// A run: (1) build the offset map — latest offset per key — over the dirty
// section, up to OFFSET_MAP_KEYS_MAX keys (ending at a segment boundary when it
// fills); (2) rewrite the cleanable segments in groups of at most segment.bytes:
// batches with nothing to drop are copied byte for byte; others are re-encoded
// with encodeRecordBatch keeping every surviving record's offset, codec and
// producer fields; (3) swap each group in atomically: `.cleaned` files written
// and synced, renamed `.swap` (the commit point), old files renamed `.deleted`,
// `.swap` renamed into place — recovery finishes or discards each step;
// (4) checkpoint the new first dirty offset.
//
// Offsets stay contiguous at the batch level: when whole batches disappear, the
// next re-encoded batch starts where they started (its first record has an
// offset delta > 0), or an empty batch covers them at the end of a group. So
// recovery's continuity check holds for compacted segments too.
//
// Idempotent and transactional producers: a batch with a producer id is never
// merged into a gap (its base offset, and so the sequence range a replay
// derives from its offsets, stays as written), and each producer's last batch
// among the segments rewritten is kept even when all its records go — as an
// empty batch with its producer fields — so a broker that replays the log
// after a crash still knows the producer's epoch and last sequence (Kafka's
// cleaner keeps it for the same reason).
//
// Records without a key cannot be compacted and are dropped, as Kafka does.
// Control batches (transaction markers) are copied unchanged. Data with a
// damaged (fenced) range is never rewritten: the run stops with an error.
//
// Concurrency: runs on the event loop in slices of at most CLEANER_SLICE_MS,
// yielding between them, so appends and reads proceed. It holds the log's
// maintenance mutex (retention waits); appends go to the active segment, which
// it never touches; readers keep reading old segments until each swap, and
// in-flight reads of replaced segments finish on their open files.
import type { BatchHeader } from './batch-header.js'
import { SCAN_CHUNK_BYTES, checkBatchAt } from './batch-scan.js'
import { writeCheckpoint } from './checkpoint-files.js'
import { CorruptRangeError, LogError } from './errors.js'
import { FileWindow } from './file-window.js'
import { CLEANER_CHECKPOINT_FILE, CLEANED_SUFFIX, SWAP_SUFFIX } from './file-names.js'
import type { PartitionLog } from './partition-log.js'
import { decodeRecordBatch, encodeRecordBatch, type RecordInput } from './record-batch.js'
import { CLEANER_CHECKPOINT_FORMAT } from './recovery.js'
import { LogSegment, RELATIVE_OFFSET_MAX } from './segment.js'
import { joinPath } from './storage/storage.js'

/** Most distinct keys held in the offset map (a soft limit: the first dirty segment is always mapped whole). */
export const OFFSET_MAP_KEYS_MAX = 2_000_000
/** Longest stretch of cleaner work between two yields to the event loop. */
export const CLEANER_SLICE_MS = 8
/** Output is written in chunks of about this size. */
export const CLEANER_WRITE_BYTES = 1024 * 1024

export interface CleanerStats {
  /** True when a run happened (false: nothing dirty to clean). */
  cleaned: boolean
  firstDirtyOffsetBefore: number
  /** The new first dirty offset (the end of what this run cleaned). */
  cleanedUpTo: number
  segmentsRead: number
  segmentsWritten: number
  bytesRead: number
  bytesWritten: number
  recordsRead: number
  recordsRemoved: number
  tombstonesRemoved: number
  keylessRemoved: number
  batchesCopied: number
  batchesRewritten: number
  durationMs: number
}

export class CleanerAbortedError extends LogError {
  override name = 'CleanerAbortedError'
}

/** Yields to the event loop when the current slice of work is used up. */
class Slicer {
  private sliceStart = Date.now()
  async maybeYield(): Promise<void> {
    if (Date.now() - this.sliceStart < CLEANER_SLICE_MS) return
    await new Promise((resolve) => setTimeout(resolve, 0))
    this.sliceStart = Date.now()
  }
}

/** Bytes per String.fromCharCode call when turning a key into a string (stays far below argument limits). */
const KEY_CHUNK_CHARS = 4096

/** Key bytes as a string usable as a Map key (one char per byte, so distinct bytes give distinct strings). */
function keyString(key: Uint8Array): string {
  let out = ''
  for (let i = 0; i < key.length; i += KEY_CHUNK_CHARS) out += String.fromCharCode.apply(null, key.subarray(i, i + KEY_CHUNK_CHARS) as unknown as number[])
  return out
}

/** The fraction of non-active bytes that are dirty. */
export function dirtyRatio(log: PartitionLog): number {
  const segments = log.segments.slice(0, -1)
  let total = 0
  let dirty = 0
  const firstDirty = log.firstDirtyOffset ?? log.logStartOffset
  for (const segment of segments) {
    total += segment.sizeBytes
    if (segment.nextOffset > firstDirty) dirty += segment.sizeBytes
  }
  return total === 0 ? 0 : dirty / total
}

/**
 * Visits every batch of a segment (CRC checked); damage stops the run. `batch`
 * is a view of a reused read buffer, valid only until `visit` returns.
 */
async function forEachBatch(
  log: PartitionLog,
  segment: LogSegment,
  slicer: Slicer,
  visit: (header: BatchHeader, batch: Uint8Array) => void | Promise<void>,
  { verifyCrc = true }: { verifyCrc?: boolean } = {},
): Promise<void> {
  if (segment.fences.length > 0) throw new CorruptRangeError(segment.fences[0])
  const window = new FileWindow(segment.file, segment.sizeBytes, SCAN_CHUNK_BYTES, new Uint8Array(SCAN_CHUNK_BYTES))
  let position = 0
  let expected = segment.baseOffset
  while (position < segment.sizeBytes) {
    if (log.abortCleaning) throw new CleanerAbortedError(`${log.topicPartition}: compaction stopped because the log is closing`)
    const check = await checkBatchAt(window, position, { expectedBaseOffset: expected, offsetLimit: segment.offsetLimit, verifyCrc })
    if (check.header === undefined) {
      const fence = await segment.discoverFence(position, expected, check.problem, segment.sizeBytes)
      throw new CorruptRangeError(fence)
    }
    const at = window.at(position)
    await visit(check.header, window.buffer.subarray(at, at + check.sizeBytes))
    position += check.sizeBytes
    expected = check.header.baseOffset + check.header.lastOffsetDelta + 1
    await slicer.maybeYield()
  }
}

/** Groups consecutive segments so each group's output fits one segment (size and 32-bit relative offsets). */
function groupSegments(segments: LogSegment[], segmentBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = []
  let current: LogSegment[] = []
  let bytes = 0
  for (const segment of segments) {
    const fits = current.length > 0 && bytes + segment.sizeBytes <= segmentBytes && segment.nextOffset - 1 - current[0].baseOffset <= RELATIVE_OFFSET_MAX
    if (!fits && current.length > 0) {
      groups.push(current)
      current = []
      bytes = 0
    }
    current.push(segment)
    bytes += segment.sizeBytes
  }
  if (current.length > 0) groups.push(current)
  return groups
}

/** Compacts the log once. Callers go through PartitionLog.compact(), which serialises runs. */
export async function cleanLog(log: PartitionLog, nowMs: number): Promise<CleanerStats> {
  const started = Date.now()
  const slicer = new Slicer()
  const firstDirty = Math.max(log.firstDirtyOffset ?? log.logStartOffset, log.logStartOffset)
  const stats: CleanerStats = {
    cleaned: false,
    firstDirtyOffsetBefore: firstDirty,
    cleanedUpTo: firstDirty,
    segmentsRead: 0,
    segmentsWritten: 0,
    bytesRead: 0,
    bytesWritten: 0,
    recordsRead: 0,
    recordsRemoved: 0,
    tombstonesRemoved: 0,
    keylessRemoved: 0,
    batchesCopied: 0,
    batchesRewritten: 0,
    durationMs: 0,
  }
  const cleanable = log.segments.slice(0, -1)
  const dirty = cleanable.filter((s) => s.nextOffset > firstDirty)
  if (dirty.length === 0) return stats
  for (const segment of cleanable) segment.acquire()
  try {
    // (1) The offset map over the dirty section, and each producer's last batch in what is rewritten: the
    // clean section's batch headers first, then the dirty section's as the map is built (later wins).
    const latest = new Map<string, number>()
    const lastBatchOfProducer = new Map<number, number>()
    const noteProducer = (header: BatchHeader) => {
      if (header.producerId >= 0 && !header.isControl) lastBatchOfProducer.set(header.producerId, header.baseOffset)
    }
    for (const segment of cleanable) if (segment.nextOffset <= firstDirty) await forEachBatch(log, segment, slicer, noteProducer, { verifyCrc: false })
    let cleanUpTo = firstDirty
    for (const segment of dirty) {
      if (latest.size >= OFFSET_MAP_KEYS_MAX && cleanUpTo > firstDirty) break
      await forEachBatch(log, segment, slicer, (header, batch) => {
        noteProducer(header)
        if (header.isControl) return
        const decoded = decodeRecordBatch(batch, { verifyCrc: false })
        for (let i = 0; i < decoded.count; i++) {
          const key = decoded.key(i)
          if (key !== null) latest.set(keyString(key), decoded.offsets[i])
        }
      })
      cleanUpTo = segment.nextOffset
    }
    // (2, 3) Rewrite and swap each group of segments up to cleanUpTo.
    const toClean = cleanable.filter((s) => s.nextOffset <= cleanUpTo)
    for (const group of groupSegments(toClean, log.config.segmentBytes)) {
      const output = await rewriteGroup(log, group, latest, lastBatchOfProducer, nowMs, stats, slicer)
      await swapIn(log, group, output)
      stats.segmentsRead += group.length
      stats.segmentsWritten++
    }
    // (4) Checkpoint the progress.
    await writeCheckpoint(log.storage, joinPath(log.dir, CLEANER_CHECKPOINT_FILE), CLEANER_CHECKPOINT_FORMAT, { firstDirtyOffset: cleanUpTo })
    log.firstDirtyOffset = cleanUpTo
    stats.cleaned = true
    stats.cleanedUpTo = cleanUpTo
  } finally {
    for (const segment of cleanable) await segment.release()
  }
  stats.durationMs = Date.now() - started
  return stats
}

/** Writes the compacted form of a group into `<base>.log.cleaned` (+ indexes) and returns it, synced. */
async function rewriteGroup(
  log: PartitionLog,
  group: LogSegment[],
  latest: Map<string, number>,
  lastBatchOfProducer: ReadonlyMap<number, number>,
  nowMs: number,
  stats: CleanerStats,
  slicer: Slicer,
): Promise<LogSegment> {
  const base = group[0].baseOffset
  const path = joinPath(log.dir, group[0].logPath.slice(group[0].logPath.lastIndexOf('/') + 1)) + CLEANED_SUFFIX
  const file = await log.storage.open(path, { create: true })
  await file.truncate(0)
  const output = new LogSegment(log.dir, log.topicPartition, base, file, 0, nowMs)
  let chunks: Uint8Array[] = []
  let chunkBytes = 0
  let gapStart = -1
  let gapTimestampMs = -1
  // `batch` may be a view of forEachBatch's reused buffer: keep a copy.
  const emit = async (header: { baseOffset: number; lastOffset: number; maxTimestamp: number }, view: Uint8Array) => {
    const batch = view.slice()
    output.indexBatch(header.baseOffset, header.lastOffset, header.maxTimestamp, output.sizeBytes, batch.length, log.config.indexIntervalBytes)
    chunks.push(batch)
    chunkBytes += batch.length
    stats.bytesWritten += batch.length
    if (chunkBytes >= CLEANER_WRITE_BYTES) await flushChunks()
  }
  const flushChunks = async () => {
    if (chunks.length === 0) return
    await file.write(output.sizeBytes - chunkBytes, chunks)
    chunks = []
    chunkBytes = 0
  }
  try {
    for (const segment of group) {
      await forEachBatch(log, segment, slicer, async (header, batch) => {
        stats.bytesRead += batch.length
        const lastOffset = header.baseOffset + header.lastOffsetDelta
        if (header.isControl) {
          if (gapStart >= 0) await emit(...closeGap(header.baseOffset - 1))
          stats.batchesCopied++
          await emit({ baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp }, batch)
          return
        }
        const decoded = decodeRecordBatch(batch, { verifyCrc: false })
        stats.recordsRead += decoded.count
        const keep: number[] = []
        for (let i = 0; i < decoded.count; i++) {
          const key = decoded.key(i)
          if (key === null) {
            stats.keylessRemoved++
            continue
          }
          const newest = latest.get(keyString(key))
          if (newest !== undefined && newest !== decoded.offsets[i]) continue
          if (decoded.valueLengths[i] < 0 && decoded.timestamps[i] + log.config.deleteRetentionMs <= nowMs) {
            stats.tombstonesRemoved++
            continue
          }
          keep.push(i)
        }
        stats.recordsRemoved += decoded.count - keep.length
        const producerBatch = header.producerId >= 0
        const producersLast = producerBatch && lastBatchOfProducer.get(header.producerId) === header.baseOffset
        // A producer's batch keeps its base offset: close the gap before it rather than start it there.
        if (producerBatch && gapStart >= 0 && (keep.length > 0 || producersLast)) await emit(...closeGap(header.baseOffset - 1))
        if (keep.length === 0 && producersLast) {
          // The producer's last batch here: kept, emptied, with the fields a replay rebuilds its state from.
          const emptied = encodeRecordBatch([], {
            baseOffset: header.baseOffset,
            lastOffsetDelta: header.lastOffsetDelta,
            baseTimestamp: Math.max(header.maxTimestamp, 0),
            producerId: header.producerId,
            producerEpoch: header.producerEpoch,
            baseSequence: header.baseSequence,
            transactional: header.isTransactional,
            partitionLeaderEpoch: header.partitionLeaderEpoch,
          })
          stats.batchesRewritten++
          await emit({ baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp }, emptied)
          return
        }
        if (keep.length === 0) {
          // The whole batch goes; its offsets join the gap the next batch will cover.
          if (gapStart < 0) gapStart = header.baseOffset
          gapTimestampMs = Math.max(gapTimestampMs, header.maxTimestamp)
          return
        }
        if (keep.length === decoded.count && gapStart < 0) {
          stats.batchesCopied++
          await emit({ baseOffset: header.baseOffset, lastOffset, maxTimestamp: header.maxTimestamp }, batch)
          return
        }
        const newBase = gapStart >= 0 ? gapStart : header.baseOffset
        gapStart = -1
        gapTimestampMs = -1
        const records: RecordInput[] = keep.map((i) => ({
          key: decoded.key(i),
          value: decoded.value(i),
          headers: decoded.headers(i),
          timestamp: decoded.timestamps[i],
          offsetDelta: decoded.offsets[i] - newBase,
        }))
        const rewritten = encodeRecordBatch(records, {
          baseOffset: newBase,
          lastOffsetDelta: lastOffset - newBase,
          compression: header.compression,
          producerId: header.producerId,
          producerEpoch: header.producerEpoch,
          baseSequence: header.baseSequence,
          transactional: header.isTransactional,
          timestampType: header.timestampType,
          logAppendTime: header.timestampType === 'log-append' ? header.maxTimestamp : undefined,
          partitionLeaderEpoch: header.partitionLeaderEpoch,
        })
        stats.batchesRewritten++
        const rewrittenHeader = { baseOffset: newBase, lastOffset, maxTimestamp: header.maxTimestamp }
        await emit(rewrittenHeader, rewritten)
      })
    }
    // Offsets of batches dropped at the end of the group are covered by one empty batch.
    if (gapStart >= 0) await emit(...closeGap(group[group.length - 1].nextOffset - 1))
    await flushChunks()
    output.seal()
    await output.sync()
    await output.persistIndexes(log.storage, CLEANED_SUFFIX)
    return output
  } catch (error) {
    await file.close().catch(() => undefined)
    await log.storage.remove(path).catch(() => undefined)
    await log.storage.remove(output.indexPath + CLEANED_SUFFIX).catch(() => undefined)
    await log.storage.remove(output.timeIndexPath + CLEANED_SUFFIX).catch(() => undefined)
    throw error
  }

  function closeGap(lastOffset: number): [{ baseOffset: number; lastOffset: number; maxTimestamp: number }, Uint8Array] {
    const empty = encodeRecordBatch([], { baseOffset: gapStart, lastOffsetDelta: lastOffset - gapStart, baseTimestamp: Math.max(gapTimestampMs, 0) })
    const header = { baseOffset: gapStart, lastOffset, maxTimestamp: Math.max(gapTimestampMs, 0) }
    gapStart = -1
    gapTimestampMs = -1
    stats.batchesRewritten++
    return [header, empty]
  }
}

/**
 * Replaces `group` by `output` on disk and in the log, atomically at every
 * crash point: `.cleaned` → `.swap` (commit), old files → `.deleted`, `.swap` → final.
 */
async function swapIn(log: PartitionLog, group: LogSegment[], output: LogSegment): Promise<void> {
  const { storage } = log
  if (log.abortCleaning) {
    await output.closeFile()
    for (const path of [output.logPath, output.indexPath, output.timeIndexPath]) await storage.remove(path + CLEANED_SUFFIX)
    throw new CleanerAbortedError(`${log.topicPartition}: compaction stopped because the log is closing`)
  }
  // Index files first, the data file last: the data file's .swap name is the commit point.
  for (const path of [output.indexPath, output.timeIndexPath, output.logPath]) await storage.rename(path + CLEANED_SUFFIX, path + SWAP_SUFFIX)
  await storage.syncDir(log.dir)
  const renamed = await log.renameToDeleted(group.flatMap((s) => [s.logPath, s.indexPath, s.timeIndexPath]))
  for (const path of [output.indexPath, output.timeIndexPath, output.logPath]) await storage.rename(path + SWAP_SUFFIX, path)
  await storage.syncDir(log.dir)
  const first = group[0]
  log.segments = log.segments.flatMap((s) => (s === first ? [output] : group.includes(s) ? [] : [s]))
  for (const segment of group) void log.scheduleRemoval(segment, renamed.filter((p) => p.startsWith(segment.logPath.slice(0, -'.log'.length))))
}
