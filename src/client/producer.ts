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
  /** performance.now() when the batch opened; it is sent by lingerMs after that at the latest. */
  openedAt: number
  /** The send() call that last placed a record here (to collect each call's batches without a Map). */
  sendMark: number
  sent: boolean
  /** Set once `done` resolved, for the send() calls that collect metadata. */
  baseOffset: number | undefined
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
  /** Open batches per topic, indexed by partition. */
  private readonly pending = new Map<string, (PendingBatch | undefined)[]>()
  /** Open batches in the order they opened: the linger timer sends them oldest first. */
  private lingering: PendingBatch[] = []
  private lingerTimer: ReturnType<typeof setTimeout> | undefined
  private sendMarks = 0
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
      const one = [records as ProducerRecord]
      const placed = this.placeAll(topic, one, partitionCount)
      return metadataOf(placed.batches[0], placed.indexes[0], await placed.batches[0].done)
    }
    const list = records as readonly ProducerRecord[]
    const { batches, indexes, distinct } = this.placeAll(topic, list, partitionCount)
    // One await per batch, not per record.
    for (const batch of distinct) batch.baseOffset = await batch.done
    const out: RecordMetadata[] = new Array(list.length)
    for (let i = 0; i < list.length; i++) out[i] = metadataOf(batches[i], indexes[i], batches[i].baseOffset!)
    return out
  }

  /**
   * Serialises and partitions every record (the default partitioner hashes all
   * keys in one Wasm call), then appends each to its partition's open batch.
   * Nothing is placed if any record is invalid.
   */
  private placeAll(topic: string, records: readonly ProducerRecord[], partitionCount: number): { batches: PendingBatch[]; indexes: Int32Array; distinct: PendingBatch[] } {
    const n = records.length
    const now = Date.now()
    const inputs: RecordInput[] = new Array(n)
    const keys: (Uint8Array | string | null)[] = new Array(n)
    let keyed = true
    for (let i = 0; i < n; i++) {
      const record = records[i]
      if (record === null || typeof record !== 'object') throw new TypeError(`a record for "${topic}" must be an object with a value`)
      const key = serialize(record.key, this.keySerializer, `key of a record for "${topic}"`)
      const value = serialize(record.value, this.valueSerializer, `value of a record for "${topic}"`)
      const partition = record.partition
      if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount)) {
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" has partitions 0..${partitionCount - 1}, not ${partition}`)
      }
      if (key === null) keyed = false
      keys[i] = key
      const headers = record.headers === undefined ? undefined : normaliseHeaders(record.headers)
      inputs[i] = { key, value, headers, timestamp: record.timestamp ?? now }
    }
    // Keyless records go through the partitioner one by one: the sticky choice changes as batches close.
    const hashed = keyed && n > 1 ? this.partitioner.partitionMany?.(topic, keys as (Uint8Array | string)[], partitionCount) : undefined
    let slots = this.pending.get(topic)
    if (slots === undefined) {
      slots = new Array(partitionCount)
      this.pending.set(topic, slots)
    }
    const mark = ++this.sendMarks
    const batches: PendingBatch[] = new Array(n)
    const indexes = new Int32Array(n)
    const distinct: PendingBatch[] = []
    for (let i = 0; i < n; i++) {
      const input = inputs[i]
      let partition = records[i].partition
      if (partition === undefined) partition = hashed !== undefined ? hashed[i] : this.partitioner.partition({ topic, key: keys[i], partitionCount })
      let batch = slots[partition]
      if (batch === undefined) {
        batch = newBatch(topic, partition)
        slots[partition] = batch
        this.lingering.push(batch)
        if (this.lingerTimer === undefined) this.armLinger(this.lingerMs)
      }
      if (batch.sendMark !== mark) {
        batch.sendMark = mark
        distinct.push(batch)
      }
      batches[i] = batch
      indexes[i] = batch.records.length
      batch.records.push(input)
      batch.bytes += sizeOf(input.key!) + sizeOf(input.value) + 16
      if (batch.bytes >= this.batchSize) this.sendBatch(batch)
    }
    return { batches, indexes, distinct }
  }

  /** One timer per producer, not one per batch: it sends every batch whose linger has passed. */
  private armLinger(delayMs: number): void {
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined
      const now = performance.now()
      // Timers fire on whole milliseconds; a batch due within the next 0.5 ms goes now rather than after another tick.
      while (this.lingering.length > 0) {
        const oldest = this.lingering[0]
        if (oldest.sent) {
          this.lingering.shift()
          continue
        }
        if (oldest.openedAt + this.lingerMs > now + 0.5) break
        this.sendBatch(oldest)
      }
      // Drop batches already sent (by size) so the queue stays short.
      if (this.lingering.length > 0) this.lingering = this.lingering.filter((b) => !b.sent)
      if (this.lingering.length > 0) this.armLinger(Math.max(0, this.lingering[0].openedAt + this.lingerMs - now))
    }, delayMs)
  }

  private sendBatch(batch: PendingBatch): void {
    if (batch.sent) return
    batch.sent = true
    const slots = this.pending.get(batch.topic)
    if (slots !== undefined && slots[batch.partition] === batch) slots[batch.partition] = undefined
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
    for (const batch of this.lingering.splice(0)) this.sendBatch(batch)
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
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
  return { topic, partition, records: [], bytes: 0, done, resolve, reject, openedAt: performance.now(), sendMark: 0, sent: false, baseOffset: undefined }
}

function metadataOf(batch: PendingBatch, index: number, baseOffset: number): RecordMetadata {
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
