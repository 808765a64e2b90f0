// The DataStream DSL (Flink's DataStream API in spirit, with Kafka Streams'
// tables). A job is a module: `defineJob` wraps a build function that every
// thread running the job calls the same way, so user functions never cross a
// thread boundary — each worker rebuilds them from the module, as Flink
// ships a jar.
import { StreamConfigError, requireNonNegative } from '../errors.js'
import type { AggregateFunction } from '../window/aggregate.js'
import { triggers, type Trigger } from '../window/triggers.js'
import { globalWindows, type WindowAssigner } from '../window/windows.js'
import type { SinkSpec } from '../sinks/spec.js'
import type { SourceSpec } from '../sources/spec.js'
import type { AggregateSpec, GraphNode, Key } from './graph.js'
import type { KeyedProcessFunction } from '../operators/keyed-process.js'

export type JobParams = Record<string, unknown>

export interface JobDefinition<P extends JobParams = JobParams> {
  readonly name: string
  /** URL of the module that exports this job (as its default export or `job`); workers import it. */
  readonly module?: string
  build(env: StreamEnvironment, params: P): void
}

/**
 * Declares a job. Pass `module: import.meta.url` so `runJob` can run it on
 * worker threads; `eddy run job.ts` and `runJob('./job.ts')` fill it in.
 */
export function defineJob<P extends JobParams = JobParams>(definition: {
  name: string
  module?: string | URL
  build(env: StreamEnvironment, params: P): void
}): JobDefinition<P> {
  if (typeof definition?.name !== 'string' || definition.name === '') throw new StreamConfigError('name', 'a job needs a non-empty name')
  if (typeof definition.build !== 'function') throw new StreamConfigError('build', 'must be a function (env, params) => void that declares the job')
  const job = { name: definition.name, module: definition.module === undefined ? undefined : String(definition.module), build: definition.build }
  // A worker that imports the module finds the job here even when the module does not export it.
  if (job.module !== undefined) declaredJobs.set(`${job.module}#${job.name}`, job)
  return job
}

const declaredJobs = new Map<string, JobDefinition<any>>()

/** A job `defineJob({ module, name })` declared while its module was loading. */
export function declaredJob(module: string, name: string): JobDefinition<any> | undefined {
  return declaredJobs.get(`${module}#${name}`)
}

/** The graph a build function produced. */
export interface JobGraph {
  readonly name: string
  readonly nodes: readonly GraphNode[]
}

/** Runs a job's build function and returns its graph (checked: every stream ends in a sink or feeds another). */
export function buildGraph(job: JobDefinition<any>, params: JobParams = {}): JobGraph {
  const env = new StreamEnvironment()
  job.build(env, params)
  const nodes = env.nodes
  if (!nodes.some((n) => n.kind === 'sink')) throw new StreamConfigError('job', `job "${job.name}" has no sink; end a stream with .sink(...)`)
  return { name: job.name, nodes }
}

type NodeDraft = GraphNode extends infer N ? (N extends GraphNode ? Omit<N, 'id'> : never) : never

export class StreamEnvironment {
  /** @internal */
  readonly nodes: GraphNode[] = []

  /** @internal */
  add(draft: NodeDraft): number {
    const id = this.nodes.length
    this.nodes.push({ ...draft, id } as GraphNode)
    return id
  }

  /** A stream read from a source (`sources.topic`, `sources.fromArray`, `sources.generator`, `sources.file`, `sources.nexmark`). */
  source<T>(spec: SourceSpec<T>): DataStream<T> {
    if (spec === undefined || typeof spec.open !== 'function') throw new StreamConfigError('source', 'expected a source such as sources.topic(...) or sources.fromArray(...)')
    return new DataStream<T>(this, this.add({ kind: 'source', name: spec.name, spec }))
  }

