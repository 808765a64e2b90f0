// The in-process producer: Kafka's producer semantics without a network hop.
// Records are serialised, partitioned, gathered per partition into batches
// (closed by `batchSize` bytes or `lingerMs`), encoded once as RecordBatch v2 —
// the bytes the log stores — and appended through the broker. Idempotence gives
// each batch a producer id, epoch and sequence, so a retried batch is never
// stored twice.
import type { Broker } from '../broker/broker.js'
import { KafkaError } from '../broker/errors.js'
import type { CompressionCodec } from '../log/batch-header.js'
import { encodeRecordBatch, type RecordInput } from '../log/record-batch.js'
import { zstdReady } from '../log/compression/index.js'
import { createPartitioner, type Partitioner, type PartitionerFunction, type PartitionerName } from './partitioners.js'
import { serialize, type Serializer } from './serde.js'
import { checkOptions } from './options.js'

export type Acks = 0 | 1 | -1 | 'all'

export interface ProducerOptions {
  acks?: Acks
  idempotent?: boolean
  lingerMs?: number
  /** Bytes of record data per partition batch before it is sent without waiting for linger. */
  batchSize?: number
  compression?: CompressionCodec
  retries?: number
  retryBackoffMs?: number
  partitioner?: PartitionerName | PartitionerFunction
  keySerializer?: Serializer
  valueSerializer?: Serializer
  clientId?: string
}

export type HeadersInput = Record<string, string | Uint8Array | null> | readonly { key: string; value: string | Uint8Array | null }[]

export interface ProducerRecord<K = unknown, V = unknown> {
  key?: K | null
  value: V | null
  partition?: number
  timestamp?: number
  headers?: HeadersInput
}

export interface RecordMetadata {
  topic: string
  partition: number
  /** -1 with acks 0: the producer does not wait to learn the offset. */
  offset: number
  timestamp: number
}

interface PendingBatch {
  topic: string
  partition: number
  records: RecordInput[]
  bytes: number
  /** One promise per batch, not per record: it resolves to the batch's base offset (-1 with acks 0). */
  done: Promise<number>
  resolve(baseOffset: number): void
  reject(error: unknown): void
  timer?: ReturnType<typeof setTimeout>
}

/** Where one record went: its batch and its index in it. */
interface Placement {
  batch: PendingBatch
  index: number
}

const PRODUCER_OPTION_KEYS = ['acks', 'idempotent', 'lingerMs', 'batchSize', 'compression', 'retries', 'retryBackoffMs', 'partitioner', 'keySerializer', 'valueSerializer', 'clientId']

export class Producer {
  private readonly acks: 0 | 1 | -1
  private readonly lingerMs: number
  private readonly batchSize: number
  private readonly compression: CompressionCodec
  private readonly retries: number
  private readonly retryBackoffMs: number
  private readonly partitioner: Partitioner
  private readonly keySerializer: Serializer
  private readonly valueSerializer: Serializer
  private readonly idempotent: boolean
  private producerId = -1
  private producerEpoch = -1
  private readonly sequences = new Map<string, number>()
  private readonly pending = new Map<string, PendingBatch>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private closed = false

