// The built-in sources. Each is a SourceSpec: how many splits it has and how
// to open a reader for one. Sources that only compute (arrays, generators)
// run their readers in the task threads; topics are read by the coordinator,
// which owns the log, and their batches are shipped to the tasks.
import { StreamConfigError, requireNonNegative, requirePositive } from '../errors.js'
import type { Key } from '../dsl/graph.js'
import type { SourceBatch, SourceContext, SourceReader, SourceSpec } from './spec.js'
import { NexmarkGenerator, type NexmarkEvent, type NexmarkOptions } from './nexmark.js'

export type { SourceBatch, SourceReader, SourceSpec, SourceContext } from './spec.js'

/** Options every source takes: event time and watermarks. */
export interface EventTimeOptions<T> {
  /** Event time of a record (ms). Default: the source's timestamp (a topic record's timestamp; arrival order for arrays). */
  timestamp?: (value: T, sourceTimestamp: number) => number
  /** How far behind the largest timestamp seen a record may arrive and still be on time. Default 0. */
  maxOutOfOrdernessMs?: number
  /** A split silent this long (ms of processing time) stops holding the watermark back. Default: never. */
  idleTimeoutMs?: number
  /** Records per batch. Default 1024. */
  batchSize?: number
  /** Name in metrics. */
  name?: string
}

/** Validates the event-time options every source takes (shared with the connectors). */
export function eventTimeOptions<T>(kind: string, options: EventTimeOptions<T>) {
  if (options.timestamp !== undefined && typeof options.timestamp !== 'function') throw new StreamConfigError(`${kind}.timestamp`, 'must be a function (record, sourceTimestamp) => ms')
  const maxOutOfOrdernessMs = options.maxOutOfOrdernessMs ?? 0
  requireNonNegative(`${kind}.maxOutOfOrdernessMs`, maxOutOfOrdernessMs)
  if (options.idleTimeoutMs !== undefined) requirePositive(`${kind}.idleTimeoutMs`, options.idleTimeoutMs)
  const batchSize = options.batchSize ?? 1024
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new StreamConfigError(`${kind}.batchSize`, `must be an integer >= 1, got ${String(batchSize)}`)
  return { timestamp: options.timestamp, maxOutOfOrdernessMs, idleTimeoutMs: options.idleTimeoutMs, batchSize }
}

/** A finite array (or any iterable) as one split; a record's default timestamp is its index. */
function fromArray<T>(values: Iterable<T>, options: EventTimeOptions<T> = {}): SourceSpec<T> {
  if (values === null || typeof (values as Iterable<T>)?.[Symbol.iterator] !== 'function') throw new StreamConfigError('fromArray', 'expected an array or iterable')
  return {
    kind: 'array',
    name: options.name ?? 'source(array)',
    runsIn: 'task',
    ...eventTimeOptions('fromArray', options),
    splits: () => 1,
    open(_split, _splits, _context, from = 0): SourceReader<T> {
      const iterator = values[Symbol.iterator]()
      let index = 0
      for (; index < from && !iterator.next().done; ) index++
      return {
        next(max) {
          const out: T[] = []
          const timestamps: number[] = []
          for (; out.length < max; ) {
            const step = iterator.next()
            if (step.done) break
            out.push(step.value)
            timestamps.push(index++)
          }
          return out.length === 0 ? null : { values: out, timestamps, position: index }
        },
      }
    },
  }
}

export interface GeneratorOptions<T> extends EventTimeOptions<T> {
  /** Builds record number `i` (0, 1, 2, …); must depend only on i so splits reproduce it. */
  generate: (index: number) => T
  /** Records in all (omit for an endless stream). */
  count?: number
  /** Records per second across all splits (omit for as fast as possible). */
  ratePerSecond?: number
  /** Splits (each produces the indices congruent to its number). Default: the job's parallelism. */
  splits?: number
}

/** A generated stream: record i = generate(i), optionally rate-limited; record i's default timestamp is i. */
function generator<T>(options: GeneratorOptions<T>): SourceSpec<T> {
  if (typeof options?.generate !== 'function') throw new StreamConfigError('generator.generate', 'must be a function (index) => record')
  if (options.count !== undefined && (!Number.isSafeInteger(options.count) || options.count < 0)) throw new StreamConfigError('generator.count', `must be an integer >= 0, got ${String(options.count)}`)
  if (options.ratePerSecond !== undefined) requirePositive('generator.ratePerSecond', options.ratePerSecond)
  const total = options.count ?? Infinity
  return {
    kind: 'generator',
    name: options.name ?? 'source(generator)',
    runsIn: 'task',
    ...eventTimeOptions('generator', options),
    splits: (parallelism) => options.splits ?? parallelism,
    open(split, splits, context, from): SourceReader<T> {
      let index = from ?? split
      const rate = options.ratePerSecond === undefined ? undefined : options.ratePerSecond / splits
      const started = context.nowMs()
      let produced = 0
      return {
        async next(max) {
          if (index >= total) return null
          let n = max
          if (rate !== undefined) {
            // Hold back until the schedule allows at least one record.
            const allowed = Math.floor(((context.nowMs() - started) / 1000) * rate) + 1 - produced
            if (allowed <= 0) {
              await new Promise((resolve) => setTimeout(resolve, Math.min(100, Math.max(1, 1000 / rate))))
              return { values: [], timestamps: [] }
            }
            n = Math.min(n, allowed)
          }
          const values: T[] = []
          const timestamps: number[] = []
          for (; values.length < n && index < total; index += splits) {
            values.push(options.generate(index))
            timestamps.push(index)
          }
          produced += values.length
          return { values, timestamps, position: index }
        },
      }
    },
  }
}

