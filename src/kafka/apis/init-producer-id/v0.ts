/**
 * InitProducerId Request (Version: 0) => transactional_id transaction_timeout_ms
 *   transactional_id => NULLABLE_STRING (null for an idempotent, non-transactional producer)
 *   transaction_timeout_ms => INT32
 * InitProducerId Response (Version: 0) => throttle_time_ms error_code producer_id producer_epoch
 *   throttle_time_ms => INT32
 *   error_code => INT16
 *   producer_id => INT64
 *   producer_epoch => INT16
 *
 * Served from v0: librdkafka's idempotent producer needs v0 in range.
 */
import { versionCodec } from '../api.js'
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from './codec.js'

export const v0 = versionCodec(0, decodeInitProducerIdRequest, encodeInitProducerIdResponse)
