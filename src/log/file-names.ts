// File and directory names of a partition log, in one place. A segment is named
// by its base offset, zero-padded to 20 digits so names sort by offset (as
// Kafka's). Suffixes mark the steps of multi-file changes:
//   .cleaned  output of the cleaner, not yet committed (deleted on open)
//   .swap     committed replacement, not yet renamed into place (completed on open)
//   .deleted  scheduled for removal (removed on open)
//   .tmp      an atomic small-file write in progress (removed on open)

export const LOG_FILE_SUFFIX = '.log'
export const INDEX_FILE_SUFFIX = '.index'
export const TIME_INDEX_FILE_SUFFIX = '.timeindex'
export const CLEANED_SUFFIX = '.cleaned'
export const SWAP_SUFFIX = '.swap'
export const DELETED_SUFFIX = '.deleted'
export const TMP_SUFFIX = '.tmp'

/** Per-partition checkpoint of the offset below which data and indexes are flushed. */
export const RECOVERY_POINT_FILE = 'recovery-point.checkpoint'
/** Present only between a clean close and the next open. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown'
/** Per-partition checkpoint of the cleaner's first dirty offset. */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset.checkpoint'

const OFFSET_DIGITS = 20

export type SegmentFileKind = 'log' | 'index' | 'timeindex'
export type PendingSuffix = 'cleaned' | 'swap' | 'deleted'

export interface ParsedSegmentFile {
  baseOffset: number
  kind: SegmentFileKind
  suffix: PendingSuffix | undefined
}

const SEGMENT_FILE = /^(\d{20})\.(log|index|timeindex)(?:\.(cleaned|swap|deleted))?$/

export function offsetFileStem(baseOffset: number): string {
  return String(baseOffset).padStart(OFFSET_DIGITS, '0')
}

export function segmentFileName(baseOffset: number, kind: SegmentFileKind, suffix?: PendingSuffix): string {
  return `${offsetFileStem(baseOffset)}.${kind}${suffix ? `.${suffix}` : ''}`
}

export function parseSegmentFileName(name: string): ParsedSegmentFile | undefined {
  const match = SEGMENT_FILE.exec(name)
  if (match === null) return undefined
  const baseOffset = Number(match[1])
  if (!Number.isSafeInteger(baseOffset)) return undefined
  return { baseOffset, kind: match[2] as SegmentFileKind, suffix: match[3] as PendingSuffix | undefined }
}

/** `<topic>-<partition>`, as Kafka names partition directories. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`
}

/** Splits `<topic>-<partition>` at the last dash (topic names may contain dashes). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const match = /^(.+)-(\d+)$/.exec(name)
  if (match === null) return undefined
  return { topic: match[1], partition: Number(match[2]) }
}
