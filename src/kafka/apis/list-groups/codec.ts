// ListGroups (key 16): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export type ListGroupsRequest = Record<string, never>

export interface ListGroupsResponse {
  throttleTimeMs: number
  errorCode: number
  groups: { groupId: string; protocolType: string }[]
}

export function decodeListGroupsRequest(_reader: Reader, _version: number): ListGroupsRequest {
  return {}
}

export function encodeListGroupsResponse(writer: Writer, response: ListGroupsResponse, version: number): void {
  if (version >= 1) writer.int32(response.throttleTimeMs)
  writer.int16(response.errorCode)
  writer.array(response.groups, (w, g) => w.string(g.groupId).string(g.protocolType))
}
