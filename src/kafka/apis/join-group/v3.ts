/**
 * JoinGroup Request (Version: 3) => same as v2
 * JoinGroup Response (Version: 3) => same as v2 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v3 = versionCodec(3, decodeJoinGroupRequest, encodeJoinGroupResponse)
