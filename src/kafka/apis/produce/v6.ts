/**
 * Produce Request (Version: 6) => same as v5
 * Produce Response (Version: 6) => same as v5 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v6 = versionCodec(6, decodeProduceRequest, encodeProduceResponse)
