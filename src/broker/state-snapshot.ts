// The broker's clean-shutdown state: what it otherwise rebuilds on start-up by
// reading every batch header of every user partition (idempotent producers'
// sequence state, open transactions, the aborted-transaction index, the next
// producer id). close() writes it beside topics.json once every append has
// settled; start() reads it, uses the part of each partition whose log still
// starts and ends at the recorded offsets (the log is then exactly what the
// state was taken from), replays the others, and removes the file before the
// broker takes any write — so it is used at most once, by the open right after
// the close that wrote it. A crash leaves no file, and the next start replays
// everything, as without it. (Kafka's producer state snapshots play this part.)
import { CHECKPOINT_FORMAT_VERSION, encodeStateFile, parseStateFile } from '../log/checkpoint-files.js'
import type { ProducerStateRecord } from './producer-state.js'
import type { PartitionTransactionsRecord } from './transactions/partition-transactions.js'

export const BROKER_STATE_FILE = 'broker-state.json'
const FORMAT = 'eddy.broker-state'

export interface PartitionStateRecord {
  topic: string
  partition: number
  logStartOffset: number
  logEndOffset: number
  producers: ProducerStateRecord[]
  transactions: PartitionTransactionsRecord
}

export interface BrokerStateSnapshot {
  nextProducerId: number
  partitions: PartitionStateRecord[]
}

export function encodeBrokerState(state: BrokerStateSnapshot): Uint8Array {
  return encodeStateFile(FORMAT, state)
}

/** The snapshot in `bytes`, or the reason it cannot be used (the broker then replays every partition). */
export function decodeBrokerState(bytes: Uint8Array): BrokerStateSnapshot | string {
  const file = parseStateFile(bytes, BROKER_STATE_FILE, FORMAT)
  if (file.state === 'damaged') return file.reason
  if (file.state === 'newer') return `version ${file.version} (this build reads ${CHECKPOINT_FORMAT_VERSION})`
  const s = file.value as { nextProducerId?: unknown; partitions?: unknown }
  if (!Number.isSafeInteger(s.nextProducerId) || (s.nextProducerId as number) < 0) return `nextProducerId is ${String(s.nextProducerId)}`
  if (!Array.isArray(s.partitions)) return 'partitions is not an array'
  for (const p of s.partitions as PartitionStateRecord[]) {
    const offsetsOk = [p?.partition, p?.logStartOffset, p?.logEndOffset].every((n) => Number.isSafeInteger(n) && (n as number) >= 0)
    if (typeof p?.topic !== 'string' || !offsetsOk) return `malformed partition entry ${JSON.stringify(p)?.slice(0, 200)}`
  }
  return { nextProducerId: s.nextProducerId as number, partitions: s.partitions as PartitionStateRecord[] }
}
