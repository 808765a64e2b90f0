/**
 * ListGroups Request (Version: 2) => same as v1
 * ListGroups Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 *
 * v3 is the first flexible version; v4 adds a state filter.
 */
import { versionCodec } from '../api.js'
import { decodeListGroupsRequest, encodeListGroupsResponse } from './codec.js'

export const v2 = versionCodec(2, decodeListGroupsRequest, encodeListGroupsResponse)
