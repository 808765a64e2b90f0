// CreateTopics (key 19): decode and encode for v0–v4.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface CreatableTopic {
  name: string
  /** -1: the broker's default (v4+), or the number of manual assignments. */
  numPartitions: number
  /** -1: the broker's default (v4+). */
  replicationFactor: number
  assignments: { partitionIndex: number; brokerIds: number[] }[]
  configs: { name: string; value: string | null }[]
}

export interface CreateTopicsRequest {
  topics: CreatableTopic[]
  timeoutMs: number
  validateOnly: boolean
}

export interface CreateTopicsResponse {
  throttleTimeMs: number
  topics: { name: string; errorCode: number; errorMessage: string | null }[]
}

export function decodeCreateTopicsRequest(reader: Reader, version: number): CreateTopicsRequest {
  const topics = reader.array((r) => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((a) => ({ partitionIndex: a.int32(), brokerIds: a.int32Array() })),
    configs: r.array((c) => ({ name: c.string(), value: c.nullableString() })),
  }))
  const timeoutMs = reader.int32()
  const validateOnly = version >= 1 ? reader.bool() : false
  return { topics, timeoutMs, validateOnly }
}

export function encodeCreateTopicsResponse(writer: Writer, response: CreateTopicsResponse, version: number): void {
  if (version >= 2) writer.int32(response.throttleTimeMs)
  writer.array(response.topics, (w, t) => {
    w.string(t.name).int16(t.errorCode)
    if (version >= 1) w.nullableString(t.errorMessage)
  })
}
