/**
 * JoinGroup Request (Version: 0) => group_id session_timeout_ms member_id protocol_type [protocols]
 *   group_id => STRING
 *   session_timeout_ms => INT32
 *   member_id => STRING ('' when joining for the first time)
 *   protocol_type => STRING ('consumer' for consumer groups)
 *   protocols => name:STRING metadata:BYTES
 * JoinGroup Response (Version: 0) => error_code generation_id protocol_name leader member_id [members]
 *   error_code => INT16
 *   generation_id => INT32
 *   protocol_name => STRING
 *   leader => STRING
 *   member_id => STRING
 *   members => member_id:STRING metadata:BYTES (the leader alone gets them)
 */
import { versionCodec } from '../api.js'
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from './codec.js'

export const v0 = versionCodec(0, decodeJoinGroupRequest, encodeJoinGroupResponse)
