// Heartbeat (key 12): decode and encode for v0–v3.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface HeartbeatRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
}

export interface HeartbeatResponse {
  throttleTimeMs: number
  errorCode: number
}

export function decodeHeartbeatRequest(reader: Reader, version: number): HeartbeatRequest {
  const groupId = reader.string()
  const generationId = reader.int32()
  const memberId = reader.string()
  const groupInstanceId = version >= 3 ? reader.nullableString() : null
  return { groupId, generationId, memberId, groupInstanceId }
}

export function encodeHeartbeatResponse(writer: Writer, response: HeartbeatResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode)
}
