/**
 * Produce Request (Version: 4) => same as v3
 * Produce Response (Version: 4) => same as v3 (KAFKA_STORAGE_ERROR may be returned, KIP-112)
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v4 = versionCodec(4, decodeProduceRequest, encodeProduceResponse)
