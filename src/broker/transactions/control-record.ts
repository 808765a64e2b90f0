// Transaction markers: the control batches a commit or abort writes to every
// partition of a transaction (Kafka's EndTransactionMarker). A control batch
// has attributes bit 5 (control) and bit 4 (transactional) set, the producer
// id and epoch of the transaction, no sequence, and one record:
//
//   key   => version:INT16 (0) type:INT16 (0 abort, 1 commit)
//   value => version:INT16 (0) coordinator_epoch:INT32
//
// Readers never hand control records to users; read_committed readers use
// them to end a producer's transaction on that partition.
import { encodeRecordBatch, decodeRecordBatch } from '../../log/record-batch.js'
import type { BatchHeader } from '../../log/batch-header.js'

export const CONTROL_TYPE_ABORT = 0
export const CONTROL_TYPE_COMMIT = 1
const CONTROL_KEY_VERSION = 0
const CONTROL_KEY_BYTES = 4
const MARKER_VALUE_BYTES = 6

export type MarkerKind = 'commit' | 'abort'

/** The control batch that ends `producerId`'s transaction on one partition. */
export function encodeTransactionMarker(producerId: number, producerEpoch: number, kind: MarkerKind, timestampMs = Date.now(), coordinatorEpoch = 0): Uint8Array {
  const key = new Uint8Array(CONTROL_KEY_BYTES)
  const keyView = new DataView(key.buffer)
  keyView.setInt16(0, CONTROL_KEY_VERSION)
  keyView.setInt16(2, kind === 'commit' ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT)
  const value = new Uint8Array(MARKER_VALUE_BYTES)
  const valueView = new DataView(value.buffer)
  valueView.setInt16(0, 0)
  valueView.setInt32(2, coordinatorEpoch)
  return encodeRecordBatch([{ key, value, timestamp: timestampMs }], {
    producerId,
    producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
  })
}

/** What a stored control batch says: commit or abort (undefined for a control type this broker does not know). */
export function readMarkerKind(batch: Uint8Array, header: BatchHeader): MarkerKind | undefined {
  if (!header.isControl) throw new Error('readMarkerKind: not a control batch')
  const decoded = decodeRecordBatch(batch, { verifyCrc: false })
  if (decoded.count === 0) return undefined
  const key = decoded.key(0)
  if (key === null || key.length < CONTROL_KEY_BYTES) return undefined
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength)
  const type = view.getInt16(2)
  return type === CONTROL_TYPE_COMMIT ? 'commit' : type === CONTROL_TYPE_ABORT ? 'abort' : undefined
}
