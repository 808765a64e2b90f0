// Durable transaction state: the compacted internal topic `__transaction_state`
// (one partition), as Kafka keeps it. The latest record per transactional id is
// that id's state; on open the topic is replayed, so a restarted broker knows
// every producer id, epoch and open or half-finished transaction.
//
// Record key:   JSON ["t", transactionalId]
// Record value: JSON TransactionRecord (version 1), see below
import { encodeRecordBatch } from '../../log/record-batch.js'
import type { BrokerPartition } from '../ports.js'
import { replayKeyedRecords } from '../replay.js'

export const TRANSACTION_STATE_TOPIC = '__transaction_state'
export const TRANSACTION_RECORD_VERSION = 1

/**
 * empty: no transaction open. ongoing: partitions or offsets were added.
 * prepare-commit / prepare-abort: the decision is durable, markers are being
 * written (a restart finishes them). complete-commit / complete-abort: done.
 */
export type TransactionPhase = 'empty' | 'ongoing' | 'prepare-commit' | 'prepare-abort' | 'complete-commit' | 'complete-abort'

export interface PendingOffset {
  groupId: string
  topic: string
  partition: number
  offset: number
  metadata: string
}

export interface TransactionRecord {
  version: number
  transactionalId: string
  producerId: number
  producerEpoch: number
  timeoutMs: number
  phase: TransactionPhase
  /** Counts the transactions of this id: the one open, or the last one ended. Names one transaction exactly. */
  sequence: number
  /** When the open transaction began (ms); 0 when none is open. */
  startedMs: number
  /** When this state was written (ms): an id idle long enough expires. Absent in records from before expiry existed. */
  updatedMs?: number
  partitions: [string, number][]
  offsets: PendingOffset[]
}

export class TransactionLog {
  private log: Promise<BrokerPartition> | undefined

  /**
   * `existing` is the topic's partition when the topic exists; otherwise
   * `create` makes it on the first write (as Kafka creates the topic on first
   * transactional use), so a broker that never sees a transaction has no such topic.
   */
  constructor(
    existing: BrokerPartition | undefined,
    private readonly create: () => Promise<BrokerPartition>,
  ) {
    this.log = existing === undefined ? undefined : Promise.resolve(existing)
  }

  /** Replays the topic: the latest record of every transactional id. */
  async load(): Promise<Map<string, TransactionRecord>> {
    const out = new Map<string, TransactionRecord>()
    if (this.log === undefined) return out
    const log = await this.log
    await replayKeyedRecords(log, (key, value) => {
      const [kind, id] = JSON.parse(key) as [string, string]
      if (kind !== 't') return
      if (value === null) {
        out.delete(id)
        return
      }
      const record = JSON.parse(value) as TransactionRecord
      if (record.version !== TRANSACTION_RECORD_VERSION) {
        throw new Error(`${TRANSACTION_STATE_TOPIC}: transactional id ${JSON.stringify(id)} has a record of version ${record.version}; this broker reads version ${TRANSACTION_RECORD_VERSION}`)
      }
      out.set(id, record)
    })
    return out
  }

  /** Persists one id's state; resolves once durable under the topic's flush policy. */
  async write(record: TransactionRecord): Promise<void> {
    this.log ??= this.create()
    const log = await this.log.catch((error: unknown) => {
      this.log = undefined
      throw error
    })
    await log.append(encodeRecordBatch([{ key: keyOf(record.transactionalId), value: JSON.stringify(record) }]))
  }

  /** Removes one id's state: a tombstone (compaction drops the id; replay forgets it). */
  async remove(transactionalId: string): Promise<void> {
    if (this.log === undefined) return
    const log = await this.log
    await log.append(encodeRecordBatch([{ key: keyOf(transactionalId), value: null }]))
  }
}

function keyOf(transactionalId: string): string {
  return JSON.stringify(['t', transactionalId])
}
