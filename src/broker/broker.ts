// The embedded broker: topics and partition logs, idempotent produce, long-poll
// fetch, offsets by time, producer ids, the group coordinator with its
// committed offsets, and transactions (the transaction coordinator, markers,
// last stable offsets and aborted-transaction indexes for read_committed). The in-process clients and the Kafka wire server both
// drive this one object, so their semantics cannot drift apart.
//
// Concurrency: one event loop. Idempotent appends to one partition are
// serialised by a per-partition promise chain so producer-state checks and
// appends cannot interleave; batches without a producer id go to the log's own
// queue at once (it keeps call order); different partitions proceed concurrently.
import { KafkaError, KafkaErrors } from './errors.js'
import { GroupCoordinator, type CoordinatorOptions } from './group/coordinator.js'
import { ProducerStateTable, type ProducerStateRecord } from './producer-state.js'
import { OFFSETS_TOPIC, OffsetStore, type CommittedOffset, type OffsetCommit } from './offset-store.js'
import type { AppendResult, BrokerPartition, BrokerTopics, PartitionAppendOptions, TopicConfigMap } from './ports.js'
import { readBatchHeader, wholeBatchSizeAt, BATCH_LOG_OVERHEAD, CorruptBatchError } from '../log/batch-header.js'
import { replayPartition } from './replay.js'
import { SerialByKey } from './serial-by-key.js'
import { encodeTransactionMarker, readMarkerKind, type MarkerKind } from './transactions/control-record.js'
import { PartitionTransactions, type AbortedTransaction, type PartitionTransactionsRecord } from './transactions/partition-transactions.js'
import { TransactionCoordinator, type TransactionCoordinatorOptions } from './transactions/coordinator.js'
import { TransactionLog, TRANSACTION_STATE_TOPIC } from './transactions/transaction-log.js'
import { BROKER_STATE_FILE, decodeBrokerState, encodeBrokerState, type PartitionStateRecord } from './state-snapshot.js'

export interface BrokerOptions {
  coordinator?: CoordinatorOptions
  /** Create a topic on first produce or metadata request (Kafka's auto.create.topics.enable). */
  autoCreateTopics?: boolean
  defaultPartitions?: number
  transactions?: TransactionCoordinatorOptions
}

/** read_uncommitted reads to the high watermark; read_committed to the last stable offset, told which transactions were aborted. */
export type IsolationLevel = 'read_committed' | 'read_uncommitted'

export interface ProduceResult extends AppendResult {
  /** True when the batch was a retry of one already appended; the offsets are the original ones. */
  duplicate: boolean
}

export interface FetchRequest {
  topic: string
  partition: number
  offset: number
  maxBytes: number
}

export interface FetchResponse {
  topic: string
  partition: number
  /** Whole stored batches (may start before `offset`: the batch holding it). */
  records: Uint8Array
  highWatermark: number
  /** The first offset of the oldest open transaction, or the high watermark when none is open. */
  lastStableOffset: number
  logStartOffset: number
  errorCode: number
  /** read_committed only: aborted transactions overlapping the returned batches (skip their producers' data up to the abort marker). */
  abortedTransactions?: AbortedTransaction[]
}

export interface FetchOptions {
  maxWaitMs?: number
  minBytes?: number
  /** Cap over all partitions; the first partition with data always returns at least one batch. */
  maxBytes?: number
  signal?: AbortSignal
  /**
   * Verify each batch's CRC-32C as it is read (default true). The Kafka wire
   * server passes false: batches were CRC-checked when appended, recovery
   * re-checks every batch past the recovery point, and Kafka clients can check
   * the CRC themselves (it travels with the batch); structure and offset
   * continuity are checked on every read either way.
   */
  verifyCrc?: boolean
  /**
   * Scratch memory the partition reads may fill, one after another, instead of
   * allocating: returned records are then views of it, valid until the caller
   * reuses it (it must outlive every use of the response). A read that does not
   * fit in what is left allocates as usual. Reused across long-poll retries.
   */
  buffer?: Uint8Array
  /** Default read_uncommitted (the broker's view; clients choose their own default). */
  isolation?: IsolationLevel
}

/**
 * Bytes a read window needs beyond maxBytes: the offset index points up to
 * index.interval.bytes (4 KiB by default) before the batch wanted, and the
 * window reads a header past the budget. A read that needs more still works;
 * it allocates.
 */
