// Idempotent-producer state for one partition (Kafka's ProducerStateManager,
// reduced to what a single node needs). For each producer id it remembers the
// epoch and the last few batches' sequence ranges and offsets, so that:
// - a retried batch (same producer, epoch and sequence range) is not appended
//   again; the broker answers with the offsets of the original append;
// - a gap or reordering in sequence numbers is refused (OUT_OF_ORDER_SEQUENCE_NUMBER);
// - a producer with an older epoch is fenced (INVALID_PRODUCER_EPOCH).
// Rebuilt on open by replaying batch headers from the log (`observe`).
// Concurrency: one owner (the partition's append path); not shared.
import { KafkaError } from './errors.js'

/** Kafka keeps the last five batches per producer; a client has at most five in flight. */
export const PRODUCER_BATCHES_CACHED = 5
export const NO_PRODUCER_ID = -1

export interface ProducerBatchInfo {
  producerId: number
  producerEpoch: number
  baseSequence: number
  /** Records in the batch (lastOffsetDelta + 1). */
  recordCount: number
}

interface CachedBatch {
  firstSequence: number
  lastSequence: number
  baseOffset: number
  lastOffset: number
}

interface ProducerEntry {
  epoch: number
  batches: CachedBatch[]
}

/** One producer's state as a snapshot stores it: id, epoch, and its cached batches as [firstSequence, lastSequence, baseOffset, lastOffset]. */
export type ProducerStateRecord = [producerId: number, epoch: number, batches: [number, number, number, number][]]

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number; lastOffset: number }

/** Sequence numbers are int32 and wrap to 0 after 2^31 - 1, as in Kafka. */
function nextSequence(sequence: number, delta: number): number {
  return (sequence + delta) % 0x80000000
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>()

  /** Decides whether a batch is new, a duplicate of a recent one, or refused (throws KafkaError). */
  check(batch: ProducerBatchInfo): SequenceCheck {
    if (batch.producerId < 0) return { kind: 'append' }
    const entry = this.producers.get(batch.producerId)
    const firstSequence = batch.baseSequence
    const lastSequence = nextSequence(batch.baseSequence, batch.recordCount - 1)
    if (!entry) {
      if (firstSequence !== 0) {
        throw new KafkaError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${batch.producerId} is unknown here and its first batch starts at sequence ${firstSequence}, not 0`)
      }
      return { kind: 'append' }
    }
    if (batch.producerEpoch < entry.epoch) {
      throw new KafkaError('INVALID_PRODUCER_EPOCH', `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than the current epoch ${entry.epoch}`)
    }
    if (batch.producerEpoch > entry.epoch) {
      if (firstSequence !== 0) {
        throw new KafkaError('OUT_OF_ORDER_SEQUENCE_NUMBER', `producer ${batch.producerId} started epoch ${batch.producerEpoch} at sequence ${firstSequence}, not 0`)
      }
      return { kind: 'append' }
    }
    const duplicate = entry.batches.find((b) => b.firstSequence === firstSequence && b.lastSequence === lastSequence)
    if (duplicate) return { kind: 'duplicate', baseOffset: duplicate.baseOffset, lastOffset: duplicate.lastOffset }
    const last = entry.batches[entry.batches.length - 1]
    const expected = last ? nextSequence(last.lastSequence, 1) : 0
    if (firstSequence !== expected) {
      throw new KafkaError(
        'OUT_OF_ORDER_SEQUENCE_NUMBER',
        `producer ${batch.producerId} sent sequence ${firstSequence}, expected ${expected} (last acknowledged ${last ? last.lastSequence : 'none'})`,
      )
    }
    return { kind: 'append' }
  }

  /** Records an appended batch (also used to rebuild state while replaying the log). */
  observe(batch: ProducerBatchInfo, baseOffset: number): void {
    if (batch.producerId < 0) return
    let entry = this.producers.get(batch.producerId)
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] }
      this.producers.set(batch.producerId, entry)
    }
    entry.batches.push({
      firstSequence: batch.baseSequence,
      lastSequence: nextSequence(batch.baseSequence, batch.recordCount - 1),
      baseOffset,
      lastOffset: baseOffset + batch.recordCount - 1,
    })
    if (entry.batches.length > PRODUCER_BATCHES_CACHED) entry.batches.shift()
  }

  /** Bumps a producer's epoch (InitProducerId for a known producer); older epochs are fenced from now on. */
  fence(producerId: number, epoch: number): void {
    const entry = this.producers.get(producerId)
    if (!entry || epoch > entry.epoch) this.producers.set(producerId, { epoch, batches: [] })
  }

  get size(): number {
    return this.producers.size
  }

  /** Every producer's state, for a snapshot (see fromRecords). */
  toRecords(): ProducerStateRecord[] {
    return [...this.producers].map(([id, e]) => [id, e.epoch, e.batches.map((b) => [b.firstSequence, b.lastSequence, b.baseOffset, b.lastOffset])])
  }

  /** A table holding `records` (from toRecords); throws a TypeError naming what is malformed. */
  static fromRecords(records: unknown): ProducerStateTable {
    if (!Array.isArray(records)) throw new TypeError('producers must be an array')
    const table = new ProducerStateTable()
    for (const record of records) {
      if (!Array.isArray(record) || record.length !== 3 || !isInt(record[0]) || !isInt(record[1]) || !Array.isArray(record[2])) throw new TypeError(`malformed producer entry ${JSON.stringify(record)}`)
      const batches: CachedBatch[] = (record[2] as unknown[]).map((b) => {
        if (!Array.isArray(b) || b.length !== 4 || !b.every(isInt)) throw new TypeError(`malformed batch ${JSON.stringify(b)} of producer ${record[0]}`)
        return { firstSequence: b[0], lastSequence: b[1], baseOffset: b[2], lastOffset: b[3] }
      })
      table.producers.set(record[0], { epoch: record[1], batches: batches.slice(-PRODUCER_BATCHES_CACHED) })
    }
    return table
  }
}

function isInt(value: unknown): value is number {
  return Number.isSafeInteger(value)
}
