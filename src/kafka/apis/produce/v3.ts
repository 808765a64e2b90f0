/**
 * Produce Request (Version: 3) => transactional_id acks timeout_ms [topic_data]
 *   adds transactional_id:NULLABLE_STRING first (KIP-98); records are RecordBatch v2 (magic 2)
 * Produce Response (Version: 3) => same as v2
 *
 * The first version this server stores: each partition's records must be
 * exactly one RecordBatch v2, as Kafka requires from v3 on.
 */
import { versionCodec } from '../api.js'
import { decodeProduceRequest, encodeProduceResponse } from './codec.js'

export const v3 = versionCodec(3, decodeProduceRequest, encodeProduceResponse)
