/**
 * FindCoordinator Request (Version: 1) => key key_type
 *   adds key_type:INT8 (0 group, 1 transaction; KIP-98)
 * FindCoordinator Response (Version: 1) => throttle_time_ms error_code error_message node_id host port
 *   adds throttle_time_ms:INT32 first and error_message:NULLABLE_STRING after error_code
 */
import { versionCodec } from '../api.js'
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from './codec.js'

export const v1 = versionCodec(1, decodeFindCoordinatorRequest, encodeFindCoordinatorResponse)
