/**
 * AddPartitionsToTxn Request (Version: 0) => transactional_id producer_id producer_epoch [topics]
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   topics => name:STRING [partitions:INT32]
 * AddPartitionsToTxn Response (Version: 0) => throttle_time_ms [results]
 *   results => name:STRING [results]
 *     results => partition_index:INT32 error_code:INT16
 *
 * Sent before a transactional producer's first batch to a partition (KIP-98).
 */
import { versionCodec } from '../api.js'
import { decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse } from './codec.js'

export const v0 = versionCodec(0, decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse)
