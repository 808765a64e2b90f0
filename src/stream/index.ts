// The stream processor's public surface (so far: event time, watermarks, windows).
export { StreamConfigError, StreamInputError } from './errors.js'
export {
  BoundedOutOfOrdernessWatermarks,
  CombinedWatermark,
  PartitionedWatermarks,
  MIN_WATERMARK,
  MAX_WATERMARK,
} from './time/watermarks.js'
export type {
  TimestampExtractor,
  WatermarkGenerator,
  BoundedOutOfOrdernessOptions,
  CombinedWatermarkOptions,
  PartitionedWatermarkOptions,
} from './time/watermarks.js'
export { tumbling, sliding, session, globalWindows, maxTimestamp } from './window/windows.js'
export type { TimeWindow, WindowAssigner, TumblingOptions, SlidingOptions, SessionOptions } from './window/windows.js'
export { count, sum, min, max, avg, ObjectAccumulatorStore, NumericAccumulatorStore, storeFor } from './window/aggregate.js'
export type { AggregateFunction, AccumulatorStore } from './window/aggregate.js'
export { triggers } from './window/triggers.js'
export type { Trigger } from './window/triggers.js'
export { WindowOperator } from './window/operator.js'
export type { KeyedBatch, WindowResult, LateRecord, WindowOutput, WindowOperatorOptions, WindowOperatorStats } from './window/operator.js'

import { avg, count, max, min, sum } from './window/aggregate.js'
import { globalWindows, session, sliding, tumbling } from './window/windows.js'

/** The window assigners under one name (the package root exports these groupings, not the bare functions). */
export const windows = { tumbling, sliding, session, global: globalWindows } as const
/** The built-in aggregates (count, sum, min, max, avg). */
export const aggregates = { count, sum, min, max, avg } as const

// The DataStream DSL and its sources and sinks.
export { defineJob, buildGraph, StreamEnvironment, DataStream, KeyedStream, WindowedStream, ProcessedStream, Table } from './dsl/job.js'
export type { JobDefinition, JobGraph, JobParams, WindowedResult, KeyedProcessFunction } from './dsl/job.js'
export type { Key, AggregateSpec } from './dsl/graph.js'
export { agg, type AllMax } from './dsl/aggregates.js'
export { sources, RecordDecodeError } from './sources/index.js'
export type { SourceSpec, SourceReader, SourceBatch, EventTimeOptions, GeneratorOptions, TopicSourceOptions, NexmarkSourceOptions } from './sources/index.js'
export { sinks } from './sinks/index.js'
export type { SinkSpec, SinkWriter, SinkBatch, TopicSinkOptions } from './sinks/index.js'
export { NexmarkGenerator, PERSON, AUCTION, BID } from './sources/nexmark.js'
export type { NexmarkEvent, Person, Auction, Bid, NexmarkOptions } from './sources/nexmark.js'
export { approxDistinct, topK, quantiles, decayingAvg } from './window/sketch-aggregates.js'
