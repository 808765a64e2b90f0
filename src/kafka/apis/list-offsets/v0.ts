/**
 * ListOffsets Request (Version: 0) => replica_id [topics]
 *   replica_id => INT32
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 timestamp:INT64 max_num_offsets:INT32
 * ListOffsets Response (Version: 0) => [topics]
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 error_code:INT16 [old_style_offsets:INT64]
 *
 * This server answers at most one offset per partition.
 */
import { versionCodec } from '../api.js'
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeListOffsetsRequest, encodeListOffsetsResponse)
