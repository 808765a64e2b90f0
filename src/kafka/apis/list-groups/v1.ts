/**
 * ListGroups Request (Version: 1) => same as v0
 * ListGroups Response (Version: 1) => throttle_time_ms error_code [groups]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeListGroupsRequest, encodeListGroupsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeListGroupsRequest, encodeListGroupsResponse)
