/**
 * OffsetCommit Request (Version: 7) => group_id generation_id member_id group_instance_id [topics]
 *   adds group_instance_id:NULLABLE_STRING after member_id (KIP-345)
 * OffsetCommit Response (Version: 7) => same as v6
 *
 * v8 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v7 = versionCodec(7, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
