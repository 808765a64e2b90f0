// Loading a partition directory: finish or roll back interrupted multi-file
// steps, open the segments, and recover what an unclean shutdown may have left
// behind. This is Kafka's LogLoader, adapted to a single node:
//
// 1. Leftovers: `.tmp` and `.cleaned` files are uncommitted work and are deleted;
//    `.deleted` files were already dropped from the log and are deleted; a
//    `.log.swap` file is a committed compaction result: the segments it replaces
//    are deleted and it is renamed into place (index `.swap` files without a
//    `.log.swap` were never committed and are deleted).
// 2. Which segments to check: after a clean shutdown (marker present and
//    matching the active segment) none; otherwise every segment from the one
//    holding the recovery point on; with mode 'full', all of them.
// 3. Checking a segment: every batch's length, magic, CRC-32C, counts, and
//    offset continuity (baseOffset = previous lastOffset + 1, as the CRC does
//    not cover it). Indexes are rebuilt from the good batches.
// 4. A bad batch followed by good batches is damage in the middle: the range is
//    fenced (reads of its offsets fail with CorruptRangeError) and everything
//    after it is kept. A bad batch with nothing good after it anywhere in the log
//    is a torn tail — an unacknowledged write cut by the crash — and is truncated.
// 5. Segments not checked keep their index files if these pass sanity checks,
//    and are rebuilt from the data (and reported) if they do not.
// 6. Checked data is synced and the recovery point moves to the log end.
//
// Concurrency: runs once, before the log accepts any call.
import { BATCH_HEADER_BYTES } from './batch-header.js'
import { SCAN_CHUNK_BYTES, checkBatchAt, findNextGoodBatch } from './batch-scan.js'
import { readCheckpoint, writeCheckpoint } from './checkpoint-files.js'
import type { CorruptRange } from './errors.js'
import { FileWindow } from './file-window.js'
import {
  CLEANER_CHECKPOINT_FILE,
  CLEAN_SHUTDOWN_FILE,
  RECOVERY_POINT_FILE,
  TMP_SUFFIX,
  parseSegmentFileName,
  segmentFileName,
  type ParsedSegmentFile,
} from './file-names.js'
import { IndexFormatError } from './index-file.js'
import { OffsetIndex } from './offset-index.js'
import { LogSegment } from './segment.js'
import { joinPath, type Storage } from './storage/storage.js'
import { TimeIndex } from './time-index.js'

export const RECOVERY_POINT_FORMAT = 'eddy.recovery-point'
export const CLEAN_SHUTDOWN_FORMAT = 'eddy.clean-shutdown'
export const CLEANER_CHECKPOINT_FORMAT = 'eddy.cleaner-offset'

export type RecoveryMode = 'auto' | 'full'

export interface Truncation {
  file: string
  position: number
  bytes: number
  reason: string
}

/** What opening a partition found and did. */
export interface RecoveryReport {
  topicPartition: string
  /** The previous close was clean (marker present and matching), so nothing was scanned. */
  cleanShutdown: boolean
  /** Checking started at the segment holding this offset. */
  recoveryPointOffset: number
  segmentsLoaded: number
  segmentsScanned: number
  batchesScanned: number
  bytesScanned: number
  bytesTruncated: number
  truncations: Truncation[]
  indexesRebuilt: { file: string; reason: string }[]
  /** Damage kept on disk but fenced off; reads of these offsets fail. */
  corruptRanges: CorruptRange[]
  /** Interrupted steps finished: e.g. "completed compaction swap 00000000000000000000.log.swap". */
  stepsCompleted: string[]
  /** Files deleted as leftovers of interrupted steps. */
  leftoversRemoved: string[]
  /** Files in the directory this version does not know; left alone. */
  unknownFiles: string[]
  /** Anything else worth knowing (damaged checkpoint files and what was done instead). */
  notes: string[]
  logStartOffset: number
  logEndOffset: number
  durationMs: number
}

export interface LoadedLog {
  segments: LogSegment[]
  report: RecoveryReport
  firstDirtyOffset: number | undefined
}

export interface LoadOptions {
  storage: Storage
  dir: string
  topicPartition: string
  indexIntervalBytes: number
  mode: RecoveryMode
  nowMs: () => number
}

