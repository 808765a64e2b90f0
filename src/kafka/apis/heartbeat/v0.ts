/**
 * Heartbeat Request (Version: 0) => group_id generation_id member_id
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 * Heartbeat Response (Version: 0) => error_code
 *   error_code => INT16 (REBALANCE_IN_PROGRESS tells the member to join again)
 */
import { versionCodec } from '../api.js'
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from './codec.js'

export const v0 = versionCodec(0, decodeHeartbeatRequest, encodeHeartbeatResponse)
