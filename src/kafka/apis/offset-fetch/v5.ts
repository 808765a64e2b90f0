/**
 * OffsetFetch Request (Version: 5) => same as v4
 * OffsetFetch Response (Version: 5) => same as v4, partitions add committed_leader_epoch:INT32 after committed_offset (KIP-320)
 *
 * v6 is the first flexible version; librdkafka asks for v7 only when offered.
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v5 = versionCodec(5, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
