/**
 * DeleteTopics Request (Version: 2) => same as v1
 * DeleteTopics Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from './codec.js'

export const v2 = versionCodec(2, decodeDeleteTopicsRequest, encodeDeleteTopicsResponse)
