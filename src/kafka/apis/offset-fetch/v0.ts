/**
 * OffsetFetch Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => name:STRING [partition_indexes:INT32]
 * OffsetFetch Response (Version: 0) => [topics]
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 committed_offset:INT64 metadata:NULLABLE_STRING error_code:INT16
 *
 * committed_offset is -1 where the group has committed nothing.
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v0 = versionCodec(0, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
