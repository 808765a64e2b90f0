// The in-process consumer: Kafka's consumer semantics over the embedded broker.
// It joins its group through the same coordinator wire clients use (metadata
// and assignments are the consumer protocol's bytes), so in-process and Kafka-
// protocol members can share a group. Rebalances follow the chosen assignor's
// protocol: eager (revoke all, rejoin) or cooperative (revoke only what moves).
//
// Concurrency: one event loop; `poll` calls must not overlap (the async
// iterator serialises them). Heartbeats run on a timer, as Kafka's heartbeat
// thread does, and interrupt a waiting poll when the group starts rebalancing.
import type { Broker, FetchRequest, IsolationLevel } from '../broker/broker.js'
import type { AbortedTransaction } from '../broker/transactions/partition-transactions.js'
import { readMarkerKind } from '../broker/transactions/control-record.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '../broker/broker.js'
import { KafkaError, KafkaErrors } from '../broker/errors.js'
import { ASSIGNOR_NAMES, createAssignor, tpKey, type AssignorName, type PartitionAssignor, type TopicPartition } from '../broker/assignors/index.js'
import { memberChanges } from '../broker/assignors/changes.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../broker/group/consumer-protocol.js'
import { wholeBatchSizeAt } from '../log/batch-header.js'
import { decodeRecordBatch, type DecodedBatch } from '../log/record-batch.js'
import { deserialize, type Deserializer } from './serde.js'
import { checkOptions } from './options.js'

export interface RebalanceListener {
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>
  /** Partitions taken away without a chance to commit (the member was expelled). */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>
}

export interface ConsumerOptions {
  groupId?: string
  groupInstanceId?: string
  clientId?: string
  autoOffsetReset?: 'earliest' | 'latest' | 'none'
  enableAutoCommit?: boolean
  autoCommitIntervalMs?: number
  sessionTimeoutMs?: number
  heartbeatIntervalMs?: number
  maxPollIntervalMs?: number
  maxPollRecords?: number
  fetchMaxWaitMs?: number
  fetchMaxBytes?: number
  maxPartitionFetchBytes?: number
  assignor?: AssignorName | readonly AssignorName[]
  keyDeserializer?: Deserializer
  valueDeserializer?: Deserializer
  rebalanceListener?: RebalanceListener
  /**
   * 'read_committed' (the default, as librdkafka and kafkajs): read up to the
   * last stable offset and never return records of aborted transactions.
   * 'read_uncommitted' (the Java client's default): read to the high
   * watermark, aborted and open transactions included. Transaction markers
   * (control records) are never returned in either mode.
   */
  isolation?: IsolationLevel
}

export interface ConsumerRecord<K = unknown, V = unknown> {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: K
  value: V
  headers: Record<string, Uint8Array | null>
}

/**
 * One fetched batch as columns, from `pollBatches()`: records `start` to `end`
 * (exclusive) of `batch` are the ones this poll hands over (earlier ones were
 * consumed before). Offsets, timestamps, keys and values are read straight from
 * the columns (`batch.offsets[i]`, `batch.key(i)`, …): no object per record.
 */
export interface ConsumerBatch {
  topic: string
  partition: number
  batch: DecodedBatch
  start: number
  end: number
}

/** A record as poll() returns it; a class, so every record has one fixed shape. */
class PolledRecord<K, V> implements ConsumerRecord<K, V> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly timestamp: number,
    readonly key: K,
    readonly value: V,
    readonly headers: Record<string, Uint8Array | null>,
  ) {}
}

/** A fetched batch not yet fully handed over: `next` is the first record still to poll. */
interface BufferedBatch {
  topic: string
  partition: number
  key: string
  batch: DecodedBatch
  next: number
  /** Where the position goes once this batch is consumed, when skipped batches (markers, aborted data) follow it. */
  positionAfter?: number
}

export interface PollOptions {
  maxRecords?: number
  timeoutMs?: number
}

const CONSUMER_OPTION_KEYS = [
  'groupId', 'groupInstanceId', 'clientId', 'autoOffsetReset', 'enableAutoCommit', 'autoCommitIntervalMs', 'sessionTimeoutMs', 'heartbeatIntervalMs',
  'maxPollIntervalMs', 'maxPollRecords', 'fetchMaxWaitMs', 'fetchMaxBytes', 'maxPartitionFetchBytes', 'assignor', 'keyDeserializer', 'valueDeserializer', 'rebalanceListener',
  'isolation',
]

/** No committed offset and autoOffsetReset 'none'. */
export class NoOffsetForPartitionError extends Error {
  override name = 'NoOffsetForPartitionError'
}

