// The keyBy exchange and the window operator as runtime nodes.
import { StreamInputError } from '../stream/errors.js'
import type { AggregateSpec, GraphNode, Key } from '../stream/dsl/graph.js'
import { WindowOperator, type WindowResult } from '../stream/window/operator.js'
import { max, min, sum, type AggregateFunction } from '../stream/window/aggregate.js'

/** How partial results of a built-in merge: counts add up, sums add up, minima and maxima. */
const MERGE_BUILTIN = { count: sum, sum, min, max } as const
import type { Batch } from './nodes.js'
import { RuntimeNode, UserFunctionError } from './nodes.js'
import { keyGroupOf, taskOfKeyGroup } from './key-groups.js'
import { WINDOWS_PER_PANE_ID, paneCombiner, type Combiner } from './pane-combiner.js'

/** Messages between tasks: a batch, a watermark or the end of one channel of one node. */
export type ExchangeMessage =
  | { node: number; channel: number; kind: 'batch'; batch: Batch }
  | { node: number; channel: number; kind: 'watermark'; watermark: number }
  | { node: number; channel: number; kind: 'end' }

/** Where a keyBy sends what is not for its own task. */
export interface Exchange {
  send(task: number, message: ExchangeMessage): void
}

interface KeyedConsumer {
  node: RuntimeNode
  /** The consumer's first channel for this keyBy (channel = base + sending task). */
  base: number
}

/**
 * Computes each record's key, routes it to the task owning its key group, and
 * broadcasts watermarks and the end to every task. Records for this task go
 * straight down the chain, the rest through the exchange.
 */
export class KeyByNode extends RuntimeNode {
  readonly consumers: KeyedConsumer[] = []
  private readonly fn: (value: any) => Key
  /**
   * Set when every consumer is a window that only reads selected numbers: the
   * records are reduced to those before they cross to another task, so a
   * batch travels as a few number columns instead of whole records.
   */
  projection: ((values: unknown[]) => unknown[]) | undefined
  /**
   * Set when the only consumer is a tumbling window over mergeable custom
   * aggregates: each batch is pre-aggregated per (key, window) before it is
   * routed (Flink's mini-batch local aggregation), so one accumulator per
   * group crosses threads instead of every record.
   */
  combiner: Combiner | undefined

  constructor(
    node: GraphNode & { kind: 'keyBy' },
    private readonly task: number,
    private readonly parallelism: number,
    private readonly maxParallelism: number,
    private readonly exchange: Exchange,
  ) {
    super(node)
    this.fn = node.fn
  }

  private keysOf(values: unknown[]): Key[] {
    const n = values.length
    const keys = new Array<Key>(n)
    const fn = this.fn
    for (let i = 0; i < n; i++) {
      let k: Key
      try {
        k = fn(values[i])
      } catch (error) {
        throw new UserFunctionError(this.graphNode, error)
      }
      if (typeof k !== 'string' && (typeof k !== 'number' || !Number.isFinite(k))) {
        throw new StreamInputError(`operator ${this.graphNode.id} (${this.graphNode.name}): the key of record ${i} is ${typeof k === 'number' ? k : typeof k}; keys must be strings or finite numbers`)
      }
      keys[i] = k
    }
    return keys
  }

  protected onBatch(_channel: number, input: Batch): void {
    let keys = this.keysOf(input.values)
    this.recordsOut += keys.length
    let batch = this.projection === undefined ? input : { values: this.projection(input.values), timestamps: input.timestamps }
    if (this.combiner !== undefined) ({ batch, keys } = this.combiner(batch, keys))
    if (this.parallelism === 1) {
      const keyed = { values: batch.values, timestamps: batch.timestamps, keys }
      for (const c of this.consumers) c.node.push(c.base, keyed)
      return
    }
    const p = this.parallelism
    const rows: number[][] = Array.from({ length: p }, () => [])
    for (let i = 0; i < keys.length; i++) rows[taskOfKeyGroup(keyGroupOf(keys[i], this.maxParallelism), this.maxParallelism, p)].push(i)
    for (let t = 0; t < p; t++) {
      const picked = rows[t]
      if (picked.length === 0) continue
      const m = picked.length
      const values = new Array(m)
      const timestamps = new Float64Array(m)
      const subKeys = new Array<Key>(m)
      for (let j = 0; j < m; j++) {
        const r = picked[j]
        values[j] = batch.values[r]
        timestamps[j] = batch.timestamps[r]
        subKeys[j] = keys[r]
      }
      const sub: Batch = { values, timestamps, keys: subKeys }
      for (const c of this.consumers) {
        if (t === this.task) c.node.push(c.base + this.task, sub)
        else this.exchange.send(t, { node: c.node.graphNode.id, channel: c.base + this.task, kind: 'batch', batch: sub })
      }
    }
  }

