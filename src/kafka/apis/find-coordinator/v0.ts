/**
 * FindCoordinator Request (Version: 0) => key
 *   key => STRING (the group id)
 * FindCoordinator Response (Version: 0) => error_code node_id host port
 *   error_code => INT16
 *   node_id => INT32
 *   host => STRING
 *   port => INT32
 *
 * Served from v0: librdkafka only runs consumer groups when v0 is in range.
 */
import { versionCodec } from '../api.js'
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from './codec.js'

export const v0 = versionCodec(0, decodeFindCoordinatorRequest, encodeFindCoordinatorResponse)
