// DeleteTopics (key 20): decode and encode for v0–v3.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface DeleteTopicsRequest {
  topicNames: string[]
  timeoutMs: number
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number
  responses: { name: string; errorCode: number }[]
}

export function decodeDeleteTopicsRequest(reader: Reader, _version: number): DeleteTopicsRequest {
  return { topicNames: reader.stringArray(), timeoutMs: reader.int32() }
}

export function encodeDeleteTopicsResponse(writer: Writer, response: DeleteTopicsResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.array(response.responses, (w, r) => w.string(r.name).int16(r.errorCode))
}
