/**
 * Metadata Request (Version: 3) => [topics]      (same as v2)
 * Metadata Response (Version: 3) => throttle_time_ms [brokers] cluster_id controller_id [topics]
 *   adds throttle_time_ms:INT32 first (KIP-124)
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v3 = versionCodec(3, decodeMetadataRequest, encodeMetadataResponse)
