/**
 * CreateTopics Request (Version: 2) => same as v1
 * CreateTopics Response (Version: 2) => throttle_time_ms [topics]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './codec.js'

export const v2 = versionCodec(2, decodeCreateTopicsRequest, encodeCreateTopicsResponse)
