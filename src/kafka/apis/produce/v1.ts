/**
 * Produce Request (Version: 1) => same as v0
 * Produce Response (Version: 1) => [responses] throttle_time_ms
 *   adds throttle_time_ms:INT32 at the end
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v1 = versionCodec(1, decodeProduceRequest, encodeProduceResponse)
