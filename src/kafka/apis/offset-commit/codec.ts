// OffsetCommit (key 8): decode and encode for v0–v7.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface OffsetCommitPartition {
  partitionIndex: number
  committedOffset: number
  committedLeaderEpoch: number
  commitTimestamp: number
  committedMetadata: string | null
}

export interface OffsetCommitRequest {
  groupId: string
  /** -1 and '' for a commit outside group membership (v0, or a standalone consumer). */
  generationId: number
  memberId: string
  groupInstanceId: string | null
  retentionTimeMs: number
  topics: { name: string; partitions: OffsetCommitPartition[] }[]
}

export interface OffsetCommitResponse {
  throttleTimeMs: number
  topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

export function decodeOffsetCommitRequest(reader: Reader, version: number): OffsetCommitRequest {
  const groupId = reader.string()
  const generationId = version >= 1 ? reader.int32() : -1
  const memberId = version >= 1 ? reader.string() : ''
  const groupInstanceId = version >= 7 ? reader.nullableString() : null
  const retentionTimeMs = version >= 2 && version <= 4 ? reader.int64() : -1
  const topics = reader.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => {
      const partitionIndex = p.int32()
      const committedOffset = p.int64()
      const committedLeaderEpoch = version >= 6 ? p.int32() : -1
      const commitTimestamp = version === 1 ? p.int64() : -1
      const committedMetadata = p.nullableString()
      return { partitionIndex, committedOffset, committedLeaderEpoch, commitTimestamp, committedMetadata }
    }),
  }))
  return { groupId, generationId, memberId, groupInstanceId, retentionTimeMs, topics }
}

export function encodeOffsetCommitResponse(writer: Writer, response: OffsetCommitResponse, version: number): void {
  if (version >= 3) writer.int32(response.throttleTimeMs)
  writer.array(response.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => pw.int32(p.partitionIndex).int16(p.errorCode))
  })
}
