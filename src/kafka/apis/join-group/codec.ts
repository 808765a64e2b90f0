// JoinGroup (key 11): decode and encode for v0–v5.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface JoinGroupRequest {
  groupId: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  memberId: string
  groupInstanceId: string | null
  protocolType: string
  protocols: { name: string; metadata: Uint8Array }[]
}

export interface JoinGroupResponse {
  throttleTimeMs: number
  errorCode: number
  generationId: number
  protocolName: string
  leader: string
  memberId: string
  members: { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[]
}

export function decodeJoinGroupRequest(reader: Reader, version: number): JoinGroupRequest {
  const groupId = reader.string()
  const sessionTimeoutMs = reader.int32()
  // v0 has no rebalance timeout: the session timeout serves as both.
  const rebalanceTimeoutMs = version >= 1 ? reader.int32() : sessionTimeoutMs
  const memberId = reader.string()
  const groupInstanceId = version >= 5 ? reader.nullableString() : null
  const protocolType = reader.string()
  const protocols = reader.array((r) => ({ name: r.string(), metadata: r.bytesField() }))
  return { groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId, groupInstanceId, protocolType, protocols }
}

export function encodeJoinGroupResponse(writer: Writer, response: JoinGroupResponse, version: number): void {
  if (version >= 2) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode).int32(response.generationId).string(response.protocolName).string(response.leader).string(response.memberId)
  writer.array(response.members, (w, m) => {
    w.string(m.memberId)
    if (version >= 5) w.nullableString(m.groupInstanceId)
    w.bytes(m.metadata)
  })
}
