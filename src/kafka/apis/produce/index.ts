// Produce: each partition's single RecordBatch goes to the broker as the bytes
// the client sent (the broker checks size, magic, CRC and idempotence and
// rewrites only the base offset). Partitions of one request are appended
// concurrently; the broker keeps each partition's appends in order, and the
// connection handles one request at a time, so a pipelining producer's batches
// land in the order it sent them. acks=0 gets no response; an error under
// acks=0 closes the connection, as Kafka does, so the producer notices.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { RequestContext } from '../../context.js'
import { CloseConnectionError, codeOf, errorCodeOf, NONE } from '../../errors.js'
import { batchSizeAt, BATCH_HEADER_BYTES } from '../../../log/batch-header.js'
import type { ProducePartitionData, ProducePartitionResponse, ProduceRequest, ProduceResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'
import { v6 } from './v6.js'
import { v7 } from './v7.js'

export const produce = defineApi<ProduceRequest, ProduceResponse>(ApiKeys.Produce, 'Produce', [v0, v1, v2, v3, v4, v5, v6, v7], handleProduce)

/** The first version whose records are RecordBatch v2. */
const PRODUCE_VERSION_STORED_MIN = 3

async function handleProduce(context: RequestContext, request: ProduceRequest, version: number): Promise<ProduceResponse | undefined> {
  const refusal = version < PRODUCE_VERSION_STORED_MIN ? codeOf('UNSUPPORTED_VERSION') : ![-1, 0, 1].includes(request.acks) ? codeOf('INVALID_REQUIRED_ACKS') : NONE
  const topics = await Promise.all(
    request.topics.map(async (topic) => ({
      name: topic.name,
      partitions: refusal !== NONE ? topic.partitions.map((p) => failed(p.index, refusal)) : await produceTopic(context, topic.name, topic.partitions, version),
    })),
  )
  if (request.acks === 0) {
    const errors = topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== NONE).map((p) => `${t.name}-${p.index}: error ${p.errorCode}`))
    if (errors.length > 0) throw new CloseConnectionError(`acks=0 produce failed (${errors.join(', ')})`)
    return undefined
  }
  return { topics, throttleTimeMs: 0 }
}

async function produceTopic(context: RequestContext, topic: string, partitions: ProducePartitionData[], version: number): Promise<ProducePartitionResponse[]> {
  const { broker } = context.server
  let partitionCount = broker.partitionCount(topic)
  if (partitionCount === undefined) {
    try {
      partitionCount = await context.server.ensureTopic(topic)
    } catch (error) {
      const code = errorCodeOf(error, context, `Produce auto-create of topic "${topic}"`)
      return partitions.map((p) => failed(p.index, code))
    }
  }
  const count = partitionCount
  // Start every partition's append in request order before awaiting any of them.
  const pending = partitions.map((p) => producePartition(context, topic, p, count, version))
  return Promise.all(pending)
}

async function producePartition(context: RequestContext, topic: string, data: ProducePartitionData, partitionCount: number, version: number): Promise<ProducePartitionResponse> {
  if (data.index < 0 || data.index >= partitionCount) return failed(data.index, codeOf('UNKNOWN_TOPIC_OR_PARTITION'))
  const records = data.records
  if (records === null || records.length < BATCH_HEADER_BYTES || batchSizeAt(records, 0) !== records.length) {
    // Kafka (v3+): "Produce requests ... are only allowed to contain exactly one record batch".
    const detail = records === null ? 'null records' : `${records.length} bytes that are not exactly one record batch`
    context.server.log(`Produce from client ${JSON.stringify(context.clientId)} to ${JSON.stringify(topic)} partition ${data.index} refused: ${detail}`)
    return failed(data.index, records !== null && records.length >= 12 && batchSizeAt(records, 0) < records.length ? codeOf('INVALID_RECORD') : codeOf('CORRUPT_MESSAGE'))
  }
  const { broker } = context.server
  try {
    const result = await broker.produce(topic, data.index, records)
    const logStartOffset = version >= 5 ? await broker.listOffset(topic, data.index, -2) : -1
    return { index: data.index, errorCode: NONE, baseOffset: result.baseOffset, logAppendTimeMs: -1, logStartOffset }
  } catch (error) {
    const code = errorCodeOf(error, context, `Produce to ${topic}-${data.index}`)
    if (code === codeOf('CORRUPT_MESSAGE')) context.server.log(`Produce from client ${JSON.stringify(context.clientId)} to ${JSON.stringify(topic)} partition ${data.index} refused: ${(error as Error).message}`)
    return failed(data.index, code)
  }
}

function failed(index: number, errorCode: number): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 }
}
