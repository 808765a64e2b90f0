/**
 * CreateTopics Request (Version: 1) => [topics] timeout_ms validate_only
 *   adds validate_only:BOOLEAN (KIP-108)
 * CreateTopics Response (Version: 1) => [topics]
 *   topics add error_message:NULLABLE_STRING
 */
import { versionCodec } from '../api.js'
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './codec.js'

export const v1 = versionCodec(1, decodeCreateTopicsRequest, encodeCreateTopicsResponse)
