/**
 * Produce Request (Version: 0) => acks timeout_ms [topic_data]
 *   acks => INT16
 *   timeout_ms => INT32
 *   topic_data => name:STRING [partition_data]
 *     partition_data => index:INT32 records:RECORDS
 * Produce Response (Version: 0) => [responses]
 *   responses => name:STRING [partition_responses]
 *     partition_responses => index:INT32 error_code:INT16 base_offset:INT64
 *
 * v0–v2 carry magic 0/1 message sets, which this server does not store: it
 * decodes them and answers UNSUPPORTED_VERSION per partition. The range is
 * advertised from v0 anyway, because librdkafka only compresses when Produce
 * v0 is in range (KAFKA-18659).
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v0 = versionCodec(0, decodeProduceRequest, encodeProduceResponse)
