/**
 * DescribeGroups Request (Version: 4) => same as v3
 * DescribeGroups Response (Version: 4) => same as v3, members add group_instance_id:NULLABLE_STRING after member_id (KIP-345)
 *
 * v5 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from './codec.js'

export const v4 = versionCodec(4, decodeDescribeGroupsRequest, encodeDescribeGroupsResponse)
