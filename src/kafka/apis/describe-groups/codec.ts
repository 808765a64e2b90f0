// DescribeGroups (key 15): decode and encode for v0–v4.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface DescribeGroupsRequest {
  groups: string[]
  includeAuthorizedOperations: boolean
}

export interface DescribedMember {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  memberMetadata: Uint8Array
  memberAssignment: Uint8Array
}

export interface DescribedGroup {
  errorCode: number
  groupId: string
  groupState: string
  protocolType: string
  protocolData: string
  members: DescribedMember[]
  authorizedOperations: number
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number
  groups: DescribedGroup[]
}

export function decodeDescribeGroupsRequest(reader: Reader, version: number): DescribeGroupsRequest {
  const groups = reader.stringArray()
  const includeAuthorizedOperations = version >= 3 ? reader.bool() : false
  return { groups, includeAuthorizedOperations }
}

export function encodeDescribeGroupsResponse(writer: Writer, response: DescribeGroupsResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.array(response.groups, (w, g) => {
    w.int16(g.errorCode).string(g.groupId).string(g.groupState).string(g.protocolType).string(g.protocolData)
    w.array(g.members, (mw, m) => {
      mw.string(m.memberId)
      if (version >= 4) mw.nullableString(m.groupInstanceId)
      mw.string(m.clientId).string(m.clientHost).bytes(m.memberMetadata).bytes(m.memberAssignment)
    })
    if (version >= 3) w.int32(g.authorizedOperations)
  })
}
