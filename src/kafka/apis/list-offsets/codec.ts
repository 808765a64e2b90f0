// ListOffsets (key 2): decode and encode for v0–v3.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface ListOffsetsPartitionRequest {
  partitionIndex: number
  /** -2 earliest, -1 latest, otherwise a timestamp in ms. */
  timestamp: number
  maxNumOffsets: number
}

export interface ListOffsetsRequest {
  replicaId: number
  isolationLevel: number
  topics: { name: string; partitions: ListOffsetsPartitionRequest[] }[]
}

export interface ListOffsetsPartitionResponse {
  partitionIndex: number
  errorCode: number
  timestamp: number
  offset: number
}

export interface ListOffsetsResponse {
  throttleTimeMs: number
  topics: { name: string; partitions: ListOffsetsPartitionResponse[] }[]
}

export function decodeListOffsetsRequest(reader: Reader, version: number): ListOffsetsRequest {
  const replicaId = reader.int32()
  const isolationLevel = version >= 2 ? reader.int8() : 0
  const topics = reader.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => ({ partitionIndex: p.int32(), timestamp: p.int64(), maxNumOffsets: version === 0 ? p.int32() : 1 })),
  }))
  return { replicaId, isolationLevel, topics }
}

export function encodeListOffsetsResponse(writer: Writer, response: ListOffsetsResponse, version: number): void {
  if (version >= 2) writer.int32(response.throttleTimeMs)
  writer.array(response.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => {
      pw.int32(p.partitionIndex).int16(p.errorCode)
      if (version === 0) pw.array(p.offset >= 0 ? [p.offset] : [], (ow, o) => ow.int64(o))
      else pw.int64(p.timestamp).int64(p.offset)
    })
  })
}
