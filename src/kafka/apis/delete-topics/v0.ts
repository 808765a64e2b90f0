/**
 * DeleteTopics Request (Version: 0) => [topic_names] timeout_ms
 *   topic_names => STRING
 *   timeout_ms => INT32
 * DeleteTopics Response (Version: 0) => [responses]
 *   responses => name:STRING error_code:INT16
 */
import { versionCodec } from '../api.js'
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeDeleteTopicsRequest, encodeDeleteTopicsResponse)