export class Consumer<K = unknown, V = unknown> implements AsyncIterable<ConsumerRecord<K, V>> {
  private readonly options: Required<Omit<ConsumerOptions, 'groupId' | 'groupInstanceId' | 'rebalanceListener' | 'assignor'>>
  private readonly isolation: IsolationLevel
  private readonly groupId?: string
  private readonly groupInstanceId?: string
  private readonly assignors: PartitionAssignor[]
  private readonly listener: RebalanceListener
  private subscription: string[] | RegExp | undefined
  private manual = false
  private assigned: TopicPartition[] = []
  /** tpKey of each assigned partition, for the `assigned` array it was built from (that array is replaced, never changed). */
  private assignedKeysOf: TopicPartition[] | undefined
  private assignedKeys: string[] = []
  private assignedKeySet = new Set<string>()
  private readonly positions = new Map<string, number>()
  private readonly paused = new Set<string>()
  /** Fetched batches in fetch order; `bufferHead` is the first one with records left. */
  private buffer: BufferedBatch[] = []
  private bufferHead = 0
  private memberId = ''
  private generationId = -1
  private protocol: PartitionAssignor | undefined
  private needsJoin = false
  private heartbeatTimer?: ReturnType<typeof setInterval>
  private autoCommitTimer?: ReturnType<typeof setInterval>
  private lastPollMs = Date.now()
  private wakeup = new AbortController()
  private closed = false
  private joinedTopics: string[] = []
  private joining: Promise<void> | undefined
  private groupError: unknown
  /** An assignment synced in the background, applied (with its callbacks) inside the next poll, as in Kafka. */
  private pendingAssignment: TopicPartition[] | undefined
  /** The coordinator forgot this member: its partitions are lost (onPartitionsLost) inside the next poll. */
  private memberLost = false

  constructor(
    private readonly broker: Broker,
    options: ConsumerOptions = {},
  ) {
    checkOptions('consumer', options, CONSUMER_OPTION_KEYS)
    this.groupId = options.groupId
    this.groupInstanceId = options.groupInstanceId
    const reset = options.autoOffsetReset ?? 'latest'
    if (!['earliest', 'latest', 'none'].includes(reset)) throw new RangeError(`consumer option autoOffsetReset must be 'earliest', 'latest' or 'none', got ${String(reset)}`)
    const isolation = options.isolation ?? 'read_committed'
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new RangeError(`consumer option isolation must be 'read_committed' or 'read_uncommitted', got ${String(isolation)}`)
    this.isolation = isolation
    this.options = {
      clientId: options.clientId ?? 'eddy-consumer',
      autoOffsetReset: reset,
      enableAutoCommit: options.enableAutoCommit ?? this.groupId !== undefined,
      autoCommitIntervalMs: positive('autoCommitIntervalMs', options.autoCommitIntervalMs ?? 5000),
      sessionTimeoutMs: positive('sessionTimeoutMs', options.sessionTimeoutMs ?? 10_000),
      heartbeatIntervalMs: positive('heartbeatIntervalMs', options.heartbeatIntervalMs ?? 3000),
      maxPollIntervalMs: positive('maxPollIntervalMs', options.maxPollIntervalMs ?? 300_000),
      maxPollRecords: positive('maxPollRecords', options.maxPollRecords ?? 500),
      fetchMaxWaitMs: positive('fetchMaxWaitMs', options.fetchMaxWaitMs ?? 500),
      fetchMaxBytes: positive('fetchMaxBytes', options.fetchMaxBytes ?? 52_428_800),
      maxPartitionFetchBytes: positive('maxPartitionFetchBytes', options.maxPartitionFetchBytes ?? 1_048_576),
      keyDeserializer: options.keyDeserializer ?? 'string',
      valueDeserializer: options.valueDeserializer ?? 'string',
      isolation,
    }
    if (this.options.enableAutoCommit && !this.groupId) throw new RangeError('enableAutoCommit needs a groupId')
    const names = options.assignor === undefined ? ['range'] : Array.isArray(options.assignor) ? options.assignor : [options.assignor]
    if (names.length === 0) throw new RangeError(`consumer option assignor needs at least one of ${ASSIGNOR_NAMES.join(', ')}`)
    this.assignors = (names as AssignorName[]).map((n) => createAssignor(n))
    this.listener = options.rebalanceListener ?? {}
  }

  // ------------------------------------------------------------------ subscription

