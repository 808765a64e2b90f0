// Fetch (key 1): decode and encode for v4–v11. Record bytes in the response
// are the stored batches, passed to the socket by reference.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface FetchPartitionRequest {
  partition: number
  currentLeaderEpoch: number
  fetchOffset: number
  logStartOffset: number
  partitionMaxBytes: number
}

export interface FetchTopicRequest {
  topic: string
  partitions: FetchPartitionRequest[]
}

export interface FetchRequest {
  replicaId: number
  maxWaitMs: number
  minBytes: number
  maxBytes: number
  isolationLevel: number
  sessionId: number
  sessionEpoch: number
  topics: FetchTopicRequest[]
  forgottenTopics: { topic: string; partitions: number[] }[]
  rackId: string
}

export interface FetchPartitionResponse {
  partitionIndex: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  logStartOffset: number
  preferredReadReplica: number
  /** read_committed only (null otherwise, sent as an empty list): the aborted transactions overlapping the records. */
  abortedTransactions?: { producerId: number; firstOffset: number }[] | null
  records: Uint8Array
}

export interface FetchTopicResponse {
  topic: string
  partitions: FetchPartitionResponse[]
}

export interface FetchResponse {
  throttleTimeMs: number
  errorCode: number
  sessionId: number
  topics: FetchTopicResponse[]
}

export function decodeFetchRequest(reader: Reader, version: number): FetchRequest {
  const replicaId = reader.int32()
  const maxWaitMs = reader.int32()
  const minBytes = reader.int32()
  const maxBytes = reader.int32()
  const isolationLevel = reader.int8()
  const sessionId = version >= 7 ? reader.int32() : 0
  const sessionEpoch = version >= 7 ? reader.int32() : -1
  const topics = reader.array((r) => ({
    topic: r.string(),
    partitions: r.array((p) => {
      const partition = p.int32()
      const currentLeaderEpoch = version >= 9 ? p.int32() : -1
      const fetchOffset = p.int64()
      const logStartOffset = version >= 5 ? p.int64() : -1
      const partitionMaxBytes = p.int32()
      return { partition, currentLeaderEpoch, fetchOffset, logStartOffset, partitionMaxBytes }
    }),
  }))
  const forgottenTopics = version >= 7 ? reader.array((r) => ({ topic: r.string(), partitions: r.int32Array() })) : []
  const rackId = version >= 11 ? reader.string() : ''
  return { replicaId, maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics, forgottenTopics, rackId }
}

const NO_ABORTED: { producerId: number; firstOffset: number }[] = []

export function encodeFetchResponse(writer: Writer, response: FetchResponse, version: number): void {
  writer.int32(response.throttleTimeMs)
  if (version >= 7) writer.int16(response.errorCode).int32(response.sessionId)
  writer.array(response.topics, (w, t) => {
    w.string(t.topic)
    w.array(t.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int16(p.errorCode).int64(p.highWatermark).int64(p.lastStableOffset)
      if (version >= 5) pw.int64(p.logStartOffset)
      // An empty list, not null, when the consumer reads uncommitted: every client accepts both.
      pw.array(p.abortedTransactions ?? NO_ABORTED, (aw, a) => aw.int64(a.producerId).int64(a.firstOffset))
      if (version >= 11) pw.int32(p.preferredReadReplica)
      pw.bytes(p.records)
    })
  })
}
