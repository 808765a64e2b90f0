/**
 * OffsetCommit Request (Version: 6) => same as v5, partitions add committed_leader_epoch:INT32 after committed_offset (KIP-320)
 * OffsetCommit Response (Version: 6) => same as v5
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v6 = versionCodec(6, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
