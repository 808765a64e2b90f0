/**
 * Fetch Request (Version: 10) => same as v9 (zstd batches may be returned, KIP-110)
 * Fetch Response (Version: 10) => same as v9
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v10 = versionCodec(10, decodeFetchRequest, encodeFetchResponse)
