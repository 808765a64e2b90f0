/**
 * SyncGroup Request (Version: 3) => group_id generation_id member_id group_instance_id [assignments]
 *   adds group_instance_id:NULLABLE_STRING after member_id (KIP-345)
 * SyncGroup Response (Version: 3) => same as v2
 *
 * v4 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from './codec.js'

export const v3 = versionCodec(3, decodeSyncGroupRequest, encodeSyncGroupResponse)
