/**
 * Metadata Request (Version: 2) => [topics]      (same as v1)
 * Metadata Response (Version: 2) => [brokers] cluster_id controller_id [topics]
 *   adds cluster_id:NULLABLE_STRING (KIP-78)
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v2 = versionCodec(2, decodeMetadataRequest, encodeMetadataResponse)
