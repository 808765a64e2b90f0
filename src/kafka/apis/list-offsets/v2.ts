/**
 * ListOffsets Request (Version: 2) => replica_id isolation_level [topics]
 *   adds isolation_level:INT8 after replica_id (KIP-98)
 * ListOffsets Response (Version: 2) => throttle_time_ms [topics]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from './codec.js'

export const v2 = versionCodec(2, decodeListOffsetsRequest, encodeListOffsetsResponse)
