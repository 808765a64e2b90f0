/**
 * SyncGroup Request (Version: 1) => same as v0
 * SyncGroup Response (Version: 1) => throttle_time_ms error_code assignment
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from './codec.js'

export const v1 = versionCodec(1, decodeSyncGroupRequest, encodeSyncGroupResponse)
