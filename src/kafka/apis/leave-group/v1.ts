/**
 * LeaveGroup Request (Version: 1) => same as v0
 * LeaveGroup Response (Version: 1) => throttle_time_ms error_code
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from './codec.js'

export const v1 = versionCodec(1, decodeLeaveGroupRequest, encodeLeaveGroupResponse)
