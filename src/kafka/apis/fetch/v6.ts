/**
 * Fetch Request (Version: 6) => same as v5
 * Fetch Response (Version: 6) => same as v5 (KAFKA_STORAGE_ERROR may be returned, KIP-112)
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v6 = versionCodec(6, decodeFetchRequest, encodeFetchResponse)
