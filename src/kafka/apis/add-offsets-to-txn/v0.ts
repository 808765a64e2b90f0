/**
 * AddOffsetsToTxn Request (Version: 0) => transactional_id producer_id producer_epoch group_id
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   group_id => STRING
 * AddOffsetsToTxn Response (Version: 0) => throttle_time_ms error_code
 *
 * Sent by sendOffsetsToTransaction before TxnOffsetCommit (KIP-98).
 */
import { versionCodec } from '../api.js'
import { decodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnResponse } from './codec.js'

export const v0 = versionCodec(0, decodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnResponse)
