/**
 * JoinGroup Request (Version: 1) => group_id session_timeout_ms rebalance_timeout_ms member_id protocol_type [protocols]
 *   adds rebalance_timeout_ms:INT32 after session_timeout_ms (KIP-62)
 * JoinGroup Response (Version: 1) => same as v0
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v1 = versionCodec(1, decodeJoinGroupRequest, encodeJoinGroupResponse)
