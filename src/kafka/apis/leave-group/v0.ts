/**
 * LeaveGroup Request (Version: 0) => group_id member_id
 *   group_id => STRING
 *   member_id => STRING
 * LeaveGroup Response (Version: 0) => error_code
 *   error_code => INT16
 */
import { versionCodec } from '../api.js'
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from './codec.js'

export const v0 = versionCodec(0, decodeLeaveGroupRequest, encodeLeaveGroupResponse)
