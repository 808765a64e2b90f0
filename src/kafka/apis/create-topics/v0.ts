/**
 * CreateTopics Request (Version: 0) => [topics] timeout_ms
 *   topics => name:STRING num_partitions:INT32 replication_factor:INT16 [assignments] [configs]
 *     assignments => partition_index:INT32 [broker_ids:INT32]
 *     configs => name:STRING value:NULLABLE_STRING
 *   timeout_ms => INT32
 * CreateTopics Response (Version: 0) => [topics]
 *   topics => name:STRING error_code:INT16
 */
import { versionCodec } from '../api.js'
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeCreateTopicsRequest, encodeCreateTopicsResponse)
