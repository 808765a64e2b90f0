// The built-in sinks. All but `discard` run in the coordinator (the thread
// that called runJob), which receives the batches of every task.
import { StreamConfigError } from '../errors.js'
import type { Key } from '../dsl/graph.js'
import type { SinkBatch, SinkContext, SinkSpec, SinkWriter } from './spec.js'
import { TransactionalTopicWriter, type TransactionalProducerLike } from './transactional-topic-writer.js'

export type { SinkBatch, SinkContext, SinkSpec, SinkWriter } from './spec.js'

let collectCounter = 0

/** Keeps every record; `runJob` returns them in `result.collected.get(name)`. Use for tests and small results. */
function collect<T>(name = `collect-${collectCounter++}`): SinkSpec<T> & { readonly collectName: string } {
  return {
    kind: 'collect',
    name: `sink(collect ${name})`,
    collectName: name,
    runsIn: 'coordinator',
    open(context: SinkContext): SinkWriter<T> {
      let out = context.collected.get(name)
      if (out === undefined) context.collected.set(name, (out = []))
      const target = out
      return {
        write(batch) {
          for (const value of batch.values) target.push(value)
        },
      }
    },
  }
}

/**
 * Calls `fn` in the coordinator for every record (or once per batch with
 * `{ batch: true }`); a returned promise holds the job back until it settles.
 */
function callback<T>(fn: (value: T, timestamp: number) => void | Promise<void>, options?: { name?: string; batch?: false }): SinkSpec<T>
function callback<T>(fn: (batch: SinkBatch<T>) => void | Promise<void>, options: { name?: string; batch: true }): SinkSpec<T>
function callback<T>(fn: (...args: any[]) => void | Promise<void>, options: { name?: string; batch?: boolean } = {}): SinkSpec<T> {
  if (typeof fn !== 'function') throw new StreamConfigError('sinks.callback', 'expects a function')
  return {
    kind: 'callback',
    name: options.name ?? 'sink(callback)',
    runsIn: 'coordinator',
    open: () => {
      // Calls never overlap: batches from every task reach `fn` one at a time, in arrival order.
      let tail: Promise<void> = Promise.resolve()
      const deliver = async (batch: SinkBatch<T>) => {
        if (options.batch) return fn(batch)
        for (let i = 0; i < batch.values.length; i++) {
          const pending = fn(batch.values[i], batch.timestamps[i])
          if (pending !== undefined) await pending
        }
      }
      return {
        write(batch) {
          tail = tail.then(() => deliver(batch))
          return tail
        },
        close: () => tail,
      }
    },
  }
}

/** Drops records in the task that produced them (benchmarks; metrics still count them). */
function discard<T>(): SinkSpec<T> {
  return { kind: 'discard', name: 'sink(discard)', runsIn: 'task', open: () => ({ write() {} }) }
}

export interface TopicSinkOptions<T> {
  /** The record key (default: the key the stream was keyed by, if any). */
  key?: (value: T) => Key | null
  /** How values are written. Default 'json'. */
  format?: 'json' | 'string' | ((value: T) => Uint8Array | string)
  /** Producer options (acks, compression, lingerMs, idempotent…). Default: acks 'all', idempotent. */
  producer?: Record<string, unknown>
  /**
   * Write in transactions committed with the job's checkpoints (two-phase
   * commit), so read_committed readers see each record exactly once across
   * crashes. Default: on when the job runs with guarantee 'exactly-once'.
   */
  exactlyOnce?: boolean
  /**
   * The transactional id (stable across restarts: a restarted job fences its
   * zombie with it). Default `eddy-sink:<job>:<topic>` (`eddy-sink:<topic>`
   * when opened outside a job); two sinks of one job writing the same topic
   * exactly-once need their own ids.
   */
  transactionalId?: string
  /** Transactions open longer are aborted by the broker (default 900 000 ms, the broker's maximum): keep it above the checkpoint interval. */
  transactionTimeoutMs?: number
}

interface ProducerLike {
  send(topic: string, records: { key: string | null; value: Uint8Array | string; timestamp?: number }[]): Promise<unknown>
  flush(): Promise<void>
  close(): Promise<void>
}

/** Writes to a topic of the embedded Eddy, keeping each record's event time as its timestamp. */
function topic<T>(name: string, options: TopicSinkOptions<T> = {}): SinkSpec<T> {
  if (typeof name !== 'string' || name === '') throw new StreamConfigError('sinks.topic', 'needs a topic name')
  const format = options.format ?? 'json'
  const encode: (value: T) => Uint8Array | string =
    typeof format === 'function' ? format : format === 'json' ? (v) => JSON.stringify(v) : format === 'string' ? (v) => String(v) : badFormat(format)
  return {
    kind: 'topic',
    name: `sink(topic ${name})`,
    runsIn: 'coordinator',
    open(context) {
      const eddy = context.eddy as { producer(options: Record<string, unknown>): ProducerLike } | undefined
      if (eddy === undefined) throw new StreamConfigError('sinks.topic', `sink topic "${name}" needs an Eddy: runJob(job, { eddy })`)
      const toRecords = (batch: SinkBatch<T>) => {
        const records: { key: string | null; value: Uint8Array | string; timestamp: number }[] = []
        for (let i = 0; i < batch.values.length; i++) {
          const value = batch.values[i]
          const key = options.key ? options.key(value) : batch.keys?.[i]
          records.push({ key: key === undefined || key === null ? null : String(key), value: encode(value), timestamp: Math.round(batch.timestamps[i]) })
        }
        return records
      }
      if (options.exactlyOnce ?? context.guarantee === 'exactly-once') {
        const transactionalId = options.transactionalId ?? (context.job === undefined ? `eddy-sink:${name}` : `eddy-sink:${context.job}:${name}`)
        const producerOptions = { ...options.producer, transactionalId, transactionTimeoutMs: options.transactionTimeoutMs ?? 900_000 }
        return new TransactionalTopicWriter({
          topic: name,
          transactionalId,
          newProducer: () => eddy.producer(producerOptions) as unknown as TransactionalProducerLike,
          toRecords: toRecords as (batch: SinkBatch<unknown>) => ReturnType<typeof toRecords>,
        }) as SinkWriter<T>
      }
      const producer = eddy.producer({ acks: 'all', idempotent: true, ...options.producer })
      return {
        async write(batch) {
          const records = toRecords(batch)
          if (records.length > 0) await producer.send(name, records)
        },
        async close() {
          await producer.flush()
          await producer.close()
        },
      }
    },
  }
}

function badFormat(format: unknown): never {
  throw new StreamConfigError('format', `must be 'json', 'string' or a function, got ${String(format)}`)
}

/**
 * Folds records into one value per task, where they are produced (no records
 * cross threads): `result.collected.get(name)` holds one folded value per task
 * — combine them yourself (counts add, checksums add, maxima take the max).
 */
function fold<T, A>(name: string, initial: () => A, step: (accumulator: A, value: T, timestamp: number) => A): SinkSpec<T> & { readonly collectName: string } {
  if (typeof initial !== 'function' || typeof step !== 'function') throw new StreamConfigError('sinks.fold', 'expects (name, initial: () => A, step: (acc, value, timestamp) => A)')
  return {
    kind: 'fold',
    name: `sink(fold ${name})`,
    collectName: name,
    runsIn: 'task',
    open() {
      let acc = initial()
      return {
        write(batch) {
          const { values, timestamps } = batch
          for (let i = 0; i < values.length; i++) acc = step(acc, values[i], timestamps[i])
        },
        result: () => acc,
      }
    },
  }
}

export const sinks = { collect, callback, discard, topic, fold }
