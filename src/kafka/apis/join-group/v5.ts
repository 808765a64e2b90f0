/**
 * JoinGroup Request (Version: 5) => group_id session_timeout_ms rebalance_timeout_ms member_id group_instance_id protocol_type [protocols]
 *   adds group_instance_id:NULLABLE_STRING after member_id (KIP-345 static membership)
 * JoinGroup Response (Version: 5) => same as v4, members add group_instance_id:NULLABLE_STRING after member_id
 *
 * v6 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v5 = versionCodec(5, decodeJoinGroupRequest, encodeJoinGroupResponse)
