/**
 * CreateTopics Request (Version: 4) => same as v3; num_partitions and replication_factor may be -1 for the broker's default (KIP-464)
 * CreateTopics Response (Version: 4) => same as v3
 *
 * v5 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from './codec.js'

export const v4 = versionCodec(4, decodeCreateTopicsRequest, encodeCreateTopicsResponse)
