/**
 * EndTxn Request (Version: 0) => transactional_id producer_id producer_epoch committed
 *   transactional_id => STRING
 *   producer_id => INT64
 *   producer_epoch => INT16
 *   committed => BOOLEAN (true commit, false abort)
 * EndTxn Response (Version: 0) => throttle_time_ms error_code
 */
import { versionCodec } from '../api.js'
import { decodeEndTxnRequest, encodeEndTxnResponse } from './codec.js'

export const v0 = versionCodec(0, decodeEndTxnRequest, encodeEndTxnResponse)