  /** A table: a keyed stream materialised latest-per-key (a null value deletes the key), like a KTable. */
  table<V>(spec: SourceSpec<V>, key: (value: V) => Key): Table<V> {
    const stream = this.source(spec)
    return new Table<V>(this, stream.keyBy(key).id)
  }
}

function checkFunction(option: string, fn: unknown): void {
  if (typeof fn !== 'function') throw new StreamConfigError(option, `must be a function, got ${fn === null ? 'null' : typeof fn}`)
}

export class DataStream<T> {
  constructor(
    protected readonly env: StreamEnvironment,
    /** @internal */ readonly id: number,
  ) {}

  map<U>(fn: (value: T) => U, name = 'map'): DataStream<U> {
    checkFunction('map', fn)
    return new DataStream<U>(this.env, this.env.add({ kind: 'map', name, input: this.id, fn }))
  }

  filter(fn: (value: T) => boolean, name = 'filter'): DataStream<T> {
    checkFunction('filter', fn)
    return new DataStream<T>(this.env, this.env.add({ kind: 'filter', name, input: this.id, fn }))
  }

  /** Zero or more outputs per record (an array or any iterable). */
  flatMap<U>(fn: (value: T) => Iterable<U>, name = 'flatMap'): DataStream<U> {
    checkFunction('flatMap', fn)
    return new DataStream<U>(this.env, this.env.add({ kind: 'flatMap', name, input: this.id, fn }))
  }

  /** Partitions the stream by key: records with one key meet in one task, with their state. */
  keyBy(fn: (value: T) => Key, name = 'keyBy'): KeyedStream<T> {
    checkFunction('keyBy', fn)
    return new KeyedStream<T>(this.env, this.env.add({ kind: 'keyBy', name, input: this.id, fn }))
  }

  /**
   * Names the operator that produced this stream, so that its state in a
   * checkpoint or savepoint finds it again after the job changes (operators
   * added, removed or reordered). Without one, a stateful operator is known
   * by its kind and name (and its rank among operators with the same ones).
   */
  uid(uid: string): this {
    if (typeof uid !== 'string' || uid.length === 0) throw new StreamConfigError('uid', `must be a non-empty string, got ${typeof uid === 'string' ? '""' : String(uid)}`)
    const node = this.env.nodes[this.id]
    if (node.uid !== undefined && node.uid !== uid) throw new StreamConfigError('uid', `operator ${node.id} (${node.name}) already has uid "${node.uid}"`)
    node.uid = uid
    return this
  }

  /** Merges streams of the same type. */
  union(...others: DataStream<T>[]): DataStream<T> {
    for (const other of others) if (other?.env !== this.env) throw new StreamConfigError('union', 'streams must come from the same job')
    return new DataStream<T>(this.env, this.env.add({ kind: 'union', name: 'union', inputs: [this.id, ...others.map((o) => o.id)] }))
  }

  /** Ends the stream in a sink (`sinks.topic`, `sinks.collect`, `sinks.callback`, `sinks.file`, `sinks.discard`). */
  sink(spec: SinkSpec<T>): void {
    if (spec === undefined || typeof spec.open !== 'function') throw new StreamConfigError('sink', 'expected a sink such as sinks.collect() or sinks.topic("name")')
    this.env.add({ kind: 'sink', name: spec.name, input: this.id, spec })
  }
}

export type { KeyedProcessFunction } from '../operators/keyed-process.js'

export class KeyedStream<T> extends DataStream<T> {
  window(assigner: WindowAssigner): WindowedStream<T> {
    if (assigner === undefined || typeof assigner.assign !== 'function') throw new StreamConfigError('window', 'expected a window assigner such as windows.tumbling({ size: 60_000 })')
    return new WindowedStream<T>(this.env, this.id, assigner)
  }

  /** Count windows: fires (and empties) each key's window every `size` records, like Flink's countWindow. */
  countWindow(size: number): WindowedStream<T> {
    return this.window(globalWindows()).trigger(triggers.count(size, { purge: true }))
  }