  override emitWatermark(watermark: number): void {
    for (const c of this.consumers) {
      for (let t = 0; t < this.parallelism; t++) {
        if (t === this.task) c.node.pushWatermark(c.base + t, watermark)
        else this.exchange.send(t, { node: c.node.graphNode.id, channel: c.base + this.task, kind: 'watermark', watermark })
      }
    }
  }

  override emitEnd(): void {
    for (const c of this.consumers) {
      for (let t = 0; t < this.parallelism; t++) {
        if (t === this.task) c.node.pushEnd(c.base + t)
        else this.exchange.send(t, { node: c.node.graphNode.id, channel: c.base + this.task, kind: 'end' })
      }
    }
  }
}

/** What the window node needs of an aggregator (WindowOperator, or the Wasm pane fast path). */
export interface WindowAggregatorLike {
  processBatch(batch: { keys: ArrayLike<Key>; timestamps: Float64Array; values: ArrayLike<unknown> }): { results: WindowResult<unknown>[]; late: { key: Key; timestamp: number; value: unknown; row: number }[] }
  advanceWatermark(watermark: number): WindowResult<unknown>[]
  advanceProcessingTime?(nowMs: number): WindowResult<unknown>[]
  stats(): { windows: number; lateRecords: number }
  /** Present on aggregators whose state can be checkpointed; undefined when this one's cannot. */
  /** With `headroom` (when snapshotHeadroom is true), the bytes returned begin with that many free bytes before the snapshot. */
  snapshot?(headroom?: number): Uint8Array | undefined
  /** True when snapshot(headroom) honours headroom. */
  readonly snapshotHeadroom?: boolean
}

export type AggregatorOptions = { assigner: any; aggregate: any; trigger?: any; allowedLatenessMs: number }

export type AggregatorFactory = ((options: AggregatorOptions) => WindowAggregatorLike) & {
  /** Rebuilds an aggregator from snapshot bytes. */
  restore?(options: AggregatorOptions, bytes: Uint8Array): WindowAggregatorLike
}

const defaultFactory: AggregatorFactory = Object.assign((options: AggregatorOptions) => new WindowOperator(options) as unknown as WindowAggregatorLike, {
  restore: (options: AggregatorOptions, bytes: Uint8Array) => WindowOperator.restore(options, bytes) as unknown as WindowAggregatorLike,
})

/**
 * A keyed window with one aggregate or several named ones (one aggregator
 * each, fed the same records, so their results line up window by window).
 */
export class WindowNode extends RuntimeNode {
  private readonly parts: { name: string | undefined; select: ((r: any) => unknown) | undefined; aggregator: WindowAggregatorLike; numeric: boolean; options: AggregatorOptions }[]

  /** Values arrive already selected by the keyBy (see KeyByNode.projection). */
  private preselected = false

  constructor(
    node: GraphNode & { kind: 'window' },
    private readonly factory: AggregatorFactory = defaultFactory,
  ) {
    super(node)
    const specs: [string | undefined, AggregateSpec][] =
      typeof (node.aggregates as AggregateSpec).label === 'string' ? [[undefined, node.aggregates as AggregateSpec]] : Object.entries(node.aggregates as Record<string, AggregateSpec>)
    this.parts = specs.map(([name, spec]) => {
      const options: AggregatorOptions = { assigner: node.assigner, aggregate: spec.fn, trigger: node.trigger, allowedLatenessMs: node.allowedLatenessMs }
      // count ignores its input; the numeric built-ins read one number per record.
      return { name, select: spec.select, options, aggregator: factory(options), numeric: spec.fn.numericInput === true || spec.label === 'count' }
    })
  }

  /** One length-prefixed snapshot per aggregate, or undefined when one of them cannot snapshot. */
  override snapshot(): Uint8Array | undefined {
    // One aggregate (the common case): its snapshot is written after room for the one-part header, not copied behind it.
    if (this.parts.length === 1) {
      const aggregator = this.parts[0].aggregator
      if (aggregator.snapshotHeadroom !== true) {
        const bytes = aggregator.snapshot?.()
        return bytes === undefined ? undefined : joinParts([bytes])
      }
      const bytes = aggregator.snapshot?.(JOIN_HEADER_ONE_PART)
      return bytes === undefined ? undefined : frameOnePart(bytes)
    }
    const parts: Uint8Array[] = []
    for (const p of this.parts) {
      const bytes = p.aggregator.snapshot?.()
      if (bytes === undefined) return undefined
      parts.push(bytes)
    }
    return joinParts(parts)
  }

  override restore(bytes: Uint8Array): void {
    const restore = this.factory.restore
    if (restore === undefined) throw new StreamInputError(`operator ${this.graphNode.id} (${this.graphNode.name}): this build cannot restore window state`)
    const parts = splitParts(bytes, this.parts.length, this.graphNode.name)
    this.parts.forEach((p, i) => (p.aggregator = restore(p.options, parts[i])))
  }

