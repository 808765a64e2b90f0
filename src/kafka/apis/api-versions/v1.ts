/**
 * ApiVersions Request (Version: 1) =>            (same as v0)
 * ApiVersions Response (Version: 1) => error_code [api_keys] throttle_time_ms
 *   adds throttle_time_ms => INT32
 */
import { versionCodec } from '../api.js'
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeApiVersionsRequest, encodeApiVersionsResponse)
