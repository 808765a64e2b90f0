/**
 * Fetch Request (Version: 11) => same as v10 + rack_id:STRING at the end (KIP-392)
 * Fetch Response (Version: 11) => same as v10, partitions add preferred_read_replica:INT32 before records
 *
 * v12 is the first flexible version; librdkafka 2.0.2 and kafkajs 2.2.4 send v11.
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v11 = versionCodec(11, decodeFetchRequest, encodeFetchResponse)
