/**
 * JoinGroup Request (Version: 4) => same as v3
 * JoinGroup Response (Version: 4) => same as v3
 *
 * From v4 a new member (member_id '') is first answered MEMBER_ID_REQUIRED
 * (79) with its member id, and joins again with it (KIP-394).
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v4 = versionCodec(4, decodeJoinGroupRequest, encodeJoinGroupResponse)
