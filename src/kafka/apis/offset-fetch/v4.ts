/**
 * OffsetFetch Request (Version: 4) => same as v3
 * OffsetFetch Response (Version: 4) => same as v3 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v4 = versionCodec(4, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
