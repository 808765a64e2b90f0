// Reads a partition from an offset to its end, one whole stored batch at a
// time: the broker rebuilds idempotence state and the offset store rebuilds
// committed offsets this way on start-up.
import { readBatchHeader, wholeBatches } from '../log/batch-header.js'
import { nextOffsetOf } from '../log/record-batch.js'
import type { BrokerPartition } from './ports.js'

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