  constructor(
    private readonly broker: Broker,
    options: ProducerOptions = {},
  ) {
    checkOptions('producer', options, PRODUCER_OPTION_KEYS)
    const acks = options.acks ?? 'all'
    if (acks !== 0 && acks !== 1 && acks !== -1 && acks !== 'all') throw new RangeError(`producer option acks must be 0, 1, -1 or 'all', got ${String(acks)}`)
    this.acks = acks === 'all' ? -1 : acks
    this.idempotent = options.idempotent ?? false
    if (this.idempotent && this.acks !== -1) throw new RangeError(`an idempotent producer needs acks 'all' (got ${String(acks)}), as in Kafka`)
    this.lingerMs = nonNegative('lingerMs', options.lingerMs ?? 0)
    this.batchSize = nonNegative('batchSize', options.batchSize ?? 16_384)
    this.compression = options.compression ?? 'none'
    if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(this.compression)) {
      throw new RangeError(`producer option compression must be none, gzip, snappy, lz4 or zstd, got ${String(this.compression)}`)
    }
    this.retries = nonNegative('retries', options.retries ?? 5)
    this.retryBackoffMs = nonNegative('retryBackoffMs', options.retryBackoffMs ?? 100)
    this.partitioner = createPartitioner(options.partitioner ?? 'default')
    this.keySerializer = options.keySerializer ?? 'bytes'
    this.valueSerializer = options.valueSerializer ?? 'bytes'
    if (this.idempotent) {
      const id = broker.initProducerId()
      this.producerId = id.producerId
      this.producerEpoch = id.producerEpoch
    }
  }

  /** Sends one record, or several (kafkajs style `{ topic, messages }` works too); resolves when acknowledged. */
  send(topic: string, record: ProducerRecord): Promise<RecordMetadata>
  send(topic: string, records: readonly ProducerRecord[]): Promise<RecordMetadata[]>
  send(request: { topic: string; messages: readonly ProducerRecord[] }): Promise<RecordMetadata[]>
  async send(
    topicOrRequest: string | { topic: string; messages: readonly ProducerRecord[] },
    recordOrRecords?: ProducerRecord | readonly ProducerRecord[],
  ): Promise<RecordMetadata | RecordMetadata[]> {
    if (this.closed) throw new Error('producer is closed')
    const topic = typeof topicOrRequest === 'string' ? topicOrRequest : topicOrRequest.topic
    const records = typeof topicOrRequest === 'string' ? recordOrRecords : topicOrRequest.messages
    if (typeof topic !== 'string' || topic.length === 0) throw new TypeError('send needs a topic name')
    if (records === undefined || records === null) throw new TypeError(`send to "${topic}" needs a record or an array of records`)
    // Known topics take the synchronous path: no await per send on the hot path.
    const partitionCount = this.broker.partitionCount(topic) ?? (await this.broker.ensureTopic(topic))
    if (!Array.isArray(records)) {
      const placement = this.place(topic, records as ProducerRecord, partitionCount)
      return metadataOf(placement, await placement.batch.done)
    }
    const placements = (records as readonly ProducerRecord[]).map((r) => this.place(topic, r, partitionCount))
    const baseOffsets = new Map<PendingBatch, number>()
    for (const { batch } of placements) if (!baseOffsets.has(batch)) baseOffsets.set(batch, await batch.done)
    return placements.map((placement) => metadataOf(placement, baseOffsets.get(placement.batch)!))
  }

  /** Serialises, partitions and appends one record to its partition's open batch. */
  private place(topic: string, record: ProducerRecord, partitionCount: number): Placement {
    if (record === null || typeof record !== 'object') throw new TypeError(`a record for "${topic}" must be an object with a value`)
    const key = serialize(record.key, this.keySerializer, `key of a record for "${topic}"`)
    const value = serialize(record.value, this.valueSerializer, `value of a record for "${topic}"`)
    let partition = record.partition
    if (partition === undefined) partition = this.partitioner.partition({ topic, key, partitionCount })
    else if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
      throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" has partitions 0..${partitionCount - 1}, not ${partition}`)
    }
    const timestamp = record.timestamp ?? Date.now()
    const headers = record.headers === undefined ? undefined : normaliseHeaders(record.headers)
    const slot = `${topic}\u0000${partition}`
    let batch = this.pending.get(slot)
    if (!batch) {
      batch = newBatch(topic, partition)
      this.pending.set(slot, batch)
    }
    const index = batch.records.length
    batch.records.push({ key, value, headers, timestamp })
    batch.bytes += sizeOf(key) + sizeOf(value) + 16
    if (batch.bytes >= this.batchSize) this.sendBatch(slot)
    else if (!batch.timer) batch.timer = setTimeout(() => this.sendBatch(slot), this.lingerMs)
    return { batch, index }
  }

  private sendBatch(slot: string): void {
    const batch = this.pending.get(slot)
    if (!batch) return
    this.pending.delete(slot)
    if (batch.timer) clearTimeout(batch.timer)
    this.partitioner.onNewBatch(batch.topic)
    const task = this.deliver(batch)
    this.inFlight.add(task)
    void task.finally(() => this.inFlight.delete(task))
  }

  private async deliver(batch: PendingBatch): Promise<void> {
    let bytes: Uint8Array
    try {
      if (this.compression === 'zstd') await zstdReady()
      bytes = encodeRecordBatch(batch.records, {
        compression: this.compression,
        baseTimestamp: batch.records[0].timestamp,
        ...(this.idempotent ? { producerId: this.producerId, producerEpoch: this.producerEpoch, baseSequence: this.nextSequence(batch) } : {}),
      })
    } catch (error) {
      batch.reject(error)
      return
    }
    if (this.acks === 0) {
      batch.resolve(-1)
      await this.broker.produce(batch.topic, batch.partition, bytes).catch(() => undefined)
      return
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.broker.produce(batch.topic, batch.partition, bytes)
        batch.resolve(result.baseOffset)
        return
      } catch (error) {
        const retriable = error instanceof KafkaError && error.retriable
        if (!retriable || attempt >= this.retries) {
          batch.reject(error)
          return
        }
        // Exponential backoff; the same bytes (same sequence) are resent, so the broker can drop a duplicate.
        await new Promise((r) => setTimeout(r, this.retryBackoffMs * 2 ** attempt))
      }
    }
  }

  private nextSequence(batch: PendingBatch): number {
    const slot = `${batch.topic}\u0000${batch.partition}`
    const sequence = this.sequences.get(slot) ?? 0
    this.sequences.set(slot, (sequence + batch.records.length) % 0x80000000)
    return sequence
  }

  /** Sends every pending batch now and waits until all are acknowledged. */
  async flush(): Promise<void> {
    for (const slot of [...this.pending.keys()]) this.sendBatch(slot)
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  async close(): Promise<void> {
    if (this.closed) return
    await this.flush()
    this.closed = true
  }
}

function newBatch(topic: string, partition: number): PendingBatch {
  let resolve!: (baseOffset: number) => void
  let reject!: (error: unknown) => void
  const done = new Promise<number>((res, rej) => {
    resolve = res
    reject = rej
  })
  // A batch nobody awaits any more (its sender gave up) must not become an unhandled rejection.
  done.catch(() => undefined)
  return { topic, partition, records: [], bytes: 0, done, resolve, reject }
}

function metadataOf({ batch, index }: Placement, baseOffset: number): RecordMetadata {
  return { topic: batch.topic, partition: batch.partition, offset: baseOffset < 0 ? -1 : baseOffset + index, timestamp: batch.records[index].timestamp! }
}

function normaliseHeaders(headers: HeadersInput | undefined): RecordInput['headers'] {
  if (!headers) return undefined
  if (Array.isArray(headers)) return headers as { key: string; value: string | Uint8Array | null }[]
  return Object.entries(headers as Record<string, string | Uint8Array | null>).map(([key, value]) => ({ key, value }))
}

function sizeOf(v: Uint8Array | string | null): number {
  return v === null ? 0 : v.length
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new RangeError(`producer option ${name} must be a non-negative number, got ${String(value)}`)
  return value
}
