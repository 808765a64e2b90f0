/**
 * LeaveGroup Request (Version: 3) => group_id [members]
 *   replaces member_id with members => member_id:STRING group_instance_id:NULLABLE_STRING (KIP-345 batch leave)
 * LeaveGroup Response (Version: 3) => throttle_time_ms error_code [members]
 *   adds members => member_id:STRING group_instance_id:NULLABLE_STRING error_code:INT16
 *
 * v4 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from './codec.js'

export const v3 = versionCodec(3, decodeLeaveGroupRequest, encodeLeaveGroupResponse)
