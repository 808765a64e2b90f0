// Implements the broker's narrow ports over src/log's TopicStore and
// PartitionLog, translating log errors into Kafka error codes once, here.
import { KafkaError } from './errors.js'
import type { AppendResult, BrokerPartition, BrokerTopics, PartitionAppendOptions, PartitionReadOptions, TopicConfigMap, TopicDescription } from './ports.js'
import { CorruptBatchError } from '../log/batch-header.js'
import { InvalidBatchError, InvalidConfigError, InvalidTopicError, LogClosedError, OffsetOutOfRangeError, TopicExistsError, UnknownTopicError } from '../log/errors.js'
import type { PartitionLog } from '../log/partition-log.js'
import type { TopicStore } from '../log/topic-store.js'

/** Maps an error from the log layer to the Kafka error a client understands. */
export function toKafkaError(error: unknown): unknown {
  if (error instanceof KafkaError) return error
  if (error instanceof OffsetOutOfRangeError) return new KafkaError('OFFSET_OUT_OF_RANGE', error.message)
  if (error instanceof UnknownTopicError) return new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', error.message)
  if (error instanceof TopicExistsError) return new KafkaError('TOPIC_ALREADY_EXISTS', error.message)
  if (error instanceof InvalidTopicError) return new KafkaError('INVALID_TOPIC_EXCEPTION', error.message)
  if (error instanceof InvalidConfigError) return new KafkaError('INVALID_CONFIG', error.message)
  if (error instanceof InvalidBatchError) {
    return new KafkaError(/exceeds max\.message\.bytes/.test(error.message) ? 'MESSAGE_TOO_LARGE' : 'CORRUPT_MESSAGE', error.message)
  }
  if (error instanceof CorruptBatchError) return new KafkaError('CORRUPT_MESSAGE', error.message)
  if (error instanceof LogClosedError) return new KafkaError('KAFKA_STORAGE_ERROR', error.message)
  return error
}

async function translated<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw toKafkaError(error)
  }
}

class LogPartition implements BrokerPartition {
  constructor(private readonly log: PartitionLog) {}
  get topic(): string {
    return this.log.topic
  }
  get partition(): number {
    return this.log.partition
  }
  append(batch: Uint8Array, options?: PartitionAppendOptions): Promise<AppendResult> {
    return translated(() => this.log.append(batch, options))
  }
  async read(offset: number, maxBytes: number, options?: PartitionReadOptions): Promise<Uint8Array> {
    return (await translated(() => this.log.read(offset, Math.max(1, maxBytes), options))).batches
  }
  logStartOffset(): number {
    return this.log.logStartOffset
  }
  logEndOffset(): number {
    return this.log.highWatermark
  }
  async offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | undefined> {
    return translated(() => this.log.offsetForTimestamp(timestampMs))
  }
}

export class StoreTopics implements BrokerTopics {
  private readonly partitions = new Map<PartitionLog, LogPartition>()

  constructor(readonly store: TopicStore) {}

  async create(name: string, partitions: number, config?: TopicConfigMap): Promise<void> {
    await translated(() => this.store.createTopic(name, { partitions, config }))
  }

  async delete(name: string): Promise<void> {
    await translated(() => this.store.deleteTopic(name))
  }

  async addPartitions(name: string, totalPartitions: number): Promise<void> {
    await translated(() => this.store.addPartitions(name, totalPartitions))
  }

  list(): string[] {
    return this.store.listTopics()
  }

  describe(name: string): TopicDescription | undefined {
    if (!this.store.hasTopic(name)) return undefined
    const d = this.store.describeTopic(name)
    return { name, partitions: d.partitionCount, config: d.config, internal: name.startsWith('__') }
  }

  partitionCount(name: string): number | undefined {
    return this.store.partitionCount(name)
  }

  partition(topic: string, partition: number): BrokerPartition {
    let log: PartitionLog
    try {
      log = this.store.partition(topic, partition)
    } catch (error) {
      throw toKafkaError(error)
    }
    let adapter = this.partitions.get(log)
    if (!adapter) {
      adapter = new LogPartition(log)
      this.partitions.set(log, adapter)
    }
    return adapter
  }

  readSideFile(name: string): Promise<Uint8Array | undefined> {
    return this.store.readSideFile(name)
  }

  writeSideFile(name: string, bytes: Uint8Array): Promise<void> {
    return this.store.writeSideFile(name, bytes)
  }

  removeSideFile(name: string): Promise<void> {
    return this.store.removeSideFile(name)
  }

  close(): Promise<void> {
    return this.store.close()
  }
}