  /** Subscribes to topics by name or pattern; partitions come from the group. */
  async subscribe(topics: readonly string[] | RegExp): Promise<void> {
    this.assertOpen()
    if (!this.groupId) throw new RangeError('subscribe needs a groupId; use assign() for a consumer without a group')
    if (this.manual) throw new Error('this consumer uses assign(); subscribe and assign cannot be mixed')
    if (!(topics instanceof RegExp)) {
      if (!Array.isArray(topics) || topics.length === 0) throw new TypeError('subscribe takes a non-empty array of topic names or a RegExp')
      for (const t of topics) await this.broker.ensureTopic(t)
    }
    this.subscription = topics instanceof RegExp ? topics : [...topics]
    this.needsJoin = true
    this.startTimers()
  }

  /** Takes partitions directly, without a group (positions start from committed offsets if a groupId is set). */
  assign(partitions: readonly TopicPartition[]): void {
    this.assertOpen()
    if (this.subscription) throw new Error('this consumer uses subscribe(); subscribe and assign cannot be mixed')
    for (const tp of partitions) {
      const count = this.broker.partitionCount(tp.topic)
      if (count === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${tp.topic}"`)
      if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) {
        throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `topic "${tp.topic}" has partitions 0..${count - 1}, not ${tp.partition}`)
      }
    }
    this.manual = true
    this.assigned = partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition }))
    const keep = new Set(this.assigned.map(tpKey))
    for (const key of [...this.positions.keys()]) if (!keep.has(key)) this.positions.delete(key)
    this.dropBuffered((b) => !keep.has(b.key))
    this.startTimers()
  }

  assignment(): TopicPartition[] {
    return this.assigned.map((tp) => ({ ...tp }))
  }

  private subscribedTopics(): string[] {
    if (this.subscription instanceof RegExp) {
      const pattern = this.subscription
      return this.broker.topics.list().filter((t) => !t.startsWith('__') && pattern.test(t)).sort()
    }
    return [...(this.subscription ?? [])].sort()
  }

  // ------------------------------------------------------------------ polling

  /** Returns up to maxRecords records, waiting up to timeoutMs for the first. */
  async poll(options: PollOptions = {}): Promise<ConsumerRecord<K, V>[]> {
    const maxRecords = options.maxRecords ?? this.options.maxPollRecords
    await this.awaitRecords(options.timeoutMs ?? 0)
    // Sized up front: no growth (and no copies) of the array while it fills.
    let available = 0
    for (let j = this.bufferHead; j < this.buffer.length && available < maxRecords; j++) available += this.buffer[j].batch.count - this.buffer[j].next
    const out: ConsumerRecord<K, V>[] = new Array(Math.max(0, Math.min(available, maxRecords)))
    let n = 0
    const { keyDeserializer, valueDeserializer } = this.options
    const bytesKeys = keyDeserializer === 'bytes'
    const bytesValues = valueDeserializer === 'bytes'
    while (n < maxRecords && this.bufferHead < this.buffer.length) {
      const b = this.buffer[this.bufferHead]
      const { batch, topic, partition } = b
      const end = Math.min(batch.count, b.next + (maxRecords - n))
      const offsets = batch.offsets
      const timestamps = batch.timestamps
      const headerCounts = batch.headerCounts
      const { keyStarts, keyLengths, valueStarts, valueLengths } = batch
      // Views made with the constructor cost half what subarray does (no species lookup); the same
      // views as batch.key(i) / batch.value(i), which serve any other kind of byte array.
      const bytes = batch.bytes
      const plain = Object.getPrototypeOf(bytes) === Uint8Array.prototype
      const buffer = bytes.buffer
      const base = bytes.byteOffset
      for (let i = b.next; i < end; i++) {
        const offset = offsets[i]
        const keyLength = keyLengths[i]
        const keyBytes = keyLength < 0 ? null : plain ? new Uint8Array(buffer, base + keyStarts[i], keyLength) : batch.key(i)
        const valueLength = valueLengths[i]
        const valueBytes = valueLength < 0 ? null : plain ? new Uint8Array(buffer, base + valueStarts[i], valueLength) : batch.value(i)
        const key = bytesKeys ? keyBytes : deserializeAt(keyBytes, keyDeserializer, topic, partition, offset)
        const value = bytesValues ? valueBytes : deserializeAt(valueBytes, valueDeserializer, topic, partition, offset)
        const headers = headerCounts[i] === 0 ? NO_HEADERS : headersObject(batch.headers(i))
        out[n++] = new PolledRecord<K, V>(topic, partition, offset, timestamps[i], key as K, value as V, headers)
      }
      b.next = end
      // One position update per run of records from the same batch.
      this.positions.set(b.key, end === batch.count && b.positionAfter !== undefined ? b.positionAfter : offsets[end - 1] + 1)
      if (end === batch.count) this.shiftBuffer()
    }
    // Only if a deserializer changed the buffer under the loop (e.g. by pausing a partition).
    if (n !== out.length) out.length = n
    return out
  }

  /**
   * The batch-first form of poll: whole fetched batches as column views, with
   * no object per record. Waits up to timeoutMs for data; returns batches until
   * maxRecords is reached (at least one batch, never a partial one). The
   * position of each partition moves past the last record returned.
   */
  async pollBatches(options: PollOptions = {}): Promise<ConsumerBatch[]> {
    const maxRecords = options.maxRecords ?? this.options.maxPollRecords
    await this.awaitRecords(options.timeoutMs ?? 0)
    const out: ConsumerBatch[] = []
    let records = 0
    while (this.bufferHead < this.buffer.length) {
      const b = this.buffer[this.bufferHead]
      const count = b.batch.count - b.next
      if (out.length > 0 && records + count > maxRecords) break
      out.push({ topic: b.topic, partition: b.partition, batch: b.batch, start: b.next, end: b.batch.count })
      records += count
      this.positions.set(b.key, b.positionAfter ?? b.batch.offsets[b.batch.count - 1] + 1)
      this.shiftBuffer()
    }
    return out
  }

  /** Runs the group protocol and fetches until records are buffered, the deadline passes or the consumer closes. */
  private async awaitRecords(timeoutMs: number): Promise<void> {
    this.assertOpen()
    const deadline = Date.now() + timeoutMs
    this.lastPollMs = Date.now()
    for (;;) {
      // A rebalance runs in the background: poll never blocks past its timeout waiting for other members.
      if (this.subscription && !(await this.groupReady(deadline))) break
      if (this.bufferHead === this.buffer.length) await this.fetchInto(Math.max(0, deadline - Date.now()))
      if (this.bufferHead < this.buffer.length || Date.now() >= deadline || this.closed) break
    }
  }

  private shiftBuffer(): void {
    this.bufferHead++
    if (this.bufferHead === this.buffer.length) {
      this.buffer = []
      this.bufferHead = 0
    } else if (this.bufferHead >= 1024 && this.bufferHead * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.bufferHead)
      this.bufferHead = 0
    }
  }

  /** Drops buffered batches of the partitions `drop` selects. */
  private dropBuffered(drop: (b: BufferedBatch) => boolean): void {
    this.buffer = this.buffer.slice(this.bufferHead).filter((b) => !drop(b))
    this.bufferHead = 0
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ConsumerRecord<K, V>> {
    while (!this.closed) {
      const records = await this.poll({ timeoutMs: this.options.fetchMaxWaitMs })
      for (const r of records) {
        yield r
        if (this.closed) return
      }
    }
  }

  private async fetchInto(waitMs: number): Promise<void> {
    const requests: FetchRequest[] = []
    const assigned = this.assigned
    const keys = this.keysOfAssigned()
    for (let i = 0; i < assigned.length; i++) {
      const tp = assigned[i]
      const key = keys[i]
      if (this.paused.has(key)) continue
      // Known positions without an await per partition; only a reset goes to the broker.
      const known = this.positions.get(key)
      const offset = known !== undefined ? known : await this.positionOf(tp)
      requests.push({ topic: tp.topic, partition: tp.partition, offset, maxBytes: this.options.maxPartitionFetchBytes })
    }
    if (requests.length === 0) {
      if (waitMs > 0) await sleep(Math.min(waitMs, 50), this.wakeup.signal)
      return
    }
    const responses = await this.broker.fetch(requests, {
      maxWaitMs: Math.min(waitMs, this.options.fetchMaxWaitMs),
      maxBytes: this.options.fetchMaxBytes,
      signal: this.wakeup.signal,
      isolation: this.isolation,
    })
    for (const response of responses) {
      const key = tpKey(response)
      // The assignment may have changed while the fetch waited.
      if (!this.isAssigned(key) || this.paused.has(key)) continue
      if (response.errorCode === KafkaErrors.OFFSET_OUT_OF_RANGE.code) {
        this.positions.delete(key)
        await this.positionOf(response, true)
        continue
      }
      if (response.errorCode !== 0) throw KafkaError.fromCode(response.errorCode, `fetch ${response.topic}-${response.partition}`)
      this.decodeInto(response.topic, response.partition, response.records, this.positions.get(key)!, response.abortedTransactions)
    }
  }

  private keysOfAssigned(): string[] {
    if (this.assignedKeysOf !== this.assigned) {
      this.assignedKeysOf = this.assigned
      this.assignedKeys = this.assigned.map(tpKey)
      this.assignedKeySet = new Set(this.assignedKeys)
    }
    return this.assignedKeys
  }

  private isAssigned(key: string): boolean {
    this.keysOfAssigned()
    return this.assignedKeySet.has(key)
  }

  /**
   * Buffers the fetched batches that hold records for the user. Skipped:
   * transaction markers (always), and under read_committed the batches of
   * aborted transactions — Kafka's consumer algorithm: a producer's data
   * counts as aborted from the first offset of an aborted transaction the
   * broker listed, until its abort marker. The position moves past skipped
   * batches too, so a partition that ends in a marker is not fetched forever.
   */
  private decodeInto(topic: string, partition: number, bytes: Uint8Array, fromOffset: number, aborted: readonly AbortedTransaction[] | undefined): void {
    const key = `${topic}\u0000${partition}`
    const abortedQueue = aborted !== undefined && aborted.length > 0 ? [...aborted].sort((a, b) => a.firstOffset - b.firstOffset) : undefined
    let abortedNext = 0
    const abortedProducers = new Set<number>()
    let lastBuffered: BufferedBatch | undefined
    /** The offset after the skipped batches that follow the last buffered one (-1: none skipped since). */
    let skippedTo = -1
    // Whole batches back to back (as wholeBatches yields them, without a generator).
    for (let at = 0, size = 0; (size = wholeBatchSizeAt(bytes, at)) > 0; ) {
      const stored = bytes.subarray(at, at + size)
      at += size
      // The log verified every batch's CRC as it read it; checking again here would double the cost.
      const batch = decodeRecordBatch(stored, { verifyCrc: false })
      const header = batch.header
      const batchEnd = header.baseOffset + header.lastOffsetDelta + 1
      if (abortedQueue !== undefined) {
        while (abortedNext < abortedQueue.length && abortedQueue[abortedNext].firstOffset < batchEnd) abortedProducers.add(abortedQueue[abortedNext++].producerId)
      }
      if (header.isControl) {
        if (abortedProducers.has(header.producerId) && readMarkerKind(stored, header) === 'abort') abortedProducers.delete(header.producerId)
        skippedTo = batchEnd
        continue
      }
      if (batch.count === 0 || (header.isTransactional && abortedProducers.has(header.producerId))) {
        skippedTo = batchEnd
        continue
      }
      // Records before the position (the fetch starts at the batch holding it) were consumed already.
      let next = 0
      while (next < batch.count && batch.offsets[next] < fromOffset) next++
      if (next === batch.count) continue
      lastBuffered = { topic, partition, key, batch, next }
      this.buffer.push(lastBuffered)
      skippedTo = -1
    }
    if (skippedTo <= fromOffset) return
    if (lastBuffered !== undefined) lastBuffered.positionAfter = skippedTo
    else this.positions.set(key, skippedTo)
  }

  /** The next offset to read: the position, else the committed offset, else the reset policy. */
  private async positionOf(tp: TopicPartition, outOfRange = false): Promise<number> {
    const key = tpKey(tp)
    const known = this.positions.get(key)
    if (known !== undefined) return known
    const committed = !outOfRange && this.groupId ? this.broker.committedOffset(this.groupId, tp.topic, tp.partition) : undefined
    let offset: number
    if (committed) offset = committed.offset
    else if (this.options.autoOffsetReset === 'none') {
      throw new NoOffsetForPartitionError(
        `no ${outOfRange ? 'valid' : 'committed'} offset for ${tp.topic}-${tp.partition}${this.groupId ? ` in group "${this.groupId}"` : ''} and autoOffsetReset is 'none'`,
      )
    } else offset = await this.broker.listOffset(tp.topic, tp.partition, this.options.autoOffsetReset === 'earliest' ? EARLIEST_TIMESTAMP : LATEST_TIMESTAMP, this.isolation)
    this.positions.set(key, offset)
    return offset
  }

  // ------------------------------------------------------------------ positions

  async position(tp: TopicPartition): Promise<number> {
    this.assertAssigned(tp)
    return this.positionOf(tp)
  }

  seek(tp: TopicPartition, offset: number): void {
    this.assertAssigned(tp)
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`seek offset for ${tp.topic}-${tp.partition} must be a non-negative integer, got ${offset}`)
    const key = tpKey(tp)
    this.positions.set(key, offset)
    this.dropBuffered((b) => b.key === key)
  }

  async seekToBeginning(partitions: readonly TopicPartition[] = this.assigned): Promise<void> {
    for (const tp of partitions) this.seek(tp, await this.broker.listOffset(tp.topic, tp.partition, EARLIEST_TIMESTAMP))
  }

  async seekToEnd(partitions: readonly TopicPartition[] = this.assigned): Promise<void> {
    for (const tp of partitions) this.seek(tp, await this.broker.listOffset(tp.topic, tp.partition, LATEST_TIMESTAMP, this.isolation))
  }

  /** For each partition, the earliest offset whose timestamp is ≥ the given ms (null if none). */
  async offsetsForTimes(query: readonly (TopicPartition & { timestamp: number })[]): Promise<(TopicPartition & { offset: number | null })[]> {
    return Promise.all(
      query.map(async (q) => {
        const offset = await this.broker.listOffset(q.topic, q.partition, q.timestamp)
        return { topic: q.topic, partition: q.partition, offset: offset < 0 ? null : offset }
      }),
    )
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      this.assertAssigned(tp)
      this.paused.add(tpKey(tp))
      const key = tpKey(tp)
      this.dropBuffered((b) => b.key === key)
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.paused.delete(tpKey(tp))
  }

  pausedPartitions(): TopicPartition[] {
    return this.assigned.filter((tp) => this.paused.has(tpKey(tp)))
  }

  /** Records between the position and the end of each assigned partition. */
  async lag(): Promise<(TopicPartition & { lag: number })[]> {
    return Promise.all(
      this.assigned.map(async (tp) => ({ ...tp, lag: Math.max(0, (await this.broker.listOffset(tp.topic, tp.partition, LATEST_TIMESTAMP, this.isolation)) - (await this.positionOf(tp))) })),
    )
  }

  // ------------------------------------------------------------------ commits

  /** Commits the given offsets, or the current positions of all assigned partitions. */
  async commitSync(offsets?: readonly (TopicPartition & { offset: number; metadata?: string })[]): Promise<void> {
    if (!this.groupId) throw new RangeError('commit needs a groupId')
    const commits = offsets ?? this.assigned.filter((tp) => this.positions.has(tpKey(tp))).map((tp) => ({ ...tp, offset: this.positions.get(tpKey(tp))! }))
    if (commits.length === 0) return
    const [generation, member] = this.manual ? [-1, ''] : [this.generationId, this.memberId]
    await this.broker.commitOffsets(this.groupId, generation, member, commits)
  }

  /** Like commitSync but does not wait; errors go to the callback (or are dropped, as in Kafka). */
  commitAsync(offsets?: readonly (TopicPartition & { offset: number })[], callback?: (error?: unknown) => void): void {
    this.commitSync(offsets).then(
      () => callback?.(),
      (error) => callback?.(error),
    )
  }

  async committed(partitions: readonly TopicPartition[] = this.assigned): Promise<(TopicPartition & { offset: number | null })[]> {
    if (!this.groupId) throw new RangeError('committed offsets need a groupId')
    return partitions.map((tp) => ({ ...tp, offset: this.broker.committedOffset(this.groupId!, tp.topic, tp.partition)?.offset ?? null }))
  }

  // ------------------------------------------------------------------ group membership

  /**
   * Runs the group protocol's client side from inside poll: callbacks
   * (revoked, assigned, lost) and assignment changes happen here, never while the
   * application is still processing records from an earlier poll. JoinGroup and
   * SyncGroup themselves run in the background, so poll never blocks past its
   * timeout waiting for other members. True once the member is in a stable group.
   */
  private async groupReady(deadline: number): Promise<boolean> {
    for (;;) {
      this.throwGroupError()
      if (this.memberLost) {
        this.memberLost = false
        await this.losePartitions()
      }
      if (this.pendingAssignment) {
        const next = this.pendingAssignment
        this.pendingAssignment = undefined
        await this.applyAssignment(next)
      }
      const topics = this.subscribedTopics()
      if (topics.join('\u0000') !== this.joinedTopics.join('\u0000')) this.needsJoin = true
      if (!this.joining && this.needsJoin) await this.startRebalance(topics)
      if (!this.joining) return !this.needsJoin
      const joining = this.joining
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - Date.now()))
      })
      const outcome = await Promise.race([joining.then(() => 'joined' as const), timedOut])
      clearTimeout(timer)
      if (outcome === 'timeout') return false
    }
  }

  /** What happens before rejoining, in the application's poll: eager members give up everything first. */
  private async startRebalance(topics: string[]): Promise<void> {
    const protocol = this.protocol ?? this.assignors[0]
    if (protocol.protocol === 'eager' && this.assigned.length > 0) await this.revoke(this.assigned)
    else if (this.options.enableAutoCommit && this.assigned.length > 0) await this.commitSync().catch(() => undefined)
    this.joining = this.rebalance(topics)
      .catch((error: unknown) => {
        this.groupError = error
      })
      .finally(() => {
        this.joining = undefined
      })
  }

  /** A background rebalance failed (e.g. this static member was fenced): the next poll reports it. */
  private throwGroupError(): void {
    const error = this.groupError
    if (error === undefined) return
    this.groupError = undefined
    throw error
  }

  private async rebalance(topics: string[]): Promise<void> {
    for (let attempt = 0; this.needsJoin && !this.closed && !this.memberLost; attempt++) {
      if (attempt > 50) throw new Error(`consumer for group "${this.groupId}" could not complete a rebalance after ${attempt} attempts`)
      await this.joinGroup(topics)
    }
  }

  private async joinGroup(topics: string[]): Promise<void> {
    const metadata = encodeSubscription({ topics, ownedPartitions: this.assigned, generationId: this.generationId }, 2)
    this.needsJoin = false
    this.joinedTopics = topics
    const join = await this.broker.coordinator.join({
      groupId: this.groupId!,
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.options.clientId,
      protocolType: 'consumer',
      protocols: this.assignors.map((a) => ({ name: a.name, metadata })),
      sessionTimeoutMs: this.options.sessionTimeoutMs,
      rebalanceTimeoutMs: this.options.maxPollIntervalMs,
    })
    if (join.errorCode !== 0) return this.handleGroupError(join.errorCode, 'join')
    this.memberId = join.memberId
    this.generationId = join.generationId
    this.protocol = this.assignors.find((a) => a.name === join.protocolName) ?? this.assignors[0]
    const assignments = join.leader === join.memberId ? await this.computeAssignments(join.members) : undefined
    const sync = await this.broker.coordinator.sync({ groupId: this.groupId!, generationId: join.generationId, memberId: this.memberId, groupInstanceId: this.groupInstanceId, assignments })
    if (sync.errorCode !== 0) return this.handleGroupError(sync.errorCode, 'sync')
    this.pendingAssignment = decodeAssignment(sync.assignment).partitions
  }

  private async computeAssignments(members: readonly { memberId: string; groupInstanceId: string | null; metadata: Uint8Array }[]) {
    const subscriptions = members.map((m) => {
      const sub = decodeSubscription(m.metadata)
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? undefined, topics: sub.topics, ownedPartitions: sub.ownedPartitions, generation: sub.generationId }
    })
    const partitionsPerTopic = new Map<string, number>()
    for (const s of subscriptions) for (const t of s.topics) {
      const count = this.broker.partitionCount(t)
      if (count !== undefined) partitionsPerTopic.set(t, count)
    }
    const plan = this.protocol!.assign(subscriptions, partitionsPerTopic)
    return [...plan].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment({ partitions }) }))
  }

  private async applyAssignment(next: TopicPartition[]): Promise<void> {
    const protocol = this.protocol!.protocol
    // Eager members already revoked everything before joining, so they own nothing here.
    const changes = memberChanges(protocol === 'eager' ? 'cooperative' : protocol, this.assigned, next)
    if (changes.revoked.length > 0) await this.revoke(changes.revoked)
    this.assigned = next.map((tp) => ({ ...tp }))
    if (changes.assigned.length > 0) await this.listener.onPartitionsAssigned?.(changes.assigned)
    if (changes.rejoin) this.needsJoin = true
  }

  private async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    if (this.options.enableAutoCommit) await this.commitSync(partitions.filter((tp) => this.positions.has(tpKey(tp))).map((tp) => ({ ...tp, offset: this.positions.get(tpKey(tp))! }))).catch(() => undefined)
    await this.listener.onPartitionsRevoked?.([...partitions])
    this.dropPartitions(partitions)
  }

  private dropPartitions(partitions: readonly TopicPartition[]): void {
    const gone = new Set(partitions.map(tpKey))
    this.assigned = this.assigned.filter((tp) => !gone.has(tpKey(tp)))
    for (const key of gone) {
      this.positions.delete(key)
      this.paused.delete(key)
    }
    this.dropBuffered((b) => gone.has(b.key))
  }

  private async handleGroupError(code: number, step: string): Promise<void> {
    if (code === KafkaErrors.REBALANCE_IN_PROGRESS.code || code === KafkaErrors.ILLEGAL_GENERATION.code) {
      this.needsJoin = true
      return
    }
    if (code === KafkaErrors.UNKNOWN_MEMBER_ID.code || code === KafkaErrors.FENCED_INSTANCE_ID.code) {
      this.forgetMembership()
      if (code === KafkaErrors.FENCED_INSTANCE_ID.code) throw KafkaError.fromCode(code, `${step} for group "${this.groupId}"`)
      return
    }
    throw KafkaError.fromCode(code, `${step} for group "${this.groupId}"`)
  }

  /** The coordinator no longer knows this member: rejoin as new, and lose the partitions in the next poll. */
  private forgetMembership(): void {
    this.memberId = ''
    this.generationId = -1
    this.memberLost = true
    this.needsJoin = true
  }

  private async losePartitions(): Promise<void> {
    const lost = this.assigned
    if (lost.length > 0) {
      await this.listener.onPartitionsLost?.([...lost])
      this.dropPartitions(lost)
    }
  }

  private startTimers(): void {
    if (this.heartbeatTimer || this.closed) return
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.options.heartbeatIntervalMs)
    if (this.options.enableAutoCommit) {
      this.autoCommitTimer = setInterval(() => {
        if (!this.needsJoin) this.commitAsync()
      }, this.options.autoCommitIntervalMs)
    }
  }

  private heartbeat(): void {
    // No heartbeats while this member is joining or syncing (Kafka pauses its heartbeat thread too):
    // a heartbeat for the old generation would answer REBALANCE_IN_PROGRESS and start a needless second rebalance.
    if (!this.subscription || this.memberId === '' || this.needsJoin || this.joining) return
    // Like Kafka's heartbeat thread: a member that stops polling leaves, so its partitions move on.
    if (Date.now() - this.lastPollMs > this.options.maxPollIntervalMs) {
      this.broker.coordinator.leave(this.groupId!, [{ memberId: this.memberId, groupInstanceId: this.groupInstanceId }])
      this.forgetMembership()
      return
    }
    const code = this.broker.coordinator.heartbeat(this.groupId!, this.generationId, this.memberId, this.groupInstanceId)
    if (code === 0) return
    if (code === KafkaErrors.UNKNOWN_MEMBER_ID.code) this.forgetMembership()
    this.needsJoin = true
    this.interruptPoll()
  }

  private interruptPoll(): void {
    this.wakeup.abort()
    this.wakeup = new AbortController()
  }

  // ------------------------------------------------------------------ lifecycle

  /** Commits (with auto-commit), leaves the group (static members stay until their session ends) and stops. */
  async close(): Promise<void> {
    if (this.closed) return
    if (this.options.enableAutoCommit && this.assigned.length > 0) await this.commitSync().catch(() => undefined)
    this.closed = true
    clearInterval(this.heartbeatTimer)
    clearInterval(this.autoCommitTimer)
    this.interruptPoll()
    if (this.subscription && this.memberId && !this.groupInstanceId) {
      await this.listener.onPartitionsRevoked?.([...this.assigned])
      this.broker.coordinator.leave(this.groupId!, [{ memberId: this.memberId }])
    }
    this.assigned = []
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('consumer is closed')
  }

  private assertAssigned(tp: TopicPartition): void {
    if (!this.assigned.some((a) => a.topic === tp.topic && a.partition === tp.partition)) {
      throw new RangeError(`${tp.topic}-${tp.partition} is not assigned to this consumer (assigned: ${this.assigned.map((a) => `${a.topic}-${a.partition}`).join(', ') || 'none'})`)
    }
  }
}

/** Shared by every record without headers; frozen so no consumer can change it for the others. */
const NO_HEADERS: Record<string, Uint8Array | null> = Object.freeze({}) as Record<string, Uint8Array | null>

/** Deserializes a key or value; the record's place is only spelled out if a JSON error needs it. */
function deserializeAt(bytes: Uint8Array | null, deserializer: Deserializer, topic: string, partition: number, offset: number): unknown {
  if (bytes === null) return null
  if (typeof deserializer === 'function') return deserializer(bytes)
  return deserialize(bytes, deserializer, () => `${topic}-${partition}@${offset}`)
}

function headersObject(list: readonly { key: string; value: Uint8Array | null }[]): Record<string, Uint8Array | null> {
  const out: Record<string, Uint8Array | null> = {}
  for (const h of list) out[h.key] = h.value
  return out
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new RangeError(`consumer option ${name} must be a positive number, got ${String(value)}`)
  return value
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}