export interface TopicSourceOptions<T> extends EventTimeOptions<T> {
  /** How values are decoded. Default 'json'. */
  format?: 'json' | 'string' | 'bytes' | ((bytes: Uint8Array) => T)
  /**
   * Where to start: 'earliest' (default), 'latest', per-partition offsets, or
   * `{ timestamp: ms }`: in each partition the first record whose timestamp is
   * at or after it (the end when there is none) — a replay from a point in time.
   * A restored checkpoint's positions take precedence over all of these.
   */
  startFrom?: 'earliest' | 'latest' | Record<number, number> | { timestamp: number }
  /** Stop at the end offsets seen when the job starts (a bounded replay). Default false: run forever. */
  bounded?: boolean
  /** A record that does not decode: 'fail' the job (default) or 'skip' it (counted). */
  onDecodeError?: 'fail' | 'skip'
}

/** Minimal view of the embedded Eddy a topic source needs (kept structural: the stream core does not import the broker). */
interface EddyLike {
  admin: {
    describeTopic(name: string): Promise<{ partitions: readonly unknown[] }>
    listOffsets(topic: string, spec?: 'earliest' | 'latest', options?: { isolation?: 'read_committed' | 'read_uncommitted' }): Promise<{ partition: number; offset: number }[]>
  }
  consumer(options: Record<string, unknown>): {
    assign(partitions: { topic: string; partition: number }[]): void
    seek(tp: { topic: string; partition: number }, offset: number): void
    position(tp: { topic: string; partition: number }): Promise<number>
    offsetsForTimes(query: { topic: string; partition: number; timestamp: number }[]): Promise<{ offset: number | null }[]>
    poll(options: { maxRecords?: number; timeoutMs?: number }): Promise<{ offset: number; timestamp: number; key: Uint8Array | null; value: Uint8Array | null }[]>
    close(): Promise<void>
  }
}

/** Thrown when a topic record cannot be decoded: names where it is. */
export class RecordDecodeError extends Error {
  override name = 'RecordDecodeError'
}

const textDecoder = new TextDecoder()

function decoderFor<T>(format: TopicSourceOptions<T>['format']): (bytes: Uint8Array) => T {
  if (typeof format === 'function') return format
  switch (format ?? 'json') {
    case 'json':
      return (bytes) => JSON.parse(textDecoder.decode(bytes)) as T
    case 'string':
      return (bytes) => textDecoder.decode(bytes) as T
    case 'bytes':
      return (bytes) => bytes as T
    default:
      throw new StreamConfigError('topic.format', `must be 'json', 'string', 'bytes' or a function, got ${String(format)}`)
  }
}

