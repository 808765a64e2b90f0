// TxnOffsetCommit (key 28): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface TxnOffsetCommitRequest {
  transactionalId: string
  groupId: string
  producerId: number
  producerEpoch: number
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; committedMetadata: string | null }[] }[]
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

export function decodeTxnOffsetCommitRequest(reader: Reader, version: number): TxnOffsetCommitRequest {
  const transactionalId = reader.string()
  const groupId = reader.string()
  const producerId = reader.int64()
  const producerEpoch = reader.int16()
  const topics = reader.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => {
      const partitionIndex = p.int32()
      const committedOffset = p.int64()
      const committedLeaderEpoch = version >= 2 ? p.int32() : -1
      return { partitionIndex, committedOffset, committedLeaderEpoch, committedMetadata: p.nullableString() }
    }),
  }))
  return { transactionalId, groupId, producerId, producerEpoch, topics }
}

export function encodeTxnOffsetCommitResponse(writer: Writer, response: TxnOffsetCommitResponse, _version: number): void {
  writer.int32(response.throttleTimeMs)
  writer.array(response.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => pw.int32(p.partitionIndex).int16(p.errorCode))
  })
}