const KNOWN_FILES = new Set([RECOVERY_POINT_FILE, CLEAN_SHUTDOWN_FILE, CLEANER_CHECKPOINT_FILE])

export async function loadLog(options: LoadOptions): Promise<LoadedLog> {
  const started = options.nowMs()
  const { storage, dir } = options
  const report: RecoveryReport = {
    topicPartition: options.topicPartition,
    cleanShutdown: false,
    recoveryPointOffset: 0,
    segmentsLoaded: 0,
    segmentsScanned: 0,
    batchesScanned: 0,
    bytesScanned: 0,
    bytesTruncated: 0,
    truncations: [],
    indexesRebuilt: [],
    corruptRanges: [],
    stepsCompleted: [],
    leftoversRemoved: [],
    unknownFiles: [],
    notes: [],
    logStartOffset: 0,
    logEndOffset: 0,
    durationMs: 0,
  }
  await storage.mkdir(dir)
  const files = await cleanLeftovers(options, report)
  const marker = await readCheckpoint(storage, joinPath(dir, CLEAN_SHUTDOWN_FILE), CLEAN_SHUTDOWN_FORMAT, ['logEndOffset', 'activeSegmentBaseOffset', 'activeSegmentBytes'] as const)
  const recoveryPoint = await readCheckpoint(storage, joinPath(dir, RECOVERY_POINT_FILE), RECOVERY_POINT_FORMAT, ['recoveryPointOffset'] as const)
  const cleaner = await readCheckpoint(storage, joinPath(dir, CLEANER_CHECKPOINT_FILE), CLEANER_CHECKPOINT_FORMAT, ['firstDirtyOffset'] as const)
  if (marker.state === 'damaged') report.notes.push(`clean-shutdown marker ignored: ${marker.reason}`)
  if (recoveryPoint.state === 'damaged') report.notes.push(`recovery point ignored, checking every segment: ${recoveryPoint.reason}`)
  if (cleaner.state === 'damaged') report.notes.push(`cleaner checkpoint ignored, the whole log counts as dirty: ${cleaner.reason}`)

  const segments = await openSegments(options, files, recoveryPoint.state === 'ok' ? recoveryPoint.value.recoveryPointOffset : 0)
  report.segmentsLoaded = segments.length
  const last = segments[segments.length - 1]
  const clean =
    options.mode !== 'full' &&
    marker.state === 'ok' &&
    marker.value.activeSegmentBaseOffset === last.baseOffset &&
    marker.value.activeSegmentBytes === last.sizeBytes
  if (marker.state === 'ok' && !clean && options.mode !== 'full') report.notes.push('clean-shutdown marker does not match the active segment; recovering')
  if (marker.state !== 'missing') {
    // Gone before any new write, so a crash from here on is recovered as unclean.
    await storage.remove(joinPath(dir, CLEAN_SHUTDOWN_FILE))
    await storage.syncDir(dir)
  }
  report.cleanShutdown = clean

  let scanFrom = segments.length
  if (!clean) {
    const point = options.mode === 'full' || recoveryPoint.state !== 'ok' ? 0 : recoveryPoint.value.recoveryPointOffset
    report.recoveryPointOffset = point
    scanFrom = 0
    for (let i = 0; i < segments.length; i++) if (segments[i].baseOffset <= point) scanFrom = i
  } else {
    report.recoveryPointOffset = marker.value.logEndOffset
  }

  for (let i = 0; i < scanFrom; i++) {
    const next = segments[i + 1]
    // After a clean shutdown the marker names the log end: the active segment must end there.
    const endOffset = next?.baseOffset ?? (clean ? marker.value.logEndOffset : undefined)
    await loadTrustedSegment(options, segments[i], endOffset, next !== undefined, report)
  }
  let scanned = false
  for (let i = scanFrom; i < segments.length; i++) {
    scanned = true
    await recoverSegment(options, segments, i, report)
  }
  // Trailing segments removed by a torn-tail truncation may have shortened the list.
  for (let i = scanFrom; i < segments.length; i++) {
    const segment = segments[i]
    if (i < segments.length - 1) segment.seal()
    await segment.persistIndexes(storage)
    await segment.sync()
  }
  const logEndOffset = segments[segments.length - 1].nextOffset
  if (scanned || recoveryPoint.state !== 'ok' || recoveryPoint.value.recoveryPointOffset !== logEndOffset) {
    await writeCheckpoint(storage, joinPath(dir, RECOVERY_POINT_FILE), RECOVERY_POINT_FORMAT, { recoveryPointOffset: logEndOffset })
  }
  for (const segment of segments) report.corruptRanges.push(...segment.fences)
  report.logStartOffset = segments[0].baseOffset
  report.logEndOffset = logEndOffset
  report.durationMs = options.nowMs() - started
  return { segments, report, firstDirtyOffset: cleaner.state === 'ok' ? cleaner.value.firstDirtyOffset : undefined }
}