  /** Per-record processing with keyed state (value, list, map) and event- or processing-time timers. */
  process<OUT>(fn: KeyedProcessFunction<Key, T, OUT>, name = 'process'): ProcessedStream<OUT> {
    if (typeof fn?.processElement !== 'function') throw new StreamConfigError('process', 'expected { processElement(value, ctx), onTimer?(time, ctx) }')
    return new ProcessedStream<OUT>(this.env, this.env.add({ kind: 'process', name, input: this.id, fn }))
  }

  /** Window join (both sides keyed the same way): pairs of equal key in the same window. */
  join<R>(other: KeyedStream<R>): { window(assigner: WindowAssigner, options?: { allowedLatenessMs?: number }): { apply<OUT>(fn: (left: T, right: R, key: Key, window: { start: number; end: number }) => OUT): DataStream<OUT> } } {
    return {
      window: (assigner, options = {}) => ({
        apply: (fn) => {
          checkFunction('join.apply', fn)
          const lateness = options.allowedLatenessMs ?? 0
          requireNonNegative('allowedLatenessMs', lateness)
          return new DataStream(this.env, this.env.add({ kind: 'windowJoin', name: 'windowJoin', left: this.id, right: other.id, assigner, fn, allowedLatenessMs: lateness }))
        },
      }),
    }
  }

  /** Interval join: left l and right r of one key when l.ts + lower <= r.ts <= l.ts + upper. */
  intervalJoin<R>(other: KeyedStream<R>): { between(lowerBoundMs: number, upperBoundMs: number): { process<OUT>(fn: (left: T, right: R, key: Key) => OUT): DataStream<OUT> } } {
    return {
      between: (lowerBoundMs, upperBoundMs) => {
        if (!(lowerBoundMs <= upperBoundMs)) throw new StreamConfigError('intervalJoin.between', `lower bound ${lowerBoundMs} must be <= upper bound ${upperBoundMs}`)
        return {
          process: (fn) => {
            checkFunction('intervalJoin.process', fn)
            return new DataStream(this.env, this.env.add({ kind: 'intervalJoin', name: 'intervalJoin', left: this.id, right: other.id, lowerBoundMs, upperBoundMs, fn }))
          },
        }
      },
    }
  }

  /**
   * Stream–table join: each record meets the table's row for its key.
   * `temporal: true` (the default) joins against the table as of the record's
   * event time, so the answer does not depend on arrival order.
   */
  joinTable<V, OUT>(table: Table<V>, fn: (value: T, row: V | undefined, key: Key) => OUT, options: { mode?: 'inner' | 'left'; temporal?: boolean } = {}): DataStream<OUT> {
    checkFunction('joinTable', fn)
    if (!(table instanceof Table)) throw new StreamConfigError('joinTable', 'expected a table from env.table(...)')
    const mode = options.mode ?? 'inner'
    if (mode !== 'inner' && mode !== 'left') throw new StreamConfigError('joinTable.mode', `must be 'inner' or 'left', got ${String(mode)}`)
    return new DataStream(this.env, this.env.add({ kind: 'tableJoin', name: 'tableJoin', stream: this.id, table: table.id, fn, mode, temporal: options.temporal ?? true }))
  }
}

/** A table: materialised latest-per-key. Join streams against it with KeyedStream.joinTable. */
export class Table<V> {
  constructor(
    private readonly env: StreamEnvironment,
    /** @internal the keyBy node feeding it */ readonly id: number,
  ) {}
}

/** Output of `process` (and of windows): a stream with named side outputs. */
export class ProcessedStream<T> extends DataStream<T> {
  /** Records a process function sent to `ctx.output(tag, value)`, or, for windows, tag 'late': records too late for every window. */
  sideOutput<U = unknown>(tag: string): DataStream<U> {
    return new DataStream<U>(this.env, this.env.add({ kind: 'sideOutput', name: `sideOutput(${tag})`, input: this.id, tag }))
  }
}

