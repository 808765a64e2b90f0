/**
 * TxnOffsetCommit Request (Version: 1) => same as v0
 * TxnOffsetCommit Response (Version: 1) => same as v0 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse } from './codec.js'

export const v1 = versionCodec(1, decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse)
