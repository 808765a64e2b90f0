/**
 * Fetch Request (Version: 7) => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id session_epoch [topics] [forgotten_topics_data]
 *   adds session_id:INT32 session_epoch:INT32 after isolation_level (KIP-227 fetch sessions)
 *   adds forgotten_topics_data => topic:STRING [partitions:INT32] after topics
 * Fetch Response (Version: 7) => throttle_time_ms error_code session_id [responses]
 *   adds error_code:INT16 session_id:INT32 after throttle_time_ms
 *
 * This server creates no fetch sessions: it answers session_id 0, which tells
 * the client to keep sending full fetch requests.
 */
import { versionCodec } from '../api.js'
import { decodeFetchRequest, encodeFetchResponse } from './codec.js'

export const v7 = versionCodec(7, decodeFetchRequest, encodeFetchResponse)