/** Step 1: deletes uncommitted work, completes committed swaps; returns the remaining segment files. */
async function cleanLeftovers(options: LoadOptions, report: RecoveryReport): Promise<ParsedSegmentFile[]> {
  const { storage, dir } = options
  const names = await storage.list(dir)
  const parsed: ParsedSegmentFile[] = []
  const remove = async (name: string) => {
    await storage.remove(joinPath(dir, name))
    report.leftoversRemoved.push(name)
  }
  for (const name of names.sort()) {
    if (name.endsWith(TMP_SUFFIX)) {
      await remove(name)
      continue
    }
    const file = parseSegmentFileName(name)
    if (file === undefined) {
      if (!KNOWN_FILES.has(name)) report.unknownFiles.push(name)
      continue
    }
    if (file.suffix === 'cleaned' || file.suffix === 'deleted') await remove(name)
    else parsed.push(file)
  }
  const swaps = parsed.filter((f) => f.suffix === 'swap')
  let live = parsed.filter((f) => f.suffix === undefined)
  for (const swap of swaps.filter((f) => f.kind !== 'log')) {
    if (!swaps.some((f) => f.kind === 'log' && f.baseOffset === swap.baseOffset)) await remove(segmentFileName(swap.baseOffset, swap.kind, 'swap'))
  }
  for (const swap of swaps.filter((f) => f.kind === 'log').sort((a, b) => a.baseOffset - b.baseOffset)) {
    const end = await swapEndOffset(storage, joinPath(dir, segmentFileName(swap.baseOffset, 'log', 'swap')), swap.baseOffset)
    // Every live file of a segment inside [base, end) is superseded by the swap.
    for (const file of live.filter((f) => f.baseOffset >= swap.baseOffset && f.baseOffset < end)) {
      await remove(segmentFileName(file.baseOffset, file.kind))
    }
    live = live.filter((f) => f.baseOffset < swap.baseOffset || f.baseOffset >= end)
    for (const kind of ['index', 'timeindex', 'log'] as const) {
      if (!swaps.some((f) => f.kind === kind && f.baseOffset === swap.baseOffset)) continue
      await storage.rename(joinPath(dir, segmentFileName(swap.baseOffset, kind, 'swap')), joinPath(dir, segmentFileName(swap.baseOffset, kind)))
      live.push({ baseOffset: swap.baseOffset, kind, suffix: undefined })
    }
    await storage.syncDir(dir)
    report.stepsCompleted.push(`completed compaction swap ${segmentFileName(swap.baseOffset, 'log', 'swap')} (offsets ${swap.baseOffset}..${end - 1})`)
  }
  // Index files without a data file belong to segments already deleted.
  const logs = new Set(live.filter((f) => f.kind === 'log').map((f) => f.baseOffset))
  for (const file of live.filter((f) => f.kind !== 'log' && !logs.has(f.baseOffset))) await remove(segmentFileName(file.baseOffset, file.kind))
  if (report.leftoversRemoved.length > 0) await storage.syncDir(dir)
  return live.filter((f) => logs.has(f.baseOffset))
}