  /**
   * The projection a keyBy may apply for this window, or undefined when the
   * window needs whole records (a custom aggregate, or a late side output,
   * which carries the original records).
   */
  projection(): ((values: unknown[]) => unknown[]) | undefined {
    if (this.sideOutputs.has('late') || !this.parts.every((p) => p.numeric && (p.select !== undefined || p.name === undefined || this.parts.length === 1))) return undefined
    const parts = this.parts
    if (parts.length === 1) {
      const select = parts[0].select
      if (select === undefined) return parts[0].numeric && this.graphNode.name.includes('count') ? (values) => new Array(values.length).fill(0) : undefined
      return (values) => {
        const n = values.length
        const out = new Array(n)
        for (let i = 0; i < n; i++) out[i] = select(values[i])
        return out
      }
    }
    if (!parts.every((p) => p.select !== undefined || p.aggregator === undefined)) return undefined
    return (values) =>
      values.map((v) => {
        const row: Record<string, unknown> = {}
        for (const p of parts) row[p.name as string] = p.select === undefined ? 0 : p.select(v)
        return row
      })
  }

  usePreselected(): void {
    this.preselected = true
  }

  /** The pre-aggregation a keyBy may apply for this window (see KeyByNode.combiner), or undefined. */
  combiner(parallelism: number): Combiner | undefined {
    const node = this.graphNode as GraphNode & { kind: 'window' }
    if (node.trigger !== undefined && node.trigger.kind !== 'eventTime') return undefined
    if (this.sideOutputs.has('late') || node.assigner.merging || node.assigner.isGlobal) return undefined
    if (node.assigner.maxWindowsPerRecord >= WINDOWS_PER_PANE_ID) return undefined
    // Built-in count/sum/min/max combine per pane (records with the same set of windows) and are
    // merged downstream by the Wasm panes as sum/sum/min/max; custom mergeable aggregates combine per
    // tumbling window, and their accumulators cross threads only if they are plain data.
    const combinable = (fn: AggregateFunction<any, any, any>) =>
      fn.builtin !== undefined
        ? fn.builtin !== 'avg'
        : node.assigner.kind === 'tumbling' && typeof fn.merge === 'function' && fn.createStore === undefined && (parallelism === 1 || fn.portableAccumulator === true)
    if (!this.parts.every((p) => combinable(p.options.aggregate))) return undefined
    if (this.parts.some((p) => p.options.aggregate.builtin !== undefined) && !this.parts.every((p) => p.options.aggregate.builtin !== undefined)) return undefined
    // Captured now: usePartials() swaps the parts' functions for merging ones.
    return paneCombiner(
      node.assigner,
      this.parts.map((p) => ({ name: p.name, select: p.select, fn: p.options.aggregate as AggregateFunction<unknown, unknown, unknown> })),
    )
  }

  /** Inputs are now partial accumulators: each aggregate merges them instead of adding records. */
  usePartials(): void {
    this.preselected = true
    for (const p of this.parts) {
      const fn = p.options.aggregate
      // The accumulators are the function's own, so they stay checkpointable when it declares them plain data.
      const merging = fn.builtin !== undefined ? MERGE_BUILTIN[fn.builtin as 'count' | 'sum' | 'min' | 'max']() : { createAccumulator: () => fn.createAccumulator(), add: (acc: unknown, partial: unknown) => fn.merge(acc, partial), merge: (a: unknown, b: unknown) => fn.merge(a, b), getResult: (acc: unknown) => fn.getResult(acc), portableAccumulator: fn.portableAccumulator }
      p.options = { ...p.options, aggregate: merging }
      p.aggregator = this.factory(p.options)
      p.select = undefined
    }
  }

  private column(name: string | undefined, select: ((r: any) => unknown) | undefined, values: unknown[]): ArrayLike<unknown> {
    if (this.preselected) return name === undefined ? values : values.map((v) => (v as Record<string, unknown>)[name])
    if (select === undefined) return values
    const n = values.length
    const out = new Array(n)
    try {
      for (let i = 0; i < n; i++) out[i] = select(values[i])
    } catch (error) {
      throw new UserFunctionError(this.graphNode, error)
    }
    return out
  }

  protected onBatch(_channel: number, batch: Batch): void {
    const keys = batch.keys
    if (keys === undefined) throw new StreamInputError(`operator ${this.graphNode.id} (${this.graphNode.name}) needs a keyed stream`)
    // Compute every column first so a bad value rejects the batch before any aggregator applies it.
    const columns = this.parts.map((p) => this.column(p.name, p.select, batch.values))
    const outputs = this.parts.map((p, i) => p.aggregator.processBatch({ keys, timestamps: batch.timestamps, values: columns[i] }))
    const late = outputs[0].late
    if (late.length > 0) {
      this.lateRecords += late.length
      this.emitSide('late', { values: late.map((l) => batch.values[l.row]), timestamps: Float64Array.from(late, (l) => l.timestamp), keys: late.map((l) => l.key) })
    }
    this.emitResults(outputs.map((o) => o.results))
  }

