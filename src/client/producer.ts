// The in-process producer: Kafka's producer semantics without a network hop.
// Records are serialised, partitioned, gathered per partition into batches
// (closed by `batchSize` bytes or `lingerMs`), encoded once as RecordBatch v2 —
// the bytes the log stores — and appended through the broker. Idempotence gives
// each batch a producer id, epoch and sequence, so a retried batch is never
// stored twice. With a transactionalId, sends happen inside transactions
// (transaction-manager.ts): every partition joins the open transaction before
// its first batch, and commit or abort ends them all at once.
import type { Broker } from '../broker/broker.js'
import { KafkaError } from '../broker/errors.js'
import { BATCH_HEADER_BYTES, type CompressionCodec } from '../log/batch-header.js'
import { encodeRecordColumns, type EncodeOptions, type RecordColumns, type RecordInput } from '../log/record-batch.js'
import { zstdReady } from '../log/compression/index.js'
import { createPartitioner, type Partitioner, type PartitionerFunction, type PartitionerName } from './partitioners.js'
import { serialize, type Serializer } from './serde.js'
import { checkOptions } from './options.js'
import { TransactionManager, type OffsetToCommit } from './transaction-manager.js'
import { TRANSACTION_TIMEOUT_MS_DEFAULT, type TransactionHandle } from '../broker/transactions/coordinator.js'

export type { OffsetToCommit, TransactionState } from './transaction-manager.js'
export { TransactionStateError } from './transaction-manager.js'
export type { TransactionHandle } from '../broker/transactions/coordinator.js'

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
  /**
   * Makes the producer transactional (implies idempotent and acks 'all'): call
   * initTransactions() once, then send inside beginTransaction() …
   * commitTransaction() / abortTransaction(). A new producer with the same id
   * fences this one.
   */
  transactionalId?: string
  /** An open transaction older than this is aborted by the broker (default 60 000 ms; at most 900 000). */
  transactionTimeoutMs?: number
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

/**
 * An open batch: its records as columns (no object per record), encoded in one
 * pass straight into the batch's final layout when it is sent. The column
 * arrays come from a pool and go back to it once the batch is encoded.
 */
interface PendingBatch extends RecordColumns {
  topic: string
  partition: number
  keys: (Uint8Array | string | null)[]
  values: (Uint8Array | string | null)[]
  timestamps: number[]
  /** Allocated when the first record with headers joins (earlier records get undefined). */
  headers: (RecordHeaders | undefined)[] | undefined
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

const PRODUCER_OPTION_KEYS = [
  'acks', 'idempotent', 'lingerMs', 'batchSize', 'compression', 'retries', 'retryBackoffMs', 'partitioner', 'keySerializer', 'valueSerializer', 'clientId', 'transactionalId', 'transactionTimeoutMs',
]

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
  /**
   * Buffers of sent batches, reused once the broker's append settled (the log
   * copies or writes a batch before then), so a batch costs no fresh allocation.
   * All have the same capacity: a header, batchSize and some slack.
   */
  private readonly bufferPool: Uint8Array[] = []
  /** How many buffers the pool keeps: BUFFER_POOL_BYTES_MAX of them at this producer's batch size (at least 4). */
  private readonly bufferPoolMax: number
  /** Bytes of each pooled buffer: a header, batchSize and BUFFER_SLACK_BYTES. */
  private readonly bufferCapacity: number
  /** Column arrays of encoded batches, for the next batches to fill (no per-batch array growth). */
  private readonly columnPool: Columns[] = []
  /** placeAll's per-call working columns (it never awaits, so one set serves every call). */
  private readonly scratch: Columns = { keys: [], values: [], timestamps: [] }
  private readonly inFlight = new Set<Promise<unknown>>()
  private closed = false
  /** Set for a transactional producer. */
  private readonly transaction: TransactionManager | undefined

