/**
 * Heartbeat Request (Version: 1) => same as v0
 * Heartbeat Response (Version: 1) => throttle_time_ms error_code
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from './codec.js'

export const v1 = versionCodec(1, decodeHeartbeatRequest, encodeHeartbeatResponse)
