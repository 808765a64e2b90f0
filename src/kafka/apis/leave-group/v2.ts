/**
 * LeaveGroup Request (Version: 2) => same as v1
 * LeaveGroup Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from './codec.js'

export const v2 = versionCodec(2, decodeLeaveGroupRequest, encodeLeaveGroupResponse)
