// Metadata (key 3): decode and encode for v0–v6.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface MetadataRequest {
  /** null: every topic (v1+); v0 says "every topic" with an empty array. */
  topics: string[] | null
  /** v4+; earlier versions always allow it. */
  allowAutoTopicCreation: boolean
}

export interface MetadataBroker {
  nodeId: number
  host: string
  port: number
  rack: string | null
}

export interface MetadataPartition {
  errorCode: number
  partitionIndex: number
  leaderId: number
  replicaNodes: number[]
  isrNodes: number[]
  offlineReplicas: number[]
}

export interface MetadataTopic {
  errorCode: number
  name: string
  isInternal: boolean
  partitions: MetadataPartition[]
}

export interface MetadataResponse {
  throttleTimeMs: number
  brokers: MetadataBroker[]
  clusterId: string | null
  controllerId: number
  topics: MetadataTopic[]
}

export function decodeMetadataRequest(reader: Reader, version: number): MetadataRequest {
  const topics = version === 0 ? reader.stringArray() : reader.nullableArray((r) => r.string())
  const allowAutoTopicCreation = version >= 4 ? reader.bool() : true
  return { topics, allowAutoTopicCreation }
}

export function encodeMetadataResponse(writer: Writer, response: MetadataResponse, version: number): void {
  if (version >= 3) writer.int32(response.throttleTimeMs)
  writer.array(response.brokers, (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port)
    if (version >= 1) w.nullableString(b.rack)
  })
  if (version >= 2) writer.nullableString(response.clusterId)
  if (version >= 1) writer.int32(response.controllerId)
  writer.array(response.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name)
    if (version >= 1) w.bool(t.isInternal)
    w.array(t.partitions, (pw, p) => {
      pw.int16(p.errorCode).int32(p.partitionIndex).int32(p.leaderId).int32Array(p.replicaNodes).int32Array(p.isrNodes)
      if (version >= 5) pw.int32Array(p.offlineReplicas)
    })
  })
}