  constructor(
    private readonly broker: Broker,
    options: ProducerOptions = {},
  ) {
    checkOptions('producer', options, PRODUCER_OPTION_KEYS)
    const acks = options.acks ?? 'all'
    if (acks !== 0 && acks !== 1 && acks !== -1 && acks !== 'all') throw new RangeError(`producer option acks must be 0, 1, -1 or 'all', got ${String(acks)}`)
    this.acks = acks === 'all' ? -1 : acks
    const transactionalId = options.transactionalId
    if (transactionalId !== undefined) {
      if (typeof transactionalId !== 'string' || transactionalId === '') throw new TypeError(`producer option transactionalId must be a non-empty string, got ${JSON.stringify(transactionalId)}`)
      if (options.idempotent === false) throw new RangeError('a transactional producer is idempotent: idempotent: false cannot go with a transactionalId')
      const timeoutMs = options.transactionTimeoutMs ?? TRANSACTION_TIMEOUT_MS_DEFAULT
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`producer option transactionTimeoutMs must be a positive integer, got ${String(timeoutMs)}`)
      this.transaction = new TransactionManager(broker, transactionalId, timeoutMs)
    } else if (options.transactionTimeoutMs !== undefined) {
      throw new RangeError('producer option transactionTimeoutMs needs a transactionalId')
    }
    this.idempotent = options.idempotent ?? this.transaction !== undefined
    if (this.idempotent && this.acks !== -1) throw new RangeError(`an idempotent producer needs acks 'all' (got ${String(acks)}), as in Kafka`)
    this.lingerMs = nonNegative('lingerMs', options.lingerMs ?? 0)
    this.batchSize = nonNegative('batchSize', options.batchSize ?? 16_384)
    this.bufferCapacity = BATCH_HEADER_BYTES + this.batchSize + BUFFER_SLACK_BYTES
    this.bufferPoolMax = Math.max(4, Math.floor(BUFFER_POOL_BYTES_MAX / this.bufferCapacity))
    this.compression = options.compression ?? 'none'
    if (!['none', 'gzip', 'snappy', 'lz4', 'zstd'].includes(this.compression)) {
      throw new RangeError(`producer option compression must be none, gzip, snappy, lz4 or zstd, got ${String(this.compression)}`)
    }
    this.retries = nonNegative('retries', options.retries ?? 5)
    this.retryBackoffMs = nonNegative('retryBackoffMs', options.retryBackoffMs ?? 100)
    this.partitioner = createPartitioner(options.partitioner ?? 'default')
    this.keySerializer = options.keySerializer ?? 'bytes'
    this.valueSerializer = options.valueSerializer ?? 'bytes'
    if (this.idempotent && this.transaction === undefined) {
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
    this.transaction?.assertCanSend(topic)
    // Known topics take the synchronous path: no await per send on the hot path.
    const partitionCount = this.broker.partitionCount(topic) ?? (await this.broker.ensureTopic(topic))
    if (!Array.isArray(records)) {
      const placed = this.placeAll(topic, [records as ProducerRecord], partitionCount)
      const batch = placed.batches[0]
      return metadataOf(batch, placed.indexes[0], await batch.done, placed.timestamps?.[0] ?? placed.now)
    }
    const list = records as readonly ProducerRecord[]
    const { batches, indexes, distinct, timestamps, now } = this.placeAll(topic, list, partitionCount)
    // One await per batch, not per record.
    for (const batch of distinct) batch.baseOffset = await batch.done
    const out: RecordMetadata[] = new Array(list.length)
    for (let i = 0; i < list.length; i++) out[i] = metadataOf(batches[i], indexes[i], batches[i].baseOffset!, timestamps === undefined ? now : timestamps[i])
    return out
  }

