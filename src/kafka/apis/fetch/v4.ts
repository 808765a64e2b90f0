/**
 * Fetch Request (Version: 4) => replica_id max_wait_ms min_bytes max_bytes isolation_level [topics]
 *   replica_id => INT32 (-1 for consumers)
 *   max_wait_ms => INT32
 *   min_bytes => INT32
 *   max_bytes => INT32
 *   isolation_level => INT8 (0 read_uncommitted, 1 read_committed; KIP-98)
 *   topics => topic:STRING [partitions]
 *     partitions => partition:INT32 fetch_offset:INT64 partition_max_bytes:INT32
 * Fetch Response (Version: 4) => throttle_time_ms [responses]
 *   responses => topic:STRING [partitions]
 *     partitions => partition_index:INT32 error_code:INT16 high_watermark:INT64 last_stable_offset:INT64
 *                   [aborted_transactions] records:RECORDS
 *       aborted_transactions => producer_id:INT64 first_offset:INT64
 *
 * The first version this server serves: RecordBatch v2 needs v4+ (librdkafka
 * writes magic 0/1 message sets unless Fetch 4 is in range).
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v4 = versionCodec(4, decodeFetchRequest, encodeFetchResponse)
