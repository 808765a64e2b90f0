/**
 * Metadata Request (Version: 5) => same as v4
 * Metadata Response (Version: 5) => same as v4, partitions add [offline_replicas:INT32] after isr_nodes (KIP-112)
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v5 = versionCodec(5, decodeMetadataRequest, encodeMetadataResponse)
