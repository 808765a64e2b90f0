/**
 * CreateTopics Request (Version: 3) => same as v2
 * CreateTopics Response (Version: 3) => same as v2 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './codec.js'

export const v3 = versionCodec(3, decodeCreateTopicsRequest, encodeCreateTopicsResponse)