  /**
   * Serialises and partitions every record (the default partitioner hashes all
   * keys in one pass), then appends each to its partition's open batch: a slot
   * in its columns, no object per record. Nothing is placed if any record is
   * invalid.
   */
  private placeAll(topic: string, records: readonly ProducerRecord[], partitionCount: number): Placed {
    const n = records.length
    const now = Date.now()
    const keys: (Uint8Array | string | null)[] = new Array(n)
    const { values, timestamps } = this.scratch
    /** Each record's timestamp for its metadata, kept only when some record brought its own. */
    let ownTimestamps: number[] | undefined
    let headersList: (RecordHeaders | undefined)[] | undefined
    let keyed = true
    // For error messages only: built once per call, not once per record.
    const keyWhat = `key of a record for "${topic}"`
    const valueWhat = `value of a record for "${topic}"`
    const bytesKeys = this.keySerializer === 'bytes'
    const bytesValues = this.valueSerializer === 'bytes'
    for (let i = 0; i < n; i++) {
      const record = records[i]
      if (record === null || typeof record !== 'object') throw new TypeError(`a record for "${topic}" must be an object with a value`)
      // The bytes serializer (the default) passes byte arrays, strings and null through: inline, without the call.
      const rawKey = record.key
      const key = rawKey === null || rawKey === undefined ? null : bytesKeys && (typeof rawKey === 'string' || rawKey instanceof Uint8Array) ? rawKey : serialize(rawKey, this.keySerializer, keyWhat)
      const rawValue = record.value
      const value =
        rawValue === null || rawValue === undefined ? null : bytesValues && (typeof rawValue === 'string' || rawValue instanceof Uint8Array) ? rawValue : serialize(rawValue, this.valueSerializer, valueWhat)
      const partition = record.partition
      if (partition !== undefined && (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount)) {
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${topic}" has partitions 0..${partitionCount - 1}, not ${partition}`)
      }
      if (key === null) keyed = false
      keys[i] = key
      values[i] = value
      const timestamp = record.timestamp
      if (timestamp === undefined) timestamps[i] = now
      else {
        timestamps[i] = timestamp
        if (ownTimestamps === undefined) ownTimestamps = new Array(n).fill(now)
        ownTimestamps[i] = timestamp
      }
      if (record.headers !== undefined) {
        headersList ??= new Array(n)
        headersList[i] = normaliseHeaders(record.headers)
      }
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
      let partition = records[i].partition
      if (partition === undefined) partition = hashed !== undefined ? hashed[i] : this.partitioner.partition({ topic, key: keys[i], partitionCount })
      let batch = slots[partition]
      if (batch === undefined) {
        batch = newBatch(topic, partition, this.columnPool.pop())
        slots[partition] = batch
        this.lingering.push(batch)
        if (this.lingerTimer === undefined) this.armLinger(this.lingerMs)
      }
      if (batch.sendMark !== mark) {
        batch.sendMark = mark
        distinct.push(batch)
      }
      const key = keys[i]
      const value = values[i]
      const index = batch.count++
      batches[i] = batch
      indexes[i] = index
      batch.keys[index] = key
      batch.values[index] = value
      batch.timestamps[index] = timestamps[i]
      const headers = headersList === undefined ? undefined : headersList[i]
      if (headers !== undefined || batch.headers !== undefined) {
        if (batch.headers === undefined) batch.headers = new Array(index).fill(undefined)
        batch.headers.push(headers)
      }
      batch.bytes += sizeOf(key) + sizeOf(value) + 16
      if (batch.bytes >= this.batchSize) this.sendBatch(batch)
    }
    // Drop the working references, so the scratch columns keep no record alive.
    values.fill(null, 0, n)
    return { batches, indexes, distinct, timestamps: ownTimestamps, now }
  }

  /** One timer per producer, not one per batch: it sends every batch whose linger has passed. */
  private armLinger(delayMs: number): void {
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined
      const now = performance.now()
      // Timers fire on whole milliseconds, so the next one cannot come sooner than TIMER_STEP_MS from now: a batch
      // due before then goes now, rather than a whole timer step past its linger (and past "lingerMs at the latest").
      while (this.lingering.length > 0) {
        const oldest = this.lingering[0]
        if (oldest.sent) {
          this.lingering.shift()
          continue
        }
        if (oldest.openedAt + this.lingerMs > now + TIMER_STEP_MS) break
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
    let pooled: Uint8Array | undefined
    try {
      if (this.compression === 'zstd') await zstdReady()
      const options: EncodeOptions = { compression: this.compression, baseTimestamp: batch.timestamps[0] }
      if (this.transaction !== undefined) {
        // The partition joins the transaction before its first batch is sent (AddPartitionsToTxn).
        await this.transaction.addPartition(batch.topic, batch.partition)
        options.transactional = true
      }
      if (this.idempotent) {
        options.producerId = this.producerId
        options.producerEpoch = this.producerEpoch
        options.baseSequence = this.nextSequence(batch)
      }
      bytes = encodeRecordColumns(
        batch,
        options,
        (size) => {
          pooled = this.takeBuffer(size)
          return pooled === undefined ? new Uint8Array(size) : pooled.subarray(0, size)
        },
      )
    } catch (error) {
      this.releaseColumns(batch)
      this.releaseBuffer(pooled)
      this.failBatch(batch, error)
      return
    }
    this.releaseColumns(batch)
    try {
      await this.produce(batch, bytes)
    } finally {
      // The broker's append has settled: the log copied or wrote the bytes and holds no reference to them.
      this.releaseBuffer(pooled)
    }
  }

  /** A pooled buffer that holds `size` bytes, or undefined when none fits (an oversize batch is allocated apart). */
  private takeBuffer(size: number): Uint8Array | undefined {
    if (size > this.bufferCapacity) return undefined
    return this.bufferPool.pop() ?? new Uint8Array(this.bufferCapacity)
  }

  private releaseBuffer(pooled: Uint8Array | undefined): void {
    if (pooled !== undefined && this.bufferPool.length < this.bufferPoolMax) this.bufferPool.push(pooled)
  }

  /** Rejects the batch; inside a transaction, the transaction becomes abortable (or fenced) first. */
  private failBatch(batch: PendingBatch, error: unknown): void {
    batch.reject(this.transaction === undefined ? error : this.transaction.fail(error))
  }

  /** Appends the encoded batch through the broker, with retries, and settles the batch's promise. */
  private async produce(batch: PendingBatch, bytes: Uint8Array): Promise<void> {
    if (this.acks === 0) {
      batch.resolve(-1)
      await this.broker.produce(batch.topic, batch.partition, bytes, SEALED_HERE).catch(() => undefined)
      return
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.broker.produce(batch.topic, batch.partition, bytes, SEALED_HERE)
        batch.resolve(result.baseOffset)
        return
      } catch (error) {
        const retriable = error instanceof KafkaError && error.retriable
        if (!retriable || attempt >= this.retries) {
          this.failBatch(batch, error)
          return
        }
        // Exponential backoff; the same bytes (same sequence) are resent, so the broker can drop a duplicate.
        await new Promise((r) => setTimeout(r, this.retryBackoffMs * 2 ** attempt))
      }
    }
  }

