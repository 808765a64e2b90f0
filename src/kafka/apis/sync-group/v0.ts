/**
 * SyncGroup Request (Version: 0) => group_id generation_id member_id [assignments]
 *   group_id => STRING
 *   generation_id => INT32
 *   member_id => STRING
 *   assignments => member_id:STRING assignment:BYTES (sent by the leader only)
 * SyncGroup Response (Version: 0) => error_code assignment
 *   error_code => INT16
 *   assignment => BYTES
 */
import { versionCodec } from '../api.js'
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from './codec.js'

export const v0 = versionCodec(0, decodeSyncGroupRequest, encodeSyncGroupResponse)
