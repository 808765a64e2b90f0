/**
 * Metadata Request (Version: 4) => [topics] allow_auto_topic_creation
 *   adds allow_auto_topic_creation:BOOLEAN (KIP-204)
 * Metadata Response (Version: 4) => same as v3
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v4 = versionCodec(4, decodeMetadataRequest, encodeMetadataResponse)
