// The package root: `import { ... } from 'eddy'`.
export {
  murmur2,
  defaultPartition,
  murmur3_32,
  xxhash32,
  xxhash64,
  crc32c,
  murmur2Batch,
  defaultPartitionBatch,
  murmur3_32Batch,
  xxhash32Batch,
  xxhash64Batch,
  crc32cBatch,
} from './hash.js'
export type { HashInput, KeyBatch, PackedKeys } from './hash.js'
export { SketchFormatError, SketchFamily } from './sketch/format.js'
export { WasmSketch } from './sketch/wasm-sketch.js'
export { BloomFilter, bloomFilterSize, BLOOM_BIT_COUNT_MAX, BLOOM_HASH_COUNT_MAX } from './sketch/bloom.js'
export type { BloomFilterOptions, BloomFilterSize } from './sketch/bloom.js'
export { HyperLogLog, HLL_PRECISION_MIN, HLL_PRECISION_MAX, HLL_PRECISION_DEFAULT } from './sketch/hyperloglog.js'
export type { HyperLogLogOptions } from './sketch/hyperloglog.js'
export { CountMinSketch, countMinSketchSize, CMS_CELL_COUNT_MAX } from './sketch/count-min.js'
export type { CountMinSketchOptions, CountMinSketchSize } from './sketch/count-min.js'
export { HeavyHitters, HEAVY_HITTERS_CAPACITY_MAX } from './sketch/heavy-hitters.js'
export type { HeavyHittersOptions, HeavyHitter } from './sketch/heavy-hitters.js'
export { ReservoirSampler, RESERVOIR_SIZE_MAX } from './sketch/reservoir.js'
export type { ReservoirSamplerOptions } from './sketch/reservoir.js'
export { DecayingAggregate, DecayingAggregateTable, DECAY_TABLE_KEYS_MAX } from './sketch/decaying.js'
export type { DecayingAggregateOptions, DecayingAggregateTableOptions, DecayKey } from './sketch/decaying.js'
export { QuantileSketch, QUANTILE_K_MIN, QUANTILE_K_MAX, QUANTILE_K_DEFAULT, QUANTILE_LEVELS_MAX } from './sketch/quantile.js'
export type { QuantileSketchOptions } from './sketch/quantile.js'
export { encodeRecordBatch, decodeRecordBatch, DecodedBatch, nextOffsetOf } from './log/record-batch.js'
export type { RecordInput, EncodeOptions, DecodeOptions, DecodedRecord, RecordHeader } from './log/record-batch.js'
export { CorruptBatchError } from './log/batch-header.js'
export type { BatchHeader, CompressionCodec } from './log/batch-header.js'
export { compress, decompress, zstdReady, CompressionError, DecompressionLimitError } from './log/compression/index.js'
export { recordsPerBatchMax, batchBytesMax, decompressedBytesMax } from './log/limits.js'
export { PartitionLog, WRITE_ROUND_BYTES_MAX } from './log/partition-log.js'
export type { PartitionLogOptions, AppendResult, ReadOptions, ReadResult, RetentionResult, SegmentInfo } from './log/partition-log.js'
export { TopicStore, PARTITIONS_PER_TOPIC_MAX } from './log/topic-store.js'
export type { TopicStoreOptions, TopicDescription, PartitionDescription, TopicStoreOpenReport } from './log/topic-store.js'
export type { RecoveryReport, RecoveryMode, Truncation } from './log/recovery.js'
export type { CleanerStats } from './log/cleaner.js'
export { DEFAULT_LOG_CONFIG, TOPIC_CONFIG_KEYS, logConfigFrom, validateTopicConfig, describeLogConfig } from './log/log-config.js'
export type { LogConfig, FlushPolicy, TopicConfigInput } from './log/log-config.js'
export { validateTopicName, TOPIC_NAME_LENGTH_MAX } from './log/topic-name.js'
export {
  LogError,
  OffsetOutOfRangeError,
  InvalidBatchError,
  InvalidConfigError,
  InvalidTopicError,
  TopicExistsError,
  UnknownTopicError,
  LogClosedError,
  LogFormatError,
  CorruptRangeError,
} from './log/errors.js'
export type { CorruptRange } from './log/errors.js'
export { MemoryStorage } from './log/storage/memory.js'
export type { CrashOptions, FaultHook } from './log/storage/memory.js'
export { StorageError } from './log/storage/storage.js'
export type { Storage, StorageFile, OpenOptions } from './log/storage/storage.js'
export { Eddy } from './eddy.js'
export type { EddyOptions } from './eddy.js'
export { Producer } from './client/producer.js'
export type { ProducerOptions, ProducerRecord, RecordMetadata, Acks } from './client/producer.js'
export { Consumer, NoOffsetForPartitionError } from './client/consumer.js'
export type { ConsumerOptions, ConsumerRecord, ConsumerBatch, PollOptions, RebalanceListener } from './client/consumer.js'
export { Admin } from './client/admin.js'
export type { TopicInfo, GroupInfo, OffsetSpec, ResetSpec } from './client/admin.js'
export type { Serializer, Deserializer } from './client/serde.js'
export type { PartitionerFunction, PartitionerName } from './client/partitioners.js'
export { KafkaError, KafkaErrors } from './broker/errors.js'
export { createAssignor, RangeAssignor, RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor } from './broker/assignors/index.js'
export type { TopicPartition, AssignorName, PartitionAssignor } from './broker/assignors/index.js'
export {
  StreamConfigError,
  StreamInputError,
  BoundedOutOfOrdernessWatermarks,
  CombinedWatermark,
  PartitionedWatermarks,
  MIN_WATERMARK,
  MAX_WATERMARK,
  WindowOperator,
  windows,
  aggregates,
  triggers,
  ObjectAccumulatorStore,
  NumericAccumulatorStore,
  defineJob,
  buildGraph,
  StreamEnvironment,
  DataStream,
  KeyedStream,
  WindowedStream,
  ProcessedStream,
  Table,
  agg,
  RecordDecodeError,
  NexmarkGenerator,
} from './stream/index.js'
import { sources as coreSources, sinks as coreSinks } from './stream/index.js'
import { fileSink, fileSource } from './connect/file.js'
export type { FileSourceOptions } from './connect/file.js'
import { sqliteSink } from './connect/sqlite-upsert.js'
export { readSqliteCheckpoint } from './connect/sqlite-upsert.js'
export type { SqliteSinkOptions, SqliteSinkWriter } from './connect/sqlite-upsert.js'
/** Stream sources: fromArray, generator, topic, file (Node). */
export const sources = { ...coreSources, file: fileSource }
/** Stream sinks: collect, callback, discard, topic, file (Node), sqlite (Node, exactly once). */
export const sinks = { ...coreSinks, file: fileSink, sqlite: sqliteSink }
export { runJob, startJob, loadJob } from './runtime/run-job.js'
export type { RunJobOptions, JobResult, JobHandle, CheckpointsOptions, Savepoint, DeliveryGuarantee, RestartStrategy, Checkpoint } from './runtime/run-job.js'
export { JobFailedError } from './runtime/supervisor.js'
export type { JobMetrics, OperatorMetrics, CheckpointMetrics } from './runtime/metrics.js'
export type {
  TimestampExtractor,
  WatermarkGenerator,
  BoundedOutOfOrdernessOptions,
  CombinedWatermarkOptions,
  PartitionedWatermarkOptions,
  TimeWindow,
  WindowAssigner,
  TumblingOptions,
  SlidingOptions,
  SessionOptions,
  AggregateFunction,
  AccumulatorStore,
  Trigger,
  KeyedBatch,
  WindowResult,
  LateRecord,
  WindowOutput,
  WindowOperatorOptions,
  WindowOperatorStats,
  JobDefinition,
  JobGraph,
  JobParams,
  WindowedResult,
  KeyedProcessFunction,
  Key,
  AggregateSpec,
  AllMax,
  SourceSpec,
  SourceReader,
  SourceBatch,
  EventTimeOptions,
  GeneratorOptions,
  TopicSourceOptions,
  NexmarkSourceOptions,
  NexmarkEvent,
  SinkSpec,
  SinkWriter,
  SinkBatch,
  TopicSinkOptions,
} from './stream/index.js'
