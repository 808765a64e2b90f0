/**
 * Produce Request (Version: 7) => same as v6 (zstd batches allowed, KIP-110)
 * Produce Response (Version: 7) => same as v6
 *
 * v8 adds per-record errors; v9 is the first flexible version. All four
 * measured clients send v7.
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v7 = versionCodec(7, decodeProduceRequest, encodeProduceResponse)
