/**
 * OffsetFetch Request (Version: 3) => same as v2
 * OffsetFetch Response (Version: 3) => throttle_time_ms [topics] error_code
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v3 = versionCodec(3, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