/** A topic of the embedded Eddy: one split per partition (so per-partition watermarks), read by the coordinator. */
function topic<T = unknown>(name: string, options: TopicSourceOptions<T> = {}): SourceSpec<T> {
  if (typeof name !== 'string' || name === '') throw new StreamConfigError('topic', 'needs a topic name')
  const decode = decoderFor(options.format)
  const onDecodeError = options.onDecodeError ?? 'fail'
  if (onDecodeError !== 'fail' && onDecodeError !== 'skip') throw new StreamConfigError('topic.onDecodeError', `must be 'fail' or 'skip', got ${String(onDecodeError)}`)
  const eddyOf = (context: SourceContext): EddyLike => {
    if (context.eddy === undefined) throw new StreamConfigError('topic', `source topic "${name}" needs an Eddy: runJob(job, { eddy })`)
    return context.eddy as EddyLike
  }
  const startFrom = options.startFrom
  if (startFrom !== undefined && typeof startFrom === 'object' && 'timestamp' in startFrom && !(typeof startFrom.timestamp === 'number' && Number.isFinite(startFrom.timestamp))) {
    throw new StreamConfigError('topic.startFrom.timestamp', `must be a finite number of ms, got ${String(startFrom.timestamp)}`)
  }
  let partitionCount: number | undefined
  // End offsets of a bounded read, per partition, fixed when the split opens.
  const endOffsets = new Map<number, number>()
  return {
    kind: 'topic',
    name: options.name ?? `source(topic ${name})`,
    runsIn: 'coordinator',
    ...eventTimeOptions('topic', options),
    async splits(_parallelism) {
      return partitionCount ?? 0
    },
    async open(split, _splits, context, from): Promise<SourceReader<T>> {
      const eddy = eddyOf(context)
      const consumer = eddy.consumer({ valueDeserializer: 'bytes', keyDeserializer: 'bytes', autoOffsetReset: 'earliest' })
      const tp = { topic: name, partition: split }
      consumer.assign([tp])
      // Where reading starts, so that a checkpoint taken before the first record records it (not offset 0).
      let startOffset: number | undefined
      const seek = (offset: number) => {
        consumer.seek(tp, offset)
        startOffset = offset
      }
      const start = options.startFrom ?? 'earliest'
      const byTime = typeof start === 'object' && 'timestamp' in start ? (start.timestamp as number) : undefined
      if (start === 'latest' || options.bounded || byTime !== undefined) {
        // The consumer reads committed data only, so the end is the last stable offset (an open transaction's records are past it).
        const latest = (await eddy.admin.listOffsets(name, 'latest', { isolation: 'read_committed' })).find((p) => p.partition === split)?.offset ?? 0
        if (start === 'latest') seek(latest)
        if (byTime !== undefined) seek((await consumer.offsetsForTimes([{ ...tp, timestamp: byTime }]))[0]?.offset ?? latest)
        if (options.bounded) endOffsets.set(split, latest)
      }
      if (typeof start === 'object' && byTime === undefined && (start as Record<number, number>)[split] !== undefined) seek((start as Record<number, number>)[split])
      if (from !== undefined) seek(from)
      const end = options.bounded ? endOffsets.get(split) : undefined
      let position = (startOffset ?? 0) - 1
      let skipped = 0
      return {
        async next(max) {
          // The consumer's position also moves past transaction markers and aborted batches, which no record reports.
          if (end !== undefined && (position >= end - 1 || (await consumer.position(tp)) >= end)) return null
          const records = await consumer.poll({ maxRecords: max, timeoutMs: 50 })
          const values: T[] = []
          const timestamps: number[] = []
          const keys: Key[] = []
          for (const record of records) {
            if (end !== undefined && record.offset >= end) break
            position = record.offset
            let value: T
            try {
              if (record.value === null) throw new Error('the value is null')
              value = decode(record.value)
            } catch (error) {
              if (onDecodeError === 'skip') {
                skipped++
                continue
              }
              throw new RecordDecodeError(`topic ${name} partition ${split} offset ${record.offset}: cannot decode the value (${(error as Error).message})`)
            }
            values.push(value)
            timestamps.push(record.timestamp)
            keys.push(record.key === null ? '' : textDecoder.decode(record.key))
          }
          return { values, timestamps, keys, position: position + 1 }
        },
        close: () => consumer.close(),
        get skipped() {
          return skipped
        },
      } as SourceReader<T>
    },
    async prepare(context: SourceContext) {
      partitionCount = (await eddyOf(context).admin.describeTopic(name)).partitions.length
    },
  }
}

export interface NexmarkSourceOptions extends NexmarkOptions, Omit<EventTimeOptions<NexmarkEvent>, 'timestamp'> {
  /** Splits (default: the job's parallelism); together they are exactly the unsplit stream. */
  splits?: number
}

/** The Nexmark benchmark's persons, auctions and bids (event time = dateTime), split across tasks. */
function nexmark(options: NexmarkSourceOptions): SourceSpec<NexmarkEvent> {
  if (!Number.isSafeInteger(options?.events) || options.events < 0) throw new StreamConfigError('nexmark.events', `must be an integer >= 0, got ${String(options?.events)}`)
  if (options.splits !== undefined && (!Number.isSafeInteger(options.splits) || options.splits < 1)) throw new StreamConfigError('nexmark.splits', `must be an integer >= 1, got ${String(options.splits)}`)
  if (options.splitBlock !== undefined && (!Number.isSafeInteger(options.splitBlock) || options.splitBlock < 1)) throw new StreamConfigError('nexmark.splitBlock', `must be an integer >= 1, got ${String(options.splitBlock)}`)
  return {
    kind: 'nexmark',
    name: options.name ?? 'source(nexmark)',
    runsIn: 'task',
    ...eventTimeOptions('nexmark', options),
    splits: (parallelism) => options.splits ?? parallelism,
    open(split, splits, _context, from) {
      const generator = new NexmarkGenerator({ events: options.events, firstEventTime: options.firstEventTime, eventsPerSecond: options.eventsPerSecond, seed: options.seed, split, splits, splitBlock: options.splitBlock })
      if (from !== undefined) generator.seek(from)
      return { next: (max) => generator.nextBatch(max) }
    },
  }
}

export const sources = { fromArray, generator, topic, nexmark }
