/**
 * OffsetCommit Request (Version: 5) => group_id generation_id member_id [topics]
 *   drops retention_time_ms (KIP-211: retention is the broker's)
 * OffsetCommit Response (Version: 5) => same as v4
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v5 = versionCodec(5, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
