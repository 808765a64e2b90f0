/**
 * TxnOffsetCommit Request (Version: 2) => same as v1, partitions add committed_leader_epoch:INT32 after committed_offset (KIP-320)
 * TxnOffsetCommit Response (Version: 2) => same as v1
 *
 * v3 is the first flexible version (it adds the group generation and member id, KIP-447).
 */
import { versionCodec } from '../api.js'
import { decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse } from './codec.js'

export const v2 = versionCodec(2, decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse)
