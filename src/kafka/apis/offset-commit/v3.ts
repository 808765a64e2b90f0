/**
 * OffsetCommit Request (Version: 3) => same as v2
 * OffsetCommit Response (Version: 3) => throttle_time_ms [topics]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v3 = versionCodec(3, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
