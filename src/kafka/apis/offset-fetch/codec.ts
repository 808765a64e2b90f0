// OffsetFetch (key 9): decode and encode for v0–v5.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface OffsetFetchRequest {
  groupId: string
  /** null (v2+): every partition the group has committed. */
  topics: { name: string; partitionIndexes: number[] }[] | null
}

export interface OffsetFetchPartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

export interface OffsetFetchResponse {
  throttleTimeMs: number
  topics: { name: string; partitions: OffsetFetchPartition[] }[]
  errorCode: number
}

export function decodeOffsetFetchRequest(reader: Reader, version: number): OffsetFetchRequest {
  const groupId = reader.string()
  const readTopic = (r: Reader) => ({ name: r.string(), partitionIndexes: r.int32Array() })
  const topics = version >= 2 ? reader.nullableArray(readTopic) : reader.array(readTopic)
  return { groupId, topics }
}

export function encodeOffsetFetchResponse(writer: Writer, response: OffsetFetchResponse, version: number): void {
  if (version >= 3) writer.int32(response.throttleTimeMs)
  writer.array(response.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int64(p.committedOffset)
      if (version >= 5) pw.int32(p.committedLeaderEpoch)
      pw.nullableString(p.metadata).int16(p.errorCode)
    })
  })
  if (version >= 2) writer.int16(response.errorCode)
}
