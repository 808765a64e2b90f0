/**
 * Heartbeat Request (Version: 2) => same as v1
 * Heartbeat Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from './codec.js'

export const v2 = versionCodec(2, decodeHeartbeatRequest, encodeHeartbeatResponse)
