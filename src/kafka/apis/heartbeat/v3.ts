/**
 * Heartbeat Request (Version: 3) => group_id generation_id member_id group_instance_id
 *   adds group_instance_id:NULLABLE_STRING (KIP-345)
 * Heartbeat Response (Version: 3) => same as v2
 *
 * v4 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from './codec.js'

export const v3 = versionCodec(3, decodeHeartbeatRequest, encodeHeartbeatResponse)
