/**
 * Fetch Request (Version: 9) => same as v8, partitions add current_leader_epoch:INT32 after partition (KIP-320)
 * Fetch Response (Version: 9) => same as v8
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v9 = versionCodec(9, decodeFetchRequest, encodeFetchResponse)