export const FETCH_READ_SLACK_BYTES = 16 * 1024

/** Shared by every read_committed response of a partition without aborted transactions (frozen: never changed). */
const NO_ABORTED_TRANSACTIONS: AbortedTransaction[] = Object.freeze([]) as unknown as AbortedTransaction[]

export const EARLIEST_TIMESTAMP = -2
export const LATEST_TIMESTAMP = -1

export class Broker {
  readonly coordinator: GroupCoordinator
  private readonly producerStates = new Map<string, ProducerStateTable>()
  /** Per partition: idempotent appends and transaction markers, one after another (each sequence check sees the batch before it). */
  private readonly appendOrder = new SerialByKey()
  /** Appends of batches without a producer id, which go to the log at once; close() waits for them. */
  private readonly directAppends = new Set<Promise<unknown>>()
  /** Fetches waiting for data: per partition key, the offset each one asked for. */
  private readonly dataWaiters = new Set<{ offsets: Map<string, number>; wake: () => void }>()
  private nextProducerId = 1
  private closed = false
  /** Set once start() has rebuilt the state: only then is there state worth saving at close. */
  private started = false
  /** How start() rebuilt per-partition state: from the clean-shutdown snapshot, or by replaying logs. */
  readonly startReport: { stateSnapshot: 'absent' | 'used' | string; restoredPartitions: number; replayedPartitions: number } = { stateSnapshot: 'absent', restoredPartitions: 0, replayedPartitions: 0 }
  private offsetStore?: OffsetStore
  private transactionCoordinator?: TransactionCoordinator
  /** Per partition key: open transactions, last stable offset and aborted transactions. */
  private readonly partitionTransactions = new Map<string, PartitionTransactions>()
  /** Topics being auto-created, so concurrent first sends share one creation. */
  private readonly autoCreations = new Map<string, Promise<number>>()

  constructor(
    readonly topics: BrokerTopics,
    private readonly options: BrokerOptions = {},
  ) {
    this.coordinator = new GroupCoordinator(options.coordinator)
  }

  /**
   * Opens the internal offsets topic and the transaction-state topic (created
   * on first transactional use) and rebuilds idempotence and transaction state
   * from the logs; transactions a crash left half-ended are finished, open ones
   * resume (and time out as usual).
   */
  async start(): Promise<void> {
    if (!this.topics.describe(OFFSETS_TOPIC)) await this.topics.create(OFFSETS_TOPIC, 1, { 'cleanup.policy': 'compact' })
    this.offsetStore = new OffsetStore(this.topics.partition(OFFSETS_TOPIC, 0))
    await this.offsetStore.load()
    await this.recover()
    const coordinator = new TransactionCoordinator(
      new TransactionLog(this.topics.describe(TRANSACTION_STATE_TOPIC) ? this.topics.partition(TRANSACTION_STATE_TOPIC, 0) : undefined, async () => {
        if (!this.topics.describe(TRANSACTION_STATE_TOPIC)) await this.topics.create(TRANSACTION_STATE_TOPIC, 1, { 'cleanup.policy': 'compact' })
        return this.topics.partition(TRANSACTION_STATE_TOPIC, 0)
      }),
      {
        allocateProducerId: () => this.nextProducerId++,
        writeMarker: (topic, partition, producerId, producerEpoch, kind) => this.writeMarker(topic, partition, producerId, producerEpoch, kind),
        checkPartition: (topic, partition) => void this.partitionLog(topic, partition),
        commitOffsets: (groupId, offsets) => this.offsets().commit(groupId, offsets),
      },
      this.options.transactions,
    )
    this.transactionCoordinator = coordinator
    const producerIdMax = await coordinator.load()
    this.nextProducerId = Math.max(this.nextProducerId, producerIdMax + 1)
    this.started = true
  }

  /** The transaction coordinator: transactional ids, epochs, commit and abort. */
  get transactions(): TransactionCoordinator {
    if (!this.transactionCoordinator) throw new Error('the broker is not started: call start() first')
    return this.transactionCoordinator
  }