/** One past the last offset stored in a (committed, fully synced) swap file. */
async function swapEndOffset(storage: Storage, path: string, baseOffset: number): Promise<number> {
  const file = await storage.open(path)
  try {
    const window = new FileWindow(file, await file.size(), SCAN_CHUNK_BYTES)
    let position = 0
    let end = baseOffset
    while (position < window.end) {
      const check = await checkBatchAt(window, position, { expectedBaseOffset: undefined, offsetLimit: Number.MAX_SAFE_INTEGER, verifyCrc: false })
      if (check.header === undefined) break
      end = check.header.baseOffset + check.header.lastOffsetDelta + 1
      position += check.sizeBytes
    }
    return end
  } finally {
    await file.close()
  }
}

async function openSegments(options: LoadOptions, files: ParsedSegmentFile[], startOffset: number): Promise<LogSegment[]> {
  const { storage, dir } = options
  const bases = files.filter((f) => f.kind === 'log').map((f) => f.baseOffset).sort((a, b) => a - b)
  const segments: LogSegment[] = []
  for (const base of bases) {
    const file = await storage.open(joinPath(dir, segmentFileName(base, 'log')))
    segments.push(new LogSegment(dir, options.topicPartition, base, file, await file.size(), options.nowMs()))
  }
  if (segments.length === 0) {
    segments.push(await LogSegment.create(storage, dir, options.topicPartition, startOffset, options.nowMs()))
    await storage.syncDir(dir)
  }
  return segments
}

/**
 * A segment below the recovery point (or after a clean shutdown): its data was
 * synced, so only its index files are checked; they are rebuilt if they fail.
 */
async function loadTrustedSegment(options: LoadOptions, segment: LogSegment, endOffset: number | undefined, hasNext: boolean, report: RecoveryReport): Promise<void> {
  const { storage } = options
  try {
    const indexBytes = await storage.readFile(segment.indexPath)
    if (indexBytes === undefined) throw new IndexFormatError(`${segment.indexPath} is missing`)
    const offsetIndex = OffsetIndex.parse(indexBytes, segment.baseOffset, segment.indexPath, segment.sizeBytes)
    segment.offsetIndex = offsetIndex
    // The last entry must point at the start of the batch it names.
    let tailPosition = 0
    let tailOffset = segment.baseOffset
    if (offsetIndex.count > 0) {
      const lastEntry = offsetIndex.entry(offsetIndex.count - 1)
      const check = await checkBatchAt(new FileWindow(segment.file, segment.sizeBytes, BATCH_HEADER_BYTES), lastEntry.position, {
        expectedBaseOffset: lastEntry.offset,
        offsetLimit: segment.offsetLimit,
        verifyCrc: false,
      })
      if (check.problem !== undefined) throw new IndexFormatError(`${segment.indexPath}: last entry does not point at its batch (${check.problem})`)
      tailPosition = lastEntry.position
      tailOffset = lastEntry.offset
    }
    const walked = await walkTail(segment, tailPosition, tailOffset, endOffset)
    const timeBytes = await storage.readFile(segment.timeIndexPath)
    if (timeBytes === undefined) throw new IndexFormatError(`${segment.timeIndexPath} is missing`)
    segment.timeIndex = TimeIndex.parse(timeBytes, segment.baseOffset, segment.timeIndexPath, walked.nextOffset)
    segment.nextOffset = walked.nextOffset
    segment.bytesSinceIndexEntry = segment.sizeBytes - tailPosition
    segment.maxTimestampMs = Math.max(segment.timeIndex.lastTimestampMs, walked.maxTimestampMs)
    const lastTime = segment.timeIndex.count > 0 ? segment.timeIndex.entry(segment.timeIndex.count - 1) : undefined
    segment.offsetOfMaxTimestamp = walked.maxTimestampMs > (lastTime?.timestampMs ?? -1) ? walked.offsetOfMaxTimestamp : (lastTime?.offset ?? segment.baseOffset)
    segment.firstBatchTimestampMs = await firstBatchTimestamp(segment)
  } catch (error) {
    if (!(error instanceof IndexFormatError)) throw error
    report.indexesRebuilt.push({ file: segment.indexPath, reason: error.message })
    await recoverSegmentAlone(options, segment, endOffset, report)
    if (hasNext) segment.seal()
    await segment.persistIndexes(storage)
  }
}

