/**
 * Fetch Request (Version: 5) => same as v4, partitions add log_start_offset:INT64 after fetch_offset (KIP-107)
 * Fetch Response (Version: 5) => same as v4, partitions add log_start_offset:INT64 after last_stable_offset
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v5 = versionCodec(5, decodeFetchRequest, encodeFetchResponse)
