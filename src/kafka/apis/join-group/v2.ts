/**
 * JoinGroup Request (Version: 2) => same as v1
 * JoinGroup Response (Version: 2) => throttle_time_ms error_code generation_id protocol_name leader member_id [members]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v2 = versionCodec(2, decodeJoinGroupRequest, encodeJoinGroupResponse)