/** Walks batch headers from an indexed position to the end of the data, to find the next offset. */
async function walkTail(segment: LogSegment, position: number, offset: number, endOffset: number | undefined): Promise<{ nextOffset: number; maxTimestampMs: number; offsetOfMaxTimestamp: number }> {
  const window = new FileWindow(segment.file, segment.sizeBytes, SCAN_CHUNK_BYTES)
  let expected = offset
  let maxTimestampMs = -1
  let offsetOfMaxTimestamp = offset
  const offsetLimit = Math.min(segment.offsetLimit, endOffset ?? Number.MAX_SAFE_INTEGER)
  while (position < segment.sizeBytes) {
    const check = await checkBatchAt(window, position, { expectedBaseOffset: expected, offsetLimit, verifyCrc: false })
    if (check.header === undefined) throw new IndexFormatError(`${segment.logPath} at byte ${position}: ${check.problem}; the segment needs a full check`)
    if (check.header.maxTimestamp > maxTimestampMs) {
      maxTimestampMs = check.header.maxTimestamp
      offsetOfMaxTimestamp = check.header.baseOffset
    }
    expected = check.header.baseOffset + check.header.lastOffsetDelta + 1
    position += check.sizeBytes
  }
  if (endOffset !== undefined && expected !== endOffset && segment.sizeBytes > 0) {
    throw new IndexFormatError(`${segment.logPath} ends at offset ${expected - 1} but offset ${endOffset - 1} was expected last; the segment needs a full check`)
  }
  return { nextOffset: segment.sizeBytes === 0 ? segment.baseOffset : expected, maxTimestampMs, offsetOfMaxTimestamp }
}

async function firstBatchTimestamp(segment: LogSegment): Promise<number> {
  if (segment.sizeBytes < BATCH_HEADER_BYTES) return -1
  const check = await checkBatchAt(new FileWindow(segment.file, segment.sizeBytes, BATCH_HEADER_BYTES), 0, {
    expectedBaseOffset: undefined,
    offsetLimit: Number.MAX_SAFE_INTEGER,
    verifyCrc: false,
  })
  return check.header?.maxTimestamp ?? -1
}

const scratches = new WeakMap<LoadOptions, Uint8Array>()

/** One reusable read buffer per load: scans touch no fresh memory per chunk. */
function scanScratch(options: LoadOptions): Uint8Array {
  let scratch = scratches.get(options)
  if (scratch === undefined) {
    scratch = new Uint8Array(SCAN_CHUNK_BYTES)
    scratches.set(options, scratch)
  }
  return scratch
}

interface ScanOutcome {
  /** Set when the segment ends in bytes that are not a good batch and no good batch follows in it. */
  badTail?: { position: number; problem: string; expectedOffset: number }
}

/**
 * Checks every batch of a segment, rebuilding its indexes and fencing damage that
 * has good batches after it within the segment.
 */
async function scanSegment(options: LoadOptions, segment: LogSegment, offsetLimit: number, report: RecoveryReport): Promise<ScanOutcome> {
  const fileSize = segment.sizeBytes
  segment.resetIndexes()
  const window = new FileWindow(segment.file, fileSize, SCAN_CHUNK_BYTES, scanScratch(options))
  let position = 0
  let expected = segment.baseOffset
  report.segmentsScanned++
  while (position < fileSize) {
    const check = await checkBatchAt(window, position, { expectedBaseOffset: expected, offsetLimit, verifyCrc: true })
    if (check.header !== undefined) {
      const lastOffset = check.header.baseOffset + check.header.lastOffsetDelta
      segment.indexBatch(check.header.baseOffset, lastOffset, check.header.maxTimestamp, position, check.sizeBytes, options.indexIntervalBytes)
      report.batchesScanned++
      report.bytesScanned += check.sizeBytes
      position += check.sizeBytes
      expected = lastOffset + 1
      continue
    }
    const resync = new FileWindow(segment.file, fileSize, SCAN_CHUNK_BYTES)
    const next = await findNextGoodBatch(resync, position, expected, offsetLimit)
    if (next === undefined) {
      segment.sizeBytes = position
      return { badTail: { position, problem: check.problem, expectedOffset: expected } }
    }
    segment.addFence({
      topicPartition: options.topicPartition,
      file: segment.logPath,
      positionStart: position,
      positionEnd: next.position,
      offsetFirst: expected,
      offsetLast: next.header.baseOffset - 1,
      resumeOffset: next.header.baseOffset,
      reason: check.problem,
    })
    // Indexing resumes at the next good batch; positions in between stay unindexed.
    segment.sizeBytes = next.position
    segment.bytesSinceIndexEntry = Number.MAX_SAFE_INTEGER
    position = next.position
    expected = next.header.baseOffset
  }
  return {}
}

