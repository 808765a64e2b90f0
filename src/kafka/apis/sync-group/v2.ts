/**
 * SyncGroup Request (Version: 2) => same as v1
 * SyncGroup Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from './codec.js'

export const v2 = versionCodec(2, decodeSyncGroupRequest, encodeSyncGroupResponse)
