/**
 * Produce Request (Version: 2) => same as v1
 * Produce Response (Version: 2) => [responses] throttle_time_ms
 *   partition_responses adds log_append_time_ms:INT64 (KIP-32; -1 when the topic uses CreateTime)
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v2 = versionCodec(2, decodeProduceRequest, encodeProduceResponse)
