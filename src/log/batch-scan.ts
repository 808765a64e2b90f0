// Walking stored batches and telling good ones from damaged ones. Used by
// recovery (every batch after the recovery point), by reads (every batch served)
// and by the cleaner. A batch is good when its length fits the file, its magic is
// 2, its CRC-32C matches, its counts agree and — because the CRC does not cover
// baseOffset — its baseOffset continues the offsets before it.
//
// After a bad batch, `findNextGoodBatch` looks for the next position where a
// good batch starts, so damage in the middle can be fenced off and the data
// after it kept, instead of truncating everything from the damage on.
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD, CorruptBatchError, MAGIC_V2, Offsets, readBatchHeader, validateBatch, type BatchHeader } from './batch-header.js'
import type { FileWindow } from './file-window.js'

/** Read size when walking or resynchronising over a file. */
export const SCAN_CHUNK_BYTES = 1024 * 1024

export type BatchCheck = { header: BatchHeader; sizeBytes: number; problem?: undefined } | { problem: string; header?: undefined; sizeBytes?: undefined }

/** int64 at `at` as a number, or -1 if it is negative or beyond 2^53. */
export function int64At(bytes: Uint8Array, at: number): number {
  const high = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]
  const low = ((bytes[at + 4] << 24) | (bytes[at + 5] << 16) | (bytes[at + 6] << 8) | bytes[at + 7]) >>> 0
  if (high < 0 || high >= 0x200000) return -1
  return high * 0x100000000 + low
}

function int32At(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]
}

export interface CheckOptions {
  /** The offset this batch must start at (continuity); undefined skips the check. */
  expectedBaseOffset: number | undefined
  /** Offsets of this batch must stay below this (the next segment's base offset). */
  offsetLimit: number
  verifyCrc: boolean
}

/** Checks the batch at file `position`; `window.end` bounds it. */
export async function checkBatchAt(window: FileWindow, position: number, options: CheckOptions): Promise<BatchCheck> {
  const remaining = window.end - position
  if (remaining < BATCH_LOG_OVERHEAD) return { problem: `${remaining} trailing bytes, too few for a batch header` }
  await window.ensure(position, BATCH_HEADER_BYTES)
  const at = window.at(position)
  const sizeBytes = int32At(window.buffer, at + Offsets.batchLength) + BATCH_LOG_OVERHEAD
  if (sizeBytes < BATCH_HEADER_BYTES) return { problem: `batch length field ${sizeBytes - BATCH_LOG_OVERHEAD} is below the ${BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD}-byte minimum` }
  if (sizeBytes > remaining) return { problem: `batch of ${sizeBytes} bytes runs past the end of the data (${remaining} bytes left)` }
  let header: BatchHeader
  try {
    if (options.verifyCrc) {
      await window.ensure(position, sizeBytes)
      const at = window.at(position)
      header = validateBatch(window.buffer.subarray(at, at + sizeBytes))
      if (header.baseOffset < 0) return { problem: `baseOffset ${header.baseOffset} is negative` }
    } else {
      header = readHeaderUnchecked(window.buffer, window.at(position))
    }
  } catch (error) {
    if (error instanceof CorruptBatchError) return { problem: error.message.replace(/^record batch /, '') }
    throw error
  }
  if (options.expectedBaseOffset !== undefined && header.baseOffset !== options.expectedBaseOffset) {
    return { problem: `baseOffset ${header.baseOffset} where ${options.expectedBaseOffset} was expected` }
  }
  if (header.baseOffset + header.lastOffsetDelta >= options.offsetLimit) {
    return { problem: `offsets up to ${header.baseOffset + header.lastOffsetDelta} reach past ${options.offsetLimit - 1}, the segment's last possible offset` }
  }
  return { header, sizeBytes }
}

/** Header with the cheap checks of validateBatch but no CRC (for walks that only locate batches). */
function readHeaderUnchecked(bytes: Uint8Array, at: number): BatchHeader {
  const header = readBatchHeader(bytes, at)
  if (header.magic !== MAGIC_V2) throw new CorruptBatchError(`record batch magic is ${header.magic}, only magic 2 (RecordBatch v2) is supported`)
  if (header.baseOffset < 0) throw new CorruptBatchError(`record batch baseOffset ${header.baseOffset} is negative`)
  const { recordCount, lastOffsetDelta } = header
  if (recordCount < 0 || lastOffsetDelta < 0 || (recordCount > 0 && lastOffsetDelta < recordCount - 1)) {
    throw new CorruptBatchError(`record batch has ${recordCount} records but lastOffsetDelta ${lastOffsetDelta}`)
  }
  return header
}

/**
 * The first position after `from` where a good batch with baseOffset in
 * [offsetMin, offsetLimit) starts, or -1. Cheap filters (magic byte, length,
 * offset range) run on every byte; the CRC only on candidates that pass.
 */
export async function findNextGoodBatch(window: FileWindow, from: number, offsetMin: number, offsetLimit: number): Promise<{ position: number; header: BatchHeader } | undefined> {
  let q = from + 1
  while (q + BATCH_HEADER_BYTES <= window.end) {
    const available = await window.ensure(q, SCAN_CHUNK_BYTES)
    if (available < BATCH_HEADER_BYTES) break
    const buffer = window.buffer
    const bufferStart = window.start
    const last = q + available - BATCH_HEADER_BYTES
    let candidate = -1
    for (; q <= last; q++) {
      const i = q - bufferStart
      if (buffer[i + Offsets.magic] !== MAGIC_V2) continue
      const sizeBytes = int32At(buffer, i + Offsets.batchLength) + BATCH_LOG_OVERHEAD
      if (sizeBytes < BATCH_HEADER_BYTES || q + sizeBytes > window.end) continue
      const baseOffset = int64At(buffer, i)
      if (baseOffset < offsetMin || baseOffset >= offsetLimit) continue
      candidate = q
      break
    }
    if (candidate < 0) continue
    const check = await checkBatchAt(window, candidate, { expectedBaseOffset: undefined, offsetLimit, verifyCrc: true })
    if (check.header !== undefined) return { position: candidate, header: check.header }
    q = candidate + 1
  }
  return undefined
}
