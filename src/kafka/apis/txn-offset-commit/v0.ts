/**
 * TxnOffsetCommit Request (Version: 0) => transactional_id group_id producer_id producer_epoch [topics]
 *   transactional_id => STRING
 *   group_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 committed_offset:INT64 committed_metadata:NULLABLE_STRING
 * TxnOffsetCommit Response (Version: 0) => throttle_time_ms [topics]
 *   topics => name:STRING [partitions]
 *     partitions => partition_index:INT32 error_code:INT16
 */
import { versionCodec } from '../api.js'
import { decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse } from './codec.js'

export const v0 = versionCodec(0, decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitResponse)