  /** Returns an encoded batch's column arrays to the pool, holding no record. */
  private releaseColumns(batch: PendingBatch): void {
    const { keys, values, timestamps, count } = batch
    batch.keys = batch.values = batch.timestamps = EMPTY_COLUMN
    batch.headers = undefined
    if (keys === EMPTY_COLUMN || this.columnPool.length >= COLUMN_POOL_MAX || keys.length > COLUMN_POOLED_RECORDS_MAX) return
    keys.fill(null, 0, count)
    values.fill(null, 0, count)
    this.columnPool.push({ keys, values, timestamps })
  }

  // ------------------------------------------------------------------ transactions

  /**
   * Registers the transactionalId with the broker: gets the producer id and a
   * new epoch, which fences every older producer of the same id and aborts its
   * open transaction. Call once, before the first transaction.
   */
  async initTransactions(): Promise<void> {
    const manager = this.transactional('initTransactions')
    await this.flush()
    const id = await manager.init()
    this.producerId = id.producerId
    this.producerEpoch = id.producerEpoch
    // A new epoch starts every partition's sequence at 0.
    this.sequences.clear()
  }

  beginTransaction(): void {
    this.transactional('beginTransaction').begin()
  }

  /**
   * Commits a consumer group's offsets with the open transaction: they become
   * the group's committed offsets only if the transaction commits. `offset` is
   * the next offset to consume, as in Kafka.
   */
  async sendOffsetsToTransaction(offsets: readonly OffsetToCommit[], groupId: string | { groupId: string }): Promise<void> {
    const manager = this.transactional('sendOffsetsToTransaction')
    await manager.sendOffsets(offsets, typeof groupId === 'string' ? groupId : groupId?.groupId)
  }

  /** Sends what is pending, then commits: every record of the transaction becomes visible to read_committed readers at once. */
  async commitTransaction(): Promise<void> {
    const manager = this.transactional('commitTransaction')
    if (manager.state === 'in-transaction') await this.flush()
    await manager.commit()
  }

  /** Waits for what is in flight, then aborts: read_committed readers never see the transaction's records. */
  async abortTransaction(): Promise<void> {
    const manager = this.transactional('abortTransaction')
    await this.flush()
    await manager.abort()
  }

  /**
   * Two-phase commit, phase one: sends what is pending and returns a handle
   * naming the open transaction (transactional id, producer id, epoch and
   * transaction number), or undefined when nothing was written in it. The
   * transaction stays open; commitTransaction() commits it, or — after a
   * crash — a new producer's commitPreparedTransaction(handle).
   */
  async prepareTransaction(): Promise<TransactionHandle | undefined> {
    const manager = this.transactional('prepareTransaction')
    await this.flush()
    return manager.handle()
  }

