/**
 * ListOffsets Request (Version: 1) => replica_id [topics]
 *   partitions drop max_num_offsets (KIP-79)
 * ListOffsets Response (Version: 1) => [topics]
 *   partitions => partition_index:INT32 error_code:INT16 timestamp:INT64 offset:INT64
 */
import { versionCodec } from '../api.js'
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeListOffsetsRequest, encodeListOffsetsResponse)
