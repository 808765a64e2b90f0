/**
 * OffsetCommit Request (Version: 4) => same as v3
 * OffsetCommit Response (Version: 4) => same as v3 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from './codec.js'

export const v4 = versionCodec(4, decodeOffsetCommitRequest, encodeOffsetCommitResponse)
