// SyncGroup (key 14): decode and encode for v0–v3.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId: string | null
  assignments: { memberId: string; assignment: Uint8Array }[]
}

export interface SyncGroupResponse {
  throttleTimeMs: number
  errorCode: number
  assignment: Uint8Array
}

export function decodeSyncGroupRequest(reader: Reader, version: number): SyncGroupRequest {
  const groupId = reader.string()
  const generationId = reader.int32()
  const memberId = reader.string()
  const groupInstanceId = version >= 3 ? reader.nullableString() : null
  const assignments = reader.array((r) => ({ memberId: r.string(), assignment: r.bytesField() }))
  return { groupId, generationId, memberId, groupInstanceId, assignments }
}

export function encodeSyncGroupResponse(writer: Writer, response: SyncGroupResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode).bytes(response.assignment)
}
