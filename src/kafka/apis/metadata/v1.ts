/**
 * Metadata Request (Version: 1) => [topics]      (topics is nullable: null means every topic, empty means none)
 * Metadata Response (Version: 1) => [brokers] controller_id [topics]
 *   brokers adds rack:NULLABLE_STRING
 *   adds controller_id:INT32
 *   topics adds is_internal:BOOLEAN after name
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v1 = versionCodec(1, decodeMetadataRequest, encodeMetadataResponse)