  /**
   * Commits a transaction an earlier producer of this transactionalId
   * prepared and could not commit (it crashed). Call before
   * initTransactions(): that would abort it. Only the exact transaction the
   * handle names is committed; one already committed is fine
   * ('already-committed'); one that was aborted throws.
   */
  async commitPreparedTransaction(handle: TransactionHandle): Promise<'committed' | 'already-committed'> {
    return this.transactional('commitPreparedTransaction').completePrepared(handle)
  }

  /** 'uninitialized', 'ready', 'in-transaction', 'abortable' or 'fenced'; undefined without a transactionalId. */
  transactionState(): TransactionManager['state'] | undefined {
    return this.transaction?.state
  }

  private transactional(what: string): TransactionManager {
    if (this.closed) throw new Error('producer is closed')
    if (this.transaction === undefined) throw new TypeError(`${what} needs a producer created with a transactionalId`)
    return this.transaction
  }

  private nextSequence(batch: PendingBatch): number {
    const slot = `${batch.topic}\u0000${batch.partition}`
    const sequence = this.sequences.get(slot) ?? 0
    this.sequences.set(slot, (sequence + batch.count) % 0x80000000)
    return sequence
  }

  /** Sends every pending batch now and waits until all are acknowledged. */
  async flush(): Promise<void> {
    for (const batch of this.lingering.splice(0)) this.sendBatch(batch)
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer)
    this.lingerTimer = undefined
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Sends what is pending; a transaction still open is aborted (its records never become visible). */
  async close(): Promise<void> {
    if (this.closed) return
    await this.flush()
    const state = this.transaction?.state
    if (state === 'in-transaction' || state === 'abortable') await this.transaction!.abort().catch(() => undefined)
    this.closed = true
  }
}

interface Columns {
  keys: (Uint8Array | string | null)[]
  values: (Uint8Array | string | null)[]
  timestamps: number[]
}

/** What placeAll tells send(): each record's batch and index in it, and the timestamps for its metadata. */
interface Placed {
  batches: PendingBatch[]
  indexes: Int32Array
  /** The batches this call placed records in, each once. */
  distinct: PendingBatch[]
  /** Per record, when some record brought its own timestamp; otherwise every record took `now`. */
  timestamps: number[] | undefined
  now: number
}

/**
 * Every batch this producer hands the broker was just encoded by it (the CRC
 * computed over exactly these bytes, which stay private to it until the append
 * settles), so the log need not compute the CRC a second time on append.
 */
const SEALED_HERE = Object.freeze({ crcSealedInProcess: true })
/** Node's timer resolution: a timer armed now fires no sooner than this (setTimeout rounds below 1 ms up to 1 ms). */
const TIMER_STEP_MS = 1
/**
 * Bytes of pooled batch buffers kept at most (like Kafka's buffer.memory, though
 * only idle buffers count), and the room each has past a header and batchSize
 * (the record that closed the batch). The pool must cover the batches in
 * flight at a busy moment, or every peak allocates afresh: 64 buffers did not
 * cover 4 sends of 2000 records in flight (a fifth of the batches allocated).
 */
const BUFFER_POOL_BYTES_MAX = 4 * 1024 * 1024
const BUFFER_SLACK_BYTES = 1024
/** Pooled column sets kept at most, and the longest columns worth keeping. */
const COLUMN_POOL_MAX = 256
const COLUMN_POOLED_RECORDS_MAX = 65_536
/** The columns of a batch already encoded (frozen: a stray write would throw rather than leak between batches). */
const EMPTY_COLUMN = Object.freeze([]) as unknown as never[]

function newBatch(topic: string, partition: number, columns: Columns | undefined): PendingBatch {
  let resolve!: (baseOffset: number) => void
  let reject!: (error: unknown) => void
  const done = new Promise<number>((res, rej) => {
    resolve = res
    reject = rej
  })
  // A batch nobody awaits any more (its sender gave up) must not become an unhandled rejection.
  done.catch(() => undefined)
  return {
    topic,
    partition,
    count: 0,
    keys: columns?.keys ?? [],
    values: columns?.values ?? [],
    timestamps: columns?.timestamps ?? [],
    headers: undefined,
    bytes: 0,
    done,
    resolve,
    reject,
    openedAt: performance.now(),
    sendMark: 0,
    sent: false,
    baseOffset: undefined,
  }
}

function metadataOf(batch: PendingBatch, index: number, baseOffset: number, timestamp: number): RecordMetadata {
  return { topic: batch.topic, partition: batch.partition, offset: baseOffset < 0 ? -1 : baseOffset + index, timestamp }
}

type RecordHeaders = NonNullable<RecordInput['headers']>

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