export class WindowedStream<T> {
  private triggerValue: Trigger | undefined
  private lateness = 0

  constructor(
    private readonly env: StreamEnvironment,
    private readonly input: number,
    private readonly assigner: WindowAssigner,
  ) {}

  trigger(trigger: Trigger): this {
    this.triggerValue = trigger
    return this
  }

  allowedLateness(ms: number): this {
    requireNonNegative('allowedLateness', ms)
    this.lateness = ms
    return this
  }

  /**
   * Aggregates each window: one aggregate (`agg.avg((r) => r.value)`), several
   * named ones (`{ avg: agg.avg(...), max: agg.max(...) }` → a result object),
   * or your own AggregateFunction over whole records. Results are
   * `{ key, windowStart, windowEnd, result }`; late records go to
   * `.sideOutput('late')`.
   */
  aggregate<OUT>(aggregate: AggregateSpec<T, OUT> | AggregateFunction<T, any, OUT>): ProcessedStream<WindowedResult<OUT>>
  aggregate<S extends Record<string, AggregateSpec<T>>>(aggregates: S): ProcessedStream<WindowedResult<{ [K in keyof S]: S[K] extends AggregateSpec<any, infer O> ? O : never }>>
  aggregate(spec: any): ProcessedStream<WindowedResult<any>> {
    const aggregates = normaliseAggregates(spec)
    const label = isAggregateSpec(aggregates) ? aggregates.label : Object.keys(aggregates).join(',')
    const name = `window(${this.assigner.kind}).aggregate(${label})`
    return new ProcessedStream(
      this.env,
      this.env.add({ kind: 'window', name, input: this.input, assigner: this.assigner, trigger: this.triggerValue, allowedLatenessMs: this.lateness, aggregates }),
    )
  }

  /** Reduces each window's records with `fn` (a shorthand for an aggregate). */
  reduce(fn: (a: T, b: T) => T): ProcessedStream<WindowedResult<T>> {
    checkFunction('reduce', fn)
    const reduceFn: AggregateFunction<T, { has: boolean; value: T | undefined }, T> = {
      createAccumulator: () => ({ has: false, value: undefined }),
      add: (acc, v) => (acc.has ? { has: true, value: fn(acc.value as T, v) } : { has: true, value: v }),
      merge: (a, b) => (!a.has ? b : !b.has ? a : { has: true, value: fn(a.value as T, b.value as T) }),
      getResult: (acc) => acc.value as T,
    }
    return this.aggregate({ fn: reduceFn, label: 'reduce' })
  }
}

export interface WindowedResult<OUT> {
  key: Key
  windowStart: number
  windowEnd: number
  result: OUT
}

function isAggregateSpec(value: unknown): value is AggregateSpec {
  return typeof value === 'object' && value !== null && typeof (value as AggregateSpec).fn === 'object' && typeof (value as AggregateSpec).label === 'string'
}

function normaliseAggregates(spec: unknown): AggregateSpec | Record<string, AggregateSpec> {
  if (isAggregateSpec(spec)) return spec
  if (typeof spec === 'object' && spec !== null && typeof (spec as AggregateFunction<any, any, any>).createAccumulator === 'function') {
    return { fn: spec as AggregateFunction<any, any, any>, label: 'custom' }
  }
  if (typeof spec === 'object' && spec !== null) {
    const entries = Object.entries(spec)
    if (entries.length === 0) throw new StreamConfigError('aggregate', 'needs at least one aggregate')
    for (const [name, value] of entries) {
      if (!isAggregateSpec(value)) throw new StreamConfigError(`aggregate.${name}`, 'expected an aggregate such as agg.avg((r) => r.value)')
    }
    return spec as Record<string, AggregateSpec>
  }
  throw new StreamConfigError('aggregate', 'expected agg.count(), agg.avg((r) => r.value), an object of them, or an AggregateFunction')
}
