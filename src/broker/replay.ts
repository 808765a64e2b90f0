// Reads a partition from an offset to its end, one whole stored batch at a
// time: the broker rebuilds idempotence state and the offset store rebuilds
// committed offsets this way on start-up.
import { readBatchHeader, wholeBatches } from '../log/batch-header.js'
import { decodeRecordBatch, nextOffsetOf } from '../log/record-batch.js'
import type { BrokerPartition } from './ports.js'

const utf8 = new TextDecoder()

/** Bytes asked of the log per read while replaying. */
export const REPLAY_READ_BYTES = 1 << 20

export async function replayPartition(log: BrokerPartition, fromOffset: number, onBatch: (batch: Uint8Array, fromOffset: number) => void): Promise<void> {
  let offset = fromOffset
  while (offset < log.logEndOffset()) {
    const bytes = await log.read(offset, REPLAY_READ_BYTES)
    const before = offset
    for (const batch of wholeBatches(bytes)) {
      onBatch(batch, offset)
      offset = nextOffsetOf(readBatchHeader(batch))
    }
    if (offset === before) break // nothing whole came back: stop rather than spin
  }
}

/**
 * Replays an internal topic of JSON records (the offset store's, the
 * transaction log's) from its start: every keyed record's key and value as
 * text, oldest first; a null value is a tombstone.
 */
export async function replayKeyedRecords(log: BrokerPartition, onRecord: (key: string, value: string | null) => void): Promise<void> {
  await replayPartition(log, log.logStartOffset(), (bytes, fromOffset) => {
    const batch = decodeRecordBatch(bytes)
    for (let i = 0; i < batch.count; i++) {
      const key = batch.key(i)
      if (batch.offsets[i] < fromOffset || key === null) continue
      const value = batch.value(i)
      onRecord(utf8.decode(key), value === null ? null : utf8.decode(value))
    }
  })
}