  protected override onWatermark(watermark: number): void {
    this.emitResults(this.parts.map((p) => p.aggregator.advanceWatermark(watermark)))
    this.emitWatermark(watermark)
  }

  override tick(nowMs: number): void {
    if (this.parts[0].aggregator.advanceProcessingTime === undefined) return
    this.emitResults(this.parts.map((p) => (p.aggregator.advanceProcessingTime as (n: number) => WindowResult<unknown>[])(nowMs)))
  }

  private emitResults(perPart: WindowResult<unknown>[][]): void {
    const first = perPart[0]
    const n = first.length
    if (n === 0) return
    for (let p = 1; p < perPart.length; p++) perPart[p] = alignedWith(first, perPart[p], this.graphNode.name)
    const values = new Array(n)
    const timestamps = new Float64Array(n)
    const keys = new Array<Key>(n)
    for (let i = 0; i < n; i++) {
      const r = first[i]
      let result: unknown = r.result
      if (this.parts[0].name !== undefined) {
        const combined: Record<string, unknown> = {}
        for (let p = 0; p < this.parts.length; p++) combined[this.parts[p].name as string] = perPart[p][i].result
        result = combined
      }
      values[i] = { key: r.key, windowStart: r.windowStart, windowEnd: r.windowEnd, result }
      timestamps[i] = r.windowEnd - 1
      keys[i] = r.key
    }
    this.emit({ values, timestamps, keys })
  }

  override stateSize(): number {
    let total = 0
    for (const p of this.parts) total += p.aggregator.stats().windows
    return total
  }
}


/**
 * `results` in the order of `first` (same key and window at each index). The
 * aggregators of one window operator fire the same windows, but not always in
 * the same order (the Wasm panes and the JS operator order keys differently,
 * e.g. after a restore), so a mismatch falls back to pairing by key and window.
 */
function alignedWith(first: WindowResult<unknown>[], results: WindowResult<unknown>[], operator: string): WindowResult<unknown>[] {
  const n = first.length
  if (results.length !== n) throw new Error(`window operator ${operator}: its aggregates fired ${n} and ${results.length} windows at once`)
  let i = 0
  while (i < n && results[i].key === first[i].key && results[i].windowStart === first[i].windowStart) i++
  if (i === n) return results
  const byWindow = new Map<string, WindowResult<unknown>>()
  for (const r of results) byWindow.set(`${typeof r.key}:${String(r.key)}@${r.windowStart}`, r)
  return first.map((f) => {
    const match = byWindow.get(`${typeof f.key}:${String(f.key)}@${f.windowStart}`)
    if (match === undefined) throw new Error(`window operator ${operator}: one aggregate fired window ${f.windowStart} of key ${String(f.key)} and another did not`)
    return match
  })
}

/** Bytes joinParts puts before a single part: the count and the part's length. */
const JOIN_HEADER_ONE_PART = 8

/** joinParts([part]) for a part written JOIN_HEADER_ONE_PART bytes into `bytes`: the header goes in front, nothing is copied. */
function frameOnePart(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, JOIN_HEADER_ONE_PART)
  view.setUint32(0, 1, true)
  view.setUint32(4, bytes.length - JOIN_HEADER_ONE_PART, true)
  return bytes
}

/** Several snapshots in one: u32 count, then (u32 length, bytes) each. */
export function joinParts(parts: Uint8Array[]): Uint8Array {
  const total = 4 + parts.reduce((n, p) => n + 4 + p.length, 0)
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  view.setUint32(0, parts.length, true)
  let at = 4
  for (const p of parts) {
    view.setUint32(at, p.length, true)
    out.set(p, at + 4)
    at += 4 + p.length
  }
  return out
}

export function splitParts(bytes: Uint8Array, expected: number, what: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const fail = (why: string): never => {
    throw new StreamInputError(`checkpoint state of ${what} is malformed: ${why}`)
  }
  if (bytes.length < 4) fail('shorter than its header')
  const count = view.getUint32(0, true)
  if (count !== expected) fail(`it holds ${count} parts, the operator has ${expected}`)
  const parts: Uint8Array[] = []
  let at = 4
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) fail('truncated')
    const length = view.getUint32(at, true)
    if (at + 4 + length > bytes.length) fail('truncated')
    parts.push(bytes.subarray(at + 4, at + 4 + length))
    at += 4 + length
  }
  return parts
}
