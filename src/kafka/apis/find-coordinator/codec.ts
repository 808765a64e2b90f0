// FindCoordinator (key 10): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface FindCoordinatorRequest {
  key: string
  /** 0 group, 1 transaction (v1+). */
  keyType: number
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number
  errorCode: number
  errorMessage: string | null
  nodeId: number
  host: string
  port: number
}

export function decodeFindCoordinatorRequest(reader: Reader, version: number): FindCoordinatorRequest {
  const key = reader.string()
  const keyType = version >= 1 ? reader.int8() : 0
  return { key, keyType }
}

export function encodeFindCoordinatorResponse(writer: Writer, response: FindCoordinatorResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode)
  if (version >= 1) writer.nullableString(response.errorMessage)
  writer.int32(response.nodeId).string(response.host).int32(response.port)
}
