/**
 * DeleteTopics Request (Version: 3) => same as v2
 * DeleteTopics Response (Version: 3) => same as v2 (TOPIC_DELETION_DISABLED may be returned)
 *
 * v4 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './codec.js'

export const v3 = versionCodec(3, decodeDeleteTopicsRequest, encodeDeleteTopicsResponse)
