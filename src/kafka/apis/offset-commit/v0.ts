/**
 * OffsetCommit Request (Version: 0) => group_id [topics]
 *   group_id => STRING
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 committed_offset:INT64 committed_metadata:NULLABLE_STRING
 * OffsetCommit Response (Version: 0) => [topics]
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 error_code:INT16
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v0 = versionCodec(0, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
