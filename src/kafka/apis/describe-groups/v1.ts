/**
 * DescribeGroups Request (Version: 1) => same as v0
 * DescribeGroups Response (Version: 1) => throttle_time_ms [groups]
 *   adds throttle_time_ms:INT32 first
 */
import { versionCodec } from '../api.js'
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeDescribeGroupsRequest, encodeDescribeGroupsResponse)
