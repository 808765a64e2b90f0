// The log's error types. Each names what was wrong; `retriable` says whether the
// same request may succeed later unchanged (false unless stated, the safer default).
import { CorruptBatchError } from './batch-header.js'

export class LogError extends Error {
  override name = 'LogError'
  readonly retriable: boolean = false
}

/** An offset before the log start or past the high watermark. */
export class OffsetOutOfRangeError extends LogError {
  override name = 'OffsetOutOfRangeError'
  constructor(
    readonly topicPartition: string,
    readonly offset: number,
    readonly logStartOffset: number,
    readonly highWatermark: number,
  ) {
    super(`${topicPartition}: offset ${offset} is out of range; valid offsets are ${logStartOffset} to ${highWatermark} (high watermark)`)
  }
}

/** A batch (or set of batches) larger than `max.message.bytes`, or otherwise not acceptable for append. */
export class InvalidBatchError extends LogError {
  override name = 'InvalidBatchError'
}

/** A config key unknown, or a value out of range; the message names the key. */
export class InvalidConfigError extends LogError {
  override name = 'InvalidConfigError'
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message)
  }
}

export class InvalidTopicError extends LogError {
  override name = 'InvalidTopicError'
}

export class TopicExistsError extends LogError {
  override name = 'TopicExistsError'
}

export class UnknownTopicError extends LogError {
  override name = 'UnknownTopicError'
}

/** The log was closed, or failed on an I/O error and must be reopened (which recovers it). */
export class LogClosedError extends LogError {
  override name = 'LogClosedError'
}

/** A metadata or index file in a format this version cannot read; the message names the file. */
export class LogFormatError extends LogError {
  override name = 'LogFormatError'
}

/** Where a damaged byte range sits and which offsets it hides. */
export interface CorruptRange {
  topicPartition: string
  /** Data file holding the damage. */
  file: string
  /** Byte range [positionStart, positionEnd) in that file. */
  positionStart: number
  positionEnd: number
  /** Offsets hidden by the damage: offsetFirst..offsetLast inclusive. */
  offsetFirst: number
  offsetLast: number
  /** First readable offset after the damage. */
  resumeOffset: number
  /** What the check found: e.g. "CRC-32C mismatch", "baseOffset 17 where 12 was expected". */
  reason: string
}

/**
 * Reading an offset inside a damaged (fenced) range. The damaged bytes are never
 * served; `resumeOffset` is where readable data starts again.
 */
export class CorruptRangeError extends CorruptBatchError {
  override name = 'CorruptRangeError'
  constructor(readonly range: CorruptRange) {
    super(
      `${range.topicPartition}: offsets ${range.offsetFirst}..${range.offsetLast} are unreadable: ` +
        `${range.reason} in ${range.file} at bytes ${range.positionStart}..${range.positionEnd}; ` +
        `reading can resume at offset ${range.resumeOffset}`,
    )
  }
}
