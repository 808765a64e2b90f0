/**
 * OffsetCommit Request (Version: 2) => group_id generation_id member_id retention_time_ms [topics]
 *   adds retention_time_ms:INT64 after member_id; partitions drop commit_timestamp
 * OffsetCommit Response (Version: 2) => same as v1
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v2 = versionCodec(2, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
