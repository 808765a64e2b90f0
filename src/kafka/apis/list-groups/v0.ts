/**
 * ListGroups Request (Version: 0) =>
 * ListGroups Response (Version: 0) => error_code [groups]
 *   error_code => INT16
 *   groups => group_id:STRING protocol_type:STRING
 */
import { versionCodec } from '../api.js'
import { decodeListGroupsRequest, encodeListGroupsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeListGroupsRequest, encodeListGroupsResponse)