/**
 * Scans a segment whose data is known to have been complete: damage anywhere in
 * it, the end included, is fenced, never truncated. `endOffset` is where its
 * offsets must end (the next segment's base, or the log end named by a
 * clean-shutdown marker) when known.
 */
async function recoverSegmentAlone(options: LoadOptions, segment: LogSegment, endOffset: number | undefined, report: RecoveryReport): Promise<void> {
  const fileSize = segment.sizeBytes
  const offsetLimit = Math.min(segment.offsetLimit, endOffset ?? Number.MAX_SAFE_INTEGER)
  const outcome = await scanSegment(options, segment, offsetLimit, report)
  segment.sizeBytes = fileSize
  if (outcome.badTail) {
    const end = Math.max(endOffset ?? 0, outcome.badTail.expectedOffset)
    fenceTail(options, segment, outcome.badTail, fileSize, end)
    segment.nextOffset = end
  } else if (endOffset !== undefined && segment.nextOffset < endOffset) {
    fenceGap(options, segment, endOffset)
  }
}

function fenceTail(options: LoadOptions, segment: LogSegment, badTail: NonNullable<ScanOutcome['badTail']>, fileSize: number, endOffset: number): void {
  segment.addFence({
    topicPartition: options.topicPartition,
    file: segment.logPath,
    positionStart: badTail.position,
    positionEnd: fileSize,
    offsetFirst: badTail.expectedOffset,
    offsetLast: endOffset - 1,
    resumeOffset: endOffset,
    reason: badTail.problem,
  })
}

/** Offsets between a segment's end and the next segment's base are missing: fence them. */
function fenceGap(options: LoadOptions, segment: LogSegment, nextBaseOffset: number): void {
  segment.addFence({
    topicPartition: options.topicPartition,
    file: segment.logPath,
    positionStart: segment.sizeBytes,
    positionEnd: segment.sizeBytes,
    offsetFirst: segment.nextOffset,
    offsetLast: nextBaseOffset - 1,
    resumeOffset: nextBaseOffset,
    reason: `offsets ${segment.nextOffset}..${nextBaseOffset - 1} are missing: the segment ends at ${segment.nextOffset - 1} and the next one starts at ${nextBaseOffset}`,
  })
  segment.nextOffset = nextBaseOffset
}

/**
 * Recovers segments[i] during an unclean open. A bad end is a torn tail (and
 * truncated) only when no later segment holds data; otherwise it is fenced.
 */
async function recoverSegment(options: LoadOptions, segments: LogSegment[], i: number, report: RecoveryReport): Promise<void> {
  const segment = segments[i]
  const later = segments.slice(i + 1)
  const laterHasData = later.some((s) => s.sizeBytes > 0)
  if (laterHasData) {
    await recoverSegmentAlone(options, segment, segments[i + 1].baseOffset, report)
    return
  }
  const fileSize = segment.sizeBytes
  const outcome = await scanSegment(options, segment, segment.offsetLimit, report)
  if (outcome.badTail) {
    const { position, problem } = outcome.badTail
    segment.sizeBytes = fileSize
    await segment.truncateTo(position, segment.nextOffset)
    report.bytesTruncated += fileSize - position
    report.truncations.push({ file: segment.logPath, position, bytes: fileSize - position, reason: problem })
  }
  // Empty segments after the tail that no longer line up with it are dropped.
  for (const empty of later) {
    if (empty.baseOffset === segment.nextOffset && empty === later[later.length - 1]) continue
    await empty.closeFile()
    await options.storage.remove(empty.logPath)
    await options.storage.remove(empty.indexPath)
    await options.storage.remove(empty.timeIndexPath)
    segments.splice(segments.indexOf(empty), 1)
    report.leftoversRemoved.push(empty.logPath)
  }
  if (later.length > 0) await options.storage.syncDir(options.dir)
}
