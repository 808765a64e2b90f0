/**
 * DescribeGroups Request (Version: 0) => [groups]
 *   groups => STRING
 * DescribeGroups Response (Version: 0) => [groups]
 *   groups => error_code:INT16 group_id:STRING group_state:STRING protocol_type:STRING protocol_data:STRING [members]
 *     members => member_id:STRING client_id:STRING client_host:STRING member_metadata:BYTES member_assignment:BYTES
 */
import { versionCodec } from '../api.js'
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeDescribeGroupsRequest, encodeDescribeGroupsResponse)