  /**
   * Rebuilds idempotence and per-partition transaction state (open
   * transactions, aborted ones): from the clean-shutdown state where it still
   * matches the partition's log (state-snapshot.ts), otherwise by reading
   * every batch header of the partition. The internal topics are skipped: no
   * producer writes there, and their stores replay them themselves.
   */
  private async recover(): Promise<void> {
    const saved = await this.takeSavedState()
    for (const { topic, partition, log } of this.userPartitions()) {
      const state = saved?.get(partitionKey(topic, partition))
      if (state !== undefined && this.restoreSaved(state, log)) continue
      this.startReport.replayedPartitions++
      const table = this.tableFor(topic, partition)
      const transactions = this.transactionsOf(topic, partition)
      await replayPartition(log, log.logStartOffset(), (batch) => {
        const header = readBatchHeader(batch)
        if (header.producerId < 0) return
        this.nextProducerId = Math.max(this.nextProducerId, header.producerId + 1)
        if (header.isControl) {
          const kind = readMarkerKind(batch, header)
          if (kind !== undefined) transactions.onMarker(header.producerId, kind, header.baseOffset)
          return
        }
        if (header.isTransactional) transactions.onData(header.producerId, header.baseOffset)
        table.observe({ ...header, recordCount: header.lastOffsetDelta + 1 }, header.baseOffset)
      })
    }
  }

  /** Takes a partition's saved state when its log still starts and ends where it did; false to replay it instead. */
  private restoreSaved(state: PartitionStateRecord, log: BrokerPartition): boolean {
    if (state.logStartOffset !== log.logStartOffset() || state.logEndOffset !== log.logEndOffset()) return false
    const key = partitionKey(state.topic, state.partition)
    try {
      const producers = ProducerStateTable.fromRecords(state.producers)
      const transactions = PartitionTransactions.fromRecord(state.transactions)
      this.producerStates.set(key, producers)
      this.partitionTransactions.set(key, transactions)
      this.startReport.restoredPartitions++
      return true
    } catch (error) {
      this.startReport.stateSnapshot = `partition ${key} replayed: ${(error as Error).message}`
      return false
    }
  }

  /**
   * Reads the clean-shutdown state (state-snapshot.ts) and removes its file
   * before anything can be appended: by partition key, or undefined when there
   * is none or it cannot be used (startReport says why).
   */
  private async takeSavedState(): Promise<Map<string, PartitionStateRecord> | undefined> {
    const bytes = await this.topics.readSideFile(BROKER_STATE_FILE)
    if (bytes === undefined) return undefined
    await this.topics.removeSideFile(BROKER_STATE_FILE)
    const state = decodeBrokerState(bytes)
    if (typeof state === 'string') {
      this.startReport.stateSnapshot = `ignored: ${state}`
      return undefined
    }
    this.startReport.stateSnapshot = 'used'
    this.nextProducerId = Math.max(this.nextProducerId, state.nextProducerId)
    return new Map(state.partitions.map((p) => [partitionKey(p.topic, p.partition), p]))
  }

  /** Every partition of every user topic (the internal topics are the offset and transaction stores' own). */
  private *userPartitions(): Generator<{ topic: string; partition: number; log: BrokerPartition }> {
    for (const topic of this.topics.list()) {
      if (topic === OFFSETS_TOPIC || topic === TRANSACTION_STATE_TOPIC) continue
      const count = this.topics.partitionCount(topic) ?? 0
      for (let partition = 0; partition < count; partition++) yield { topic, partition, log: this.topics.partition(topic, partition) }
    }
  }

  /** What the broker knows of a partition's producers and transactions (as the clean-shutdown state stores it): for diagnostics and tests. */
  partitionState(topic: string, partition: number): { producers: ProducerStateRecord[]; transactions: PartitionTransactionsRecord } {
    this.partitionLog(topic, partition)
    const key = partitionKey(topic, partition)
    return { producers: this.producerStates.get(key)?.toRecords() ?? [], transactions: this.partitionTransactions.get(key)?.toRecord() ?? { open: [], aborted: [] } }
  }

  /** Writes the clean-shutdown state of every user partition (after every append has settled). */
  private async saveState(): Promise<void> {
    const partitions: PartitionStateRecord[] = []
    for (const { topic, partition, log } of this.userPartitions()) {
      partitions.push({ topic, partition, logStartOffset: log.logStartOffset(), logEndOffset: log.logEndOffset(), ...this.partitionState(topic, partition) })
    }
    await this.topics.writeSideFile(BROKER_STATE_FILE, encodeBrokerState({ nextProducerId: this.nextProducerId, partitions }))
  }

  // ------------------------------------------------------------------ topics

