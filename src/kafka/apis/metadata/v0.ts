/**
 * Metadata Request (Version: 0) => [topics]
 *   topics => name:STRING              (an empty array means every topic)
 * Metadata Response (Version: 0) => [brokers] [topics]
 *   brokers => node_id:INT32 host:STRING port:INT32
 *   topics => error_code:INT16 name:STRING [partitions]
 *     partitions => error_code:INT16 partition_index:INT32 leader_id:INT32 [replica_nodes:INT32] [isr_nodes:INT32]
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v0 = versionCodec(0, decodeMetadataRequest, encodeMetadataResponse)
