/**
 * ApiVersions Request (Version: 2) =>            (same as v1)
 * ApiVersions Response (Version: 2) => error_code [api_keys] throttle_time_ms   (same as v1)
 *
 * v3 is the first flexible version (KIP-511: client software name and
 * version, tagged fields); we do not serve it and answer it in the v0 format.
 */
import { versionCodec } from '../api.js'
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from './codec.js'

export const v2 = versionCodec(2, decodeApiVersionsRequest, encodeApiVersionsResponse)
