/**
 * DeleteTopics Request (Version: 1) => same as v0
 * DeleteTopics Response (Version: 1) => throttle_time_ms [responses]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeDeleteTopicsRequest, encodeDeleteTopicsResponse)
