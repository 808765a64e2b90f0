// Hand-built requests and response readers for the raw-socket tests, written
// with the server's own Writer/Reader primitives (the codecs themselves are
// checked against the real clients and kafkajs in codec.test.ts).
import { Reader } from '../../src/kafka/protocol/reader.js'
import { concatChunks, Writer } from '../../src/kafka/protocol/writer.js'

export function body(write: (w: Writer) => void): Uint8Array {
  const w = new Writer()
  write(w)
  return concatChunks(w.finish()).subarray(4)
}

export function produceBody(topic: string, partition: number, records: Uint8Array | null, acks = -1, version = 7): Uint8Array {
  return body((w) => {
    if (version >= 3) w.nullableString(null)
    w.int16(acks).int32(5000)
    w.array([0], (tw) => tw.string(topic).array([0], (pw) => pw.int32(partition).nullableBytes(records)))
  })
}

export interface ProducedPartition {
  topic: string
  partition: number
  errorCode: number
  baseOffset: number
}

export function readProduceResponse(frame: Uint8Array, version = 7): { correlationId: number; partitions: ProducedPartition[] } {
  const r = new Reader(frame)
  const correlationId = r.int32()
  const partitions = r
    .array((t) => {
      const topic = t.string()
      return t.array((p) => {
        const out = { topic, partition: p.int32(), errorCode: p.int16(), baseOffset: p.int64() }
        if (version >= 2) p.int64() // log_append_time_ms
        if (version >= 5) p.int64() // log_start_offset
        return out
      })
    })
    .flat()
  return { correlationId, partitions }
}

export function fetchBody(
  parts: { topic: string; partition: number; offset: number; partitionMaxBytes?: number }[],
  options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; isolationLevel?: 0 | 1 } = {},
): Uint8Array {
  return body((w) => {
    w.int32(-1).int32(options.maxWaitMs ?? 0).int32(options.minBytes ?? 1).int32(options.maxBytes ?? 52_428_800).int8(options.isolationLevel ?? 0).int32(0).int32(-1)
    w.array(parts, (tw, p) => tw.string(p.topic).array([p], (pw, q) => pw.int32(q.partition).int32(-1).int64(q.offset).int64(-1).int32(q.partitionMaxBytes ?? 1_048_576)))
    w.array([], () => {})
    w.string('')
  })
}

export interface FetchedPartition {
  topic: string
  partition: number
  errorCode: number
  highWatermark: number
  lastStableOffset: number
  abortedTransactions: [producerId: number, firstOffset: number][]
  records: Uint8Array
}

export function readFetchResponse(frame: Uint8Array): { correlationId: number; partitions: FetchedPartition[] } {
  const r = new Reader(frame)
  const correlationId = r.int32()
  r.int32() // throttle
  r.int16() // error_code
  r.int32() // session_id
  const partitions = r
    .array((t) => {
      const topic = t.string()
      return t.array((p) => {
        const partition = p.int32()
        const errorCode = p.int16()
        const highWatermark = p.int64()
        const lastStableOffset = p.int64()
        p.int64() // log start
        const abortedTransactions = p.array((a) => [a.int64(), a.int64()] as [number, number])
        p.int32() // preferred read replica
        return { topic, partition, errorCode, highWatermark, lastStableOffset, abortedTransactions, records: p.bytesField().slice() }
      })
    })
    .flat()
  return { correlationId, partitions }
}

export function readApiVersionsResponse(frame: Uint8Array, version: number) {
  const r = new Reader(frame)
  const correlationId = r.int32()
  const errorCode = r.int16()
  const apiKeys = r.array((a) => ({ apiKey: a.int16(), minVersion: a.int16(), maxVersion: a.int16() }))
  const throttleTimeMs = version >= 1 ? r.int32() : undefined
  return { correlationId, errorCode, apiKeys, throttleTimeMs, left: r.remaining() }
}

export function metadataBody(topics: string[] | null, allowAutoTopicCreation = true): Uint8Array {
  return body((w) => {
    if (topics === null) w.int32(-1)
    else w.array(topics, (tw, t) => tw.string(t))
    w.bool(allowAutoTopicCreation)
  })
}

/** Metadata v6 response: brokers and topics with partition counts and error codes. */
export function readMetadataResponse(frame: Uint8Array) {
  const r = new Reader(frame)
  const correlationId = r.int32()
  r.int32()
  const brokers = r.array((b) => ({ nodeId: b.int32(), host: b.string(), port: b.int32(), rack: b.nullableString() }))
  const clusterId = r.nullableString()
  const controllerId = r.int32()
  const topics = r.array((t) => {
    const errorCode = t.int16()
    const name = t.string()
    const isInternal = t.bool()
    const partitions = t.array((p) => {
      const out = { errorCode: p.int16(), partition: p.int32(), leader: p.int32() }
      p.int32Array()
      p.int32Array()
      p.int32Array()
      return out
    })
    return { errorCode, name, isInternal, partitions }
  })
  return { correlationId, brokers, clusterId, controllerId, topics }
}
