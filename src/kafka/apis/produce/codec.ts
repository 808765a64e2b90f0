// Produce (key 0): decode and encode for v0–v7. Record sets stay views into
// the request frame: the log stores the bytes the client sent.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface ProducePartitionData {
  index: number
  records: Uint8Array | null
}

export interface ProduceTopicData {
  name: string
  partitions: ProducePartitionData[]
}

export interface ProduceRequest {
  transactionalId: string | null
  acks: number
  timeoutMs: number
  topics: ProduceTopicData[]
}

export interface ProducePartitionResponse {
  index: number
  errorCode: number
  baseOffset: number
  logAppendTimeMs: number
  logStartOffset: number
}

export interface ProduceTopicResponse {
  name: string
  partitions: ProducePartitionResponse[]
}

export interface ProduceResponse {
  topics: ProduceTopicResponse[]
  throttleTimeMs: number
}

export function decodeProduceRequest(reader: Reader, version: number): ProduceRequest {
  const transactionalId = version >= 3 ? reader.nullableString() : null
  const acks = reader.int16()
  const timeoutMs = reader.int32()
  const topics = reader.array((r) => ({
    name: r.string(),
    partitions: r.array((p) => ({ index: p.int32(), records: p.nullableBytes() })),
  }))
  return { transactionalId, acks, timeoutMs, topics }
}

export function encodeProduceResponse(writer: Writer, response: ProduceResponse, version: number): void {
  writer.array(response.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => {
      pw.int32(p.index).int16(p.errorCode).int64(p.baseOffset)
      if (version >= 2) pw.int64(p.logAppendTimeMs)
      if (version >= 5) pw.int64(p.logStartOffset)
    })
  })
  if (version >= 1) writer.int32(response.throttleTimeMs)
}
