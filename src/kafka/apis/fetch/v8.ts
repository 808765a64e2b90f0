/**
 * Fetch Request (Version: 8) => same as v7
 * Fetch Response (Version: 8) => same as v7 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v8 = versionCodec(8, decodeFetchRequest, encodeFetchResponse)
