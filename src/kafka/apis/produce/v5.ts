/**
 * Produce Request (Version: 5) => same as v4
 * Produce Response (Version: 5) => [responses] throttle_time_ms
 *   partition_responses adds log_start_offset:INT64 after log_append_time_ms (KIP-107)
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v5 = versionCodec(5, decodeProduceRequest, encodeProduceResponse)
