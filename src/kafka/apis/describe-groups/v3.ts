/**
 * DescribeGroups Request (Version: 3) => [groups] include_authorized_operations
 *   adds include_authorized_operations:BOOLEAN (KIP-430)
 * DescribeGroups Response (Version: 3) => same as v2, groups add authorized_operations:INT32 at the end
 *   (INT32_MIN: not computed; there are no ACLs)
 */
import { versionCodec } from '../api.js'
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from './codec.js'

export const v3 = versionCodec(3, decodeDescribeGroupsRequest, encodeDescribeGroupsResponse)
