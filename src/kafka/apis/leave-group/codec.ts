// LeaveGroup (key 13): decode and encode for v0–v3.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface LeavingMember {
  memberId: string
  groupInstanceId: string | null
}

export interface LeaveGroupRequest {
  groupId: string
  /** v0–v2 name one member; v3 a batch (KIP-345). */
  members: LeavingMember[]
}

export interface LeaveGroupResponse {
  throttleTimeMs: number
  errorCode: number
  members: (LeavingMember & { errorCode: number })[]
}

export function decodeLeaveGroupRequest(reader: Reader, version: number): LeaveGroupRequest {
  const groupId = reader.string()
  if (version < 3) return { groupId, members: [{ memberId: reader.string(), groupInstanceId: null }] }
  const members = reader.array((r) => ({ memberId: r.string(), groupInstanceId: r.nullableString() }))
  return { groupId, members }
}

export function encodeLeaveGroupResponse(writer: Writer, response: LeaveGroupResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode)
  if (version >= 3) writer.array(response.members, (w, m) => w.string(m.memberId).nullableString(m.groupInstanceId).int16(m.errorCode))
}
