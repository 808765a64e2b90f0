/**
 * ApiVersions Request (Version: 0) =>
 * ApiVersions Response (Version: 0) => error_code [api_keys]
 *   error_code => INT16
 *   api_keys => api_key min_version max_version
 *     api_key => INT16
 *     min_version => INT16
 *     max_version => INT16
 *
 * Also the body of the answer to any version we do not serve (v3+ from
 * librdkafka): error_code 35 UNSUPPORTED_VERSION with our ranges, so the client
 * retries at a version in range.
 */
import { versionCodec } from '../api.js'
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from './codec.js'

export const v0 = versionCodec(0, decodeApiVersionsRequest, encodeApiVersionsResponse)