  async createTopic(name: string, partitions = this.options.defaultPartitions ?? 1, config?: TopicConfigMap): Promise<void> {
    this.assertOpen()
    if (this.topics.describe(name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `topic "${name}" already exists`)
    if (!Number.isInteger(partitions) || partitions < 1) throw new KafkaError('INVALID_PARTITIONS', `partitions must be a positive integer, got ${partitions}`)
    await this.topics.create(name, partitions, config)
  }

  /**
   * Deletes a topic with everything the broker keeps about it: idempotent
   * producer state and groups' committed offsets, so a topic created again
   * under the same name starts clean (as in Kafka).
   */
  async deleteTopic(name: string): Promise<void> {
    this.assertOpen()
    if (name.startsWith('__')) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `internal topic "${name}" cannot be deleted`)
    await this.topics.delete(name)
    const prefix = topicKeyPrefix(name)
    for (const map of [this.producerStates, this.partitionTransactions]) for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key)
    await this.offsets().deleteTopic(name)
  }

  /** The partition count, creating the topic first when auto-creation is on. */
  async ensureTopic(name: string): Promise<number> {
    const existing = this.topics.partitionCount(name)
    if (existing !== undefined) return existing
    if (!this.options.autoCreateTopics) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${name}"`)
    // Two producers sending to a new topic at once share one creation (the second would otherwise fail with TOPIC_ALREADY_EXISTS).
    let creating = this.autoCreations.get(name)
    if (creating === undefined) {
      const partitions = this.options.defaultPartitions ?? 1
      creating = this.topics.create(name, partitions).then(
        () => partitions,
        (error: unknown) => {
          const created = this.topics.partitionCount(name)
          if (created !== undefined) return created
          throw error
        },
      )
      creating = creating.finally(() => this.autoCreations.delete(name))
      this.autoCreations.set(name, creating)
    }
    return creating
  }

  partitionCount(topic: string): number | undefined {
    return this.topics.partitionCount(topic)
  }

  private partitionLog(topic: string, partition: number): BrokerPartition {
    return this.topics.partition(topic, partition)
  }

  // ------------------------------------------------------------------ produce

  /**
   * Appends one RecordBatch v2 (validated: size, magic, CRC). Idempotent batches
   * are checked against the producer's sequence state; a retry returns the
   * original offsets with `duplicate: true`. `options.crcSealedInProcess` is
   * for the in-process producer only, whose encoder computed the CRC over
   * these bytes (the Kafka protocol server never sets it).
   */
  produce(topic: string, partition: number, batch: Uint8Array, options?: PartitionAppendOptions): Promise<ProduceResult> {
    this.assertOpen()
    let log: BrokerPartition
    try {
      log = this.partitionLog(topic, partition)
    } catch (error) {
      return Promise.reject(error)
    }
    // The log validates the whole batch (size, magic, CRC) before it assigns offsets;
    // here only the header is read, for the idempotence check, so the CRC is computed once.
    let header
    try {
      header = readBatchHeader(batch)
      if (header.batchLength + BATCH_LOG_OVERHEAD !== batch.length) throw new CorruptBatchError(`batch length field says ${header.batchLength + BATCH_LOG_OVERHEAD} bytes but ${batch.length} were sent`)
    } catch (error) {
      const detail = error instanceof CorruptBatchError ? error.message : String(error)
      return Promise.reject(new KafkaError('CORRUPT_MESSAGE', `${topic}-${partition}: ${detail}`))
    }
    const key = partitionKey(topic, partition)
    if (header.producerId < 0) {
      // No producer id, no sequence state to check: straight to the log, whose queue keeps call order and
      // writes what is queued together. Waiting for the previous append first would let one slow turn of the
      // event loop back the whole partition up, one batch per turn.
      const appended = log.append(batch, options).then((result): ProduceResult => {
        this.wakeFetchers(key, log.logEndOffset())
        // Spelled out rather than spread: V8 (Node 20) keeps spread results alive across scavenges.
        return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, duplicate: false }
      })
      const tracked: Promise<unknown> = appended.then(
        () => this.directAppends.delete(tracked),
        () => this.directAppends.delete(tracked),
      )
      this.directAppends.add(tracked)
      return appended
    }
    if (header.isControl) return Promise.reject(new KafkaError('INVALID_RECORD', `${topic}-${partition}: clients may not write control batches (transaction markers are written by the broker)`))
    const table = this.tableFor(topic, partition)
    const info = { producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, recordCount: header.lastOffsetDelta + 1 }
    const transactional = header.isTransactional
    const run = async (): Promise<ProduceResult> => {
      const verdict = table.check(info)
      if (verdict.kind === 'duplicate') return { baseOffset: verdict.baseOffset, lastOffset: verdict.lastOffset, duplicate: true }
      // Checked here, in the partition's append order, so a batch queued behind its transaction's marker is refused.
      if (transactional) this.transactions.checkProduce(info.producerId, info.producerEpoch, topic, partition)
      const result = await log.append(batch, options)
      table.observe(info, result.baseOffset)
      if (transactional) this.transactionsOf(topic, partition).onData(info.producerId, result.baseOffset)
      this.wakeFetchers(key, log.logEndOffset())
      return { baseOffset: result.baseOffset, lastOffset: result.lastOffset, duplicate: false }
    }
    return this.appendOrder.run(key, run)
  }

  /** InitProducerId without a transactional id: a fresh producer id at epoch 0. */
  initProducerId(): { producerId: number; producerEpoch: number } {
    const producerId = this.nextProducerId++
    return { producerId, producerEpoch: 0 }
  }

  /**
   * Appends a commit or abort marker to one partition, in its append order,
   * if `producerId` has a transaction open there (so finishing a transaction
   * again after a crash writes no second marker).
   */
  private writeMarker(topic: string, partition: number, producerId: number, producerEpoch: number, kind: MarkerKind): Promise<void> {
    const key = partitionKey(topic, partition)
    let log: BrokerPartition
    try {
      log = this.partitionLog(topic, partition)
    } catch (error) {
      // The topic was deleted while the transaction was open: there is nothing left to mark.
      if (error instanceof KafkaError && error.type === 'UNKNOWN_TOPIC_OR_PARTITION') return Promise.resolve()
      return Promise.reject(error)
    }
    const transactions = this.transactionsOf(topic, partition)
    const run = async (): Promise<void> => {
      if (!transactions.isOpen(producerId)) return
      const result = await log.append(encodeTransactionMarker(producerId, producerEpoch, kind))
      transactions.onMarker(producerId, kind, result.baseOffset)
      this.wakeFetchers(key, log.logEndOffset())
    }
    return this.appendOrder.run(key, run)
  }

  private transactionsOf(topic: string, partition: number): PartitionTransactions {
    return perPartition(this.partitionTransactions, topic, partition, () => new PartitionTransactions())
  }

  /** The first offset of the oldest open transaction on the partition, or its high watermark. */
  lastStableOffset(topic: string, partition: number): number {
    return this.partitionOffsets(topic, partition).lastStableOffset
  }

  /** A partition's log start offset, high watermark and last stable offset, read at once (throws for an unknown partition). */
  partitionOffsets(topic: string, partition: number): { logStartOffset: number; highWatermark: number; lastStableOffset: number } {
    const log = this.partitionLog(topic, partition)
    const highWatermark = log.logEndOffset()
    const lastStableOffset = this.partitionTransactions.get(partitionKey(topic, partition))?.lastStableOffset(highWatermark) ?? highWatermark
    return { logStartOffset: log.logStartOffset(), highWatermark, lastStableOffset }
  }

  private tableFor(topic: string, partition: number): ProducerStateTable {
    return perPartition(this.producerStates, topic, partition, () => new ProducerStateTable())
  }

  // ------------------------------------------------------------------ fetch

  /**
   * Long-poll fetch: returns as soon as `minBytes` are available over all
   * partitions, or after `maxWaitMs`, whichever is first.
   */
  async fetch(requests: readonly FetchRequest[], options: FetchOptions = {}): Promise<FetchResponse[]> {
    this.assertOpen()
    const deadline = Date.now() + (options.maxWaitMs ?? 0)
    const minBytes = options.minBytes ?? 1
    for (;;) {
      const responses = await this.fetchOnce(requests, options.maxBytes ?? 52_428_800, options.verifyCrc ?? true, options.buffer, options.isolation === 'read_committed')
      const bytes = responses.reduce((sum, r) => sum + r.records.length, 0)
      const remainingMs = deadline - Date.now()
      if (bytes >= minBytes || remainingMs <= 0 || this.closed || options.signal?.aborted) return responses
      await this.waitForData(requests, remainingMs, options.signal)
    }
  }

  private async fetchOnce(requests: readonly FetchRequest[], maxBytesTotal: number, verifyCrc: boolean, buffer: Uint8Array | undefined, readCommitted: boolean): Promise<FetchResponse[]> {
    let budget = maxBytesTotal
    /** Start of the part of `buffer` no returned records use. */
    let bufferFree = 0
    const out: FetchResponse[] = []
    for (const r of requests) {
      let log: BrokerPartition
      try {
        log = this.partitionLog(r.topic, r.partition)
      } catch (error) {
        out.push({ topic: r.topic, partition: r.partition, records: new Uint8Array(0), highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, errorCode: (error as KafkaError).code })
        continue
      }
      const highWatermark = log.logEndOffset()
      const transactions = this.partitionTransactions.get(partitionKey(r.topic, r.partition))
      const lastStableOffset = transactions?.lastStableOffset(highWatermark) ?? highWatermark
      const base = { topic: r.topic, partition: r.partition, highWatermark, lastStableOffset, logStartOffset: log.logStartOffset() }
      if (r.offset < log.logStartOffset() || r.offset > highWatermark) {
        out.push({ ...base, records: new Uint8Array(0), errorCode: KafkaErrors.OFFSET_OUT_OF_RANGE.code })
        continue
      }
      // read_committed stops at the last stable offset: nothing of an open transaction, nor anything after it.
      const readEnd = readCommitted ? lastStableOffset : highWatermark
      if (r.offset >= readEnd || budget <= 0) {
        out.push({ ...base, records: new Uint8Array(0), errorCode: 0 })
        continue
      }
      const maxBytes = Math.min(r.maxBytes, budget)
      let scratch: Uint8Array | undefined
      if (buffer !== undefined && bufferFree < buffer.length) {
        // Just enough for the read window (the log reads as much as the buffer holds).
        scratch = buffer.subarray(bufferFree, Math.min(buffer.length, bufferFree + maxBytes + FETCH_READ_SLACK_BYTES))
      }
      let records = await log.read(r.offset, maxBytes, { verifyCrc, buffer: scratch })
      let abortedTransactions: AbortedTransaction[] | undefined
      if (readCommitted) {
        // Retention removed the data of the oldest aborted transactions: forget them.
        transactions?.truncateBelow(base.logStartOffset)
        // The log never reads past its high watermark, so only an open transaction's LSO needs a cut.
        if (readEnd < highWatermark) records = batchesBefore(records, readEnd)
        abortedTransactions = transactions?.abortedIn(r.offset, readEnd) ?? NO_ABORTED_TRANSACTIONS
      }
      if (scratch !== undefined && records.buffer === scratch.buffer && records.byteOffset >= scratch.byteOffset && records.byteOffset < scratch.byteOffset + scratch.length) {
        bufferFree = records.byteOffset + records.length - buffer!.byteOffset
      }
      budget -= records.length
      out.push(abortedTransactions === undefined ? { ...base, records, errorCode: 0 } : { ...base, records, errorCode: 0, abortedTransactions })
    }
    return out
  }

  /**
   * Resolves when a partition of `requests` has data at or past the offset
   * asked for (see wakeFetchers), on abort, or after `timeoutMs`.
   */
  private waitForData(requests: readonly FetchRequest[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const offsets = new Map<string, number>()
    for (const r of requests) {
      const key = partitionKey(r.topic, r.partition)
      const asked = offsets.get(key)
      offsets.set(key, asked === undefined ? r.offset : Math.min(asked, r.offset))
    }
    return new Promise((resolve) => {
      const waiter = {
        offsets,
        wake: () => {
          clearTimeout(timer)
          this.dataWaiters.delete(waiter)
          signal?.removeEventListener('abort', waiter.wake)
          resolve()
        },
      }
      const timer = setTimeout(waiter.wake, timeoutMs)
      signal?.addEventListener('abort', waiter.wake)
      this.dataWaiters.add(waiter)
    })
  }

  /**
   * Wakes, right after an append, the fetches waiting on that partition that
   * can now read something: its end moved past the offset they asked for. A
   * fetch that already read up to the new end (it ran between the write and
   * this acknowledgement) is not woken for nothing.
   */
  private wakeFetchers(key: string, endOffset: number): void {
    for (const waiter of this.dataWaiters) {
      const asked = waiter.offsets.get(key)
      if (asked !== undefined && endOffset > asked) waiter.wake()
    }
  }

  // ------------------------------------------------------------------ offsets

  /**
   * ListOffsets: -2 earliest, -1 latest (the last stable offset under
   * read_committed), otherwise the first offset with timestamp ≥ the given ms (-1 if none).
   */
  async listOffset(topic: string, partition: number, timestamp: number, isolation: IsolationLevel = 'read_uncommitted'): Promise<number> {
    return (await this.listOffsetAndTimestamp(topic, partition, timestamp, isolation)).offset
  }

  /**
   * ListOffsets as Kafka answers it (v1+): for a time, the offset and the
   * timestamp of the first record at or after it (-1 and -1 when there is
   * none); for -2 / -1 (earliest, latest), the offset and timestamp -1.
   */
  async listOffsetAndTimestamp(topic: string, partition: number, timestamp: number, isolation: IsolationLevel = 'read_uncommitted'): Promise<{ offset: number; timestamp: number }> {
    const log = this.partitionLog(topic, partition)
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: log.logStartOffset(), timestamp: -1 }
    if (timestamp === LATEST_TIMESTAMP) return { offset: isolation === 'read_committed' ? this.lastStableOffset(topic, partition) : log.logEndOffset(), timestamp: -1 }
    const found = await log.offsetForTimestamp(timestamp)
    return found === undefined ? { offset: -1, timestamp: -1 } : { offset: found.offset, timestamp: found.timestampMs }
  }

  /** OffsetCommit: checked against the group's generation, then persisted. */
  async commitOffsets(groupId: string, generationId: number, memberId: string, commits: readonly OffsetCommit[]): Promise<void> {
    this.assertOpen()
    const errorCode = this.coordinator.validateOffsetCommit(groupId, generationId, memberId)
    if (errorCode !== 0) throw KafkaError.fromCode(errorCode, `offset commit for group "${groupId}" (generation ${generationId}, member "${memberId}")`)
    for (const c of commits) this.partitionLog(c.topic, c.partition)
    await this.offsets().commit(groupId, commits)
  }

  committedOffset(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets().committed(groupId, topic, partition)
  }

  groupOffsets(groupId: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    return this.offsets().groupOffsets(groupId)
  }

  /** Groups known to the coordinator or holding committed offsets. */
  groupIds(): string[] {
    return [...new Set([...this.coordinator.listGroups().map((g) => g.groupId), ...this.offsets().groups()])]
  }

  /** Deletes an empty group and its committed offsets. */
  async deleteGroup(groupId: string): Promise<void> {
    const errorCode = this.coordinator.deleteGroup(groupId)
    if (errorCode === KafkaErrors.NON_EMPTY_GROUP.code) throw KafkaError.fromCode(errorCode, `group "${groupId}" still has members`)
    await this.offsets().deleteGroup(groupId)
  }

  private offsets(): OffsetStore {
    if (!this.offsetStore) throw new Error('the broker is not started: call start() first')
    return this.offsetStore
  }

  // ------------------------------------------------------------------ lifecycle

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.coordinator.close()
    this.transactionCoordinator?.close()
    for (const waiter of [...this.dataWaiters]) waiter.wake()
    await Promise.allSettled([this.appendOrder.settled(), ...this.directAppends])
    // A failed save only costs the next start a full replay.
    if (this.started) await this.saveState().catch(() => undefined)
    await this.topics.close()
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the broker is closed')
  }
}

/** The whole batches of `records` that start before `endOffset` (a view, no copy). */
function batchesBefore(records: Uint8Array, endOffset: number): Uint8Array {
  let at = 0
  for (let size = 0; (size = wholeBatchSizeAt(records, at)) > 0; at += size) {
    if (readBatchHeader(records, at).baseOffset >= endOffset) break
  }
  return at === records.length ? records : records.subarray(0, at)
}

/** The entry of `map` for one partition (keyed topic NUL partition), created on first use. */
function perPartition<T>(map: Map<string, T>, topic: string, partition: number, create: () => T): T {
  const key = partitionKey(topic, partition)
  let entry = map.get(key)
  if (entry === undefined) {
    entry = create()
    map.set(key, entry)
  }
  return entry
}

/** The key of one partition in the broker's per-partition maps: topic NUL partition (a topic's keys start with `topicKeyPrefix`). */
function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`
}

function topicKeyPrefix(topic: string): string {
  return `${topic}\u0000`
}
