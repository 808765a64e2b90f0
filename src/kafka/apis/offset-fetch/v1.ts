/**
 * OffsetFetch Request (Version: 1) => same as v0 (offsets from Kafka rather than ZooKeeper; one store here)
 * OffsetFetch Response (Version: 1) => same as v0
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v1 = versionCodec(1, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
