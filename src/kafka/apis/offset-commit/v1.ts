/**
 * OffsetCommit Request (Version: 1) => group_id generation_id member_id [topics]
 *   adds generation_id:INT32 member_id:STRING after group_id
 *   partitions add commit_timestamp:INT64 after committed_offset (v1 only)
 * OffsetCommit Response (Version: 1) => same as v0
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v1 = versionCodec(1, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
