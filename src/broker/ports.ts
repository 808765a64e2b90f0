// What the broker needs from the log layer, stated narrowly so the broker can be
// tested and reasoned about without segment details. src/broker/log-adapter.ts
// implements these over src/log.

export interface AppendResult {
  baseOffset: number
  lastOffset: number
}

export interface BrokerPartition {
  readonly topic: string
  readonly partition: number
  /** Validates the batch, assigns offsets (rewriting baseOffset), appends, and resolves once durable under the flush policy. */
  append(batch: Uint8Array, options?: PartitionAppendOptions): Promise<AppendResult>
  /** Whole stored batches starting with the one that holds `offset`; at least one batch if any exists, even past maxBytes. */
  read(offset: number, maxBytes: number, options?: PartitionReadOptions): Promise<Uint8Array>
  logStartOffset(): number
  logEndOffset(): number
  /** First offset whose record timestamp is ≥ timestampMs, with that record's timestamp; undefined if none. */
  offsetForTimestamp(timestampMs: number): Promise<{ offset: number; timestampMs: number } | undefined>
}

export interface PartitionAppendOptions {
  /** The batch's CRC was computed by this process's encoder over these bytes: skip recomputing it (see src/log's AppendOptions). */
  crcSealedInProcess?: boolean
}

export interface PartitionReadOptions {
  /** Verify each batch's CRC-32C as it is read (default true); structure and offset continuity are always checked. */
  verifyCrc?: boolean
  /**
   * Read into this buffer when the result fits (the result is then a view of
   * it, valid until the buffer is reused); otherwise a fresh allocation.
   */
  buffer?: Uint8Array
}

export interface TopicConfigMap {
  [key: string]: string | number
}

export interface TopicDescription {
  name: string
  partitions: number
  config: Record<string, string | number>
  internal: boolean
}

export interface BrokerTopics {
  create(name: string, partitions: number, config?: TopicConfigMap): Promise<void>
  delete(name: string): Promise<void>
  addPartitions(name: string, totalPartitions: number): Promise<void>
  list(): string[]
  describe(name: string): TopicDescription | undefined
  /** Cheap: the partition count, or undefined for an unknown topic. */
  partitionCount(name: string): number | undefined
  /** The partition's log; throws KafkaError UNKNOWN_TOPIC_OR_PARTITION when there is none. */
  partition(topic: string, partition: number): BrokerPartition
  /** A small file of the broker's own beside the topics (its clean-shutdown state): undefined when absent. */
  readSideFile(name: string): Promise<Uint8Array | undefined>
  /** Replaces the file atomically and durably. */
  writeSideFile(name: string, bytes: Uint8Array): Promise<void>
  /** Removes the file durably (nothing when absent). */
  removeSideFile(name: string): Promise<void>
  close(): Promise<void>
}
