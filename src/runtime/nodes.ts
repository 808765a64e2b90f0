// Runtime operators: one instance per graph node per task. Batches are pushed
// synchronously along the chain (batch first: one call per operator per
// batch); watermarks travel the same way and each operator's watermark is the
// minimum over its input channels. A channel is one (upstream, sending task)
// pair: an input through keyBy has one channel per task, a forward input one.
import { StreamInputError } from '../stream/errors.js'
import type { GraphNode, Key } from '../stream/dsl/graph.js'
import type { OperatorMetrics } from './metrics.js'

/** Columns of equal length; `keys` present after a keyBy. */
export interface Batch {
  values: unknown[]
  timestamps: Float64Array
  keys?: Key[]
}

export interface Output {
  node: RuntimeNode
  channel: number
}

const KIND_OF_NODE: Record<GraphNode['kind'], OperatorMetrics['kind']> = {
  source: 'source',
  map: 'map',
  filter: 'filter',
  flatMap: 'flatMap',
  keyBy: 'keyBy',
  window: 'window',
  process: 'process',
  windowJoin: 'join',
  intervalJoin: 'join',
  tableJoin: 'join',
  union: 'union',
  sideOutput: 'process',
  sink: 'sink',
}

export abstract class RuntimeNode {
  readonly outputs: Output[] = []
  /** Side outputs by tag (late data, ctx.output). They also receive this node's watermarks and end. */
  readonly sideOutputs = new Map<string, Output[]>()
  recordsIn = 0
  recordsOut = 0
  lateRecords = 0
  queueDepth = 0
  watermark = -Infinity
  ended = false
  private channelWatermarks: Float64Array
  private endedChannels = 0
  /** First channel of each input (inputs through keyBy take `parallelism` channels). */
  channelBase: number[] = []
  channelCount = 0

  constructor(readonly graphNode: GraphNode) {
    this.channelWatermarks = new Float64Array(0)
  }

  /** Called once the wiring is known. */
  setChannels(perInput: number[]): void {
    let base = 0
    this.channelBase = perInput.map((count) => {
      const start = base
      base += count
      return start
    })
    this.channelCount = base
    this.channelWatermarks = new Float64Array(base).fill(-Infinity)
  }

  /** Which input a channel belongs to. */
  inputOf(channel: number): number {
    let input = 0
    while (input + 1 < this.channelBase.length && this.channelBase[input + 1] <= channel) input++
    return input
  }

  push(channel: number, batch: Batch): void {
    this.recordsIn += batch.values.length
    this.onBatch(channel, batch)
  }

  protected abstract onBatch(channel: number, batch: Batch): void

  /** Watermark arrival on a channel; advances this node's watermark to the minimum over channels. */
  pushWatermark(channel: number, watermark: number): void {
    const wms = this.channelWatermarks
    if (watermark <= wms[channel]) return
    wms[channel] = watermark
    let min = Infinity
    for (let i = 0; i < wms.length; i++) if (wms[i] < min) min = wms[i]
    if (min > this.watermark) {
      this.watermark = min
      this.onWatermark(min)
    }
  }

  /** Default: pass the watermark on. */
  protected onWatermark(watermark: number): void {
    this.emitWatermark(watermark)
  }

  pushEnd(channel: number): void {
    this.pushWatermark(channel, Infinity)
    if (++this.endedChannels === this.channelCount) {
      this.ended = true
      this.onEnd()
      this.emitEnd()
    }
  }

  /** All inputs ended (after the final watermark). */
  protected onEnd(): void {}

  /** Processing time tick (ms). */
  tick(_nowMs: number): void {}

  emit(batch: Batch): void {
    const n = batch.values.length
    if (n === 0) return
    this.recordsOut += n
    for (const out of this.outputs) out.node.push(out.channel, batch)
  }

  emitSide(tag: string, batch: Batch): void {
    const outs = this.sideOutputs.get(tag)
    if (outs === undefined || batch.values.length === 0) return
    for (const out of outs) out.node.push(out.channel, batch)
  }

  protected forEachOutput(fn: (out: Output) => void): void {
    for (const out of this.outputs) fn(out)
    for (const outs of this.sideOutputs.values()) for (const out of outs) fn(out)
  }

  emitWatermark(watermark: number): void {
    this.forEachOutput((out) => out.node.pushWatermark(out.channel, watermark))
  }

  emitEnd(): void {
    this.forEachOutput((out) => out.node.pushEnd(out.channel))
  }

  stateSize(): number {
    return 0
  }

  /**
   * This node's state for a checkpoint: bytes, null when it has none, or
   * undefined when it has state it cannot snapshot yet (it then restarts
   * empty after a restore; the checkpoint records which nodes those were).
   */
  snapshot(): Uint8Array | null | undefined {
    return null
  }

  /** Restores `snapshot()`'s bytes (before any batch). */
  restore(_bytes: Uint8Array): void {}

  metrics(): OperatorMetrics {
    return {
      id: this.graphNode.id,
      name: this.graphNode.name,
      kind: KIND_OF_NODE[this.graphNode.kind],
      recordsIn: this.recordsIn,
      recordsOut: this.recordsOut,
      recordsInPerSec: 0,
      recordsOutPerSec: 0,
      watermark: this.watermark,
      queueDepth: this.queueDepth,
      stateSize: this.stateSize(),
      lateRecords: this.lateRecords,
    }
  }
}

/** Wraps a user function's failure with the operator that ran it. */
export class UserFunctionError extends Error {
  override name = 'UserFunctionError'
  constructor(node: GraphNode, cause: unknown) {
    super(`operator ${node.id} (${node.name}) failed: ${(cause as Error)?.message ?? String(cause)}`, { cause })
  }
}

export class MapNode extends RuntimeNode {
  constructor(
    node: GraphNode,
    private readonly fn: (value: any) => any,
  ) {
    super(node)
  }
  protected onBatch(_channel: number, batch: Batch): void {
    const { values } = batch
    const n = values.length
    const out = new Array(n)
    const fn = this.fn
    try {
      for (let i = 0; i < n; i++) out[i] = fn(values[i])
    } catch (error) {
      throw new UserFunctionError(this.graphNode, error)
    }
    this.emit({ values: out, timestamps: batch.timestamps, keys: batch.keys })
  }
}

export class FilterNode extends RuntimeNode {
  constructor(
    node: GraphNode,
    private readonly fn: (value: any) => boolean,
  ) {
    super(node)
  }
  protected onBatch(_channel: number, batch: Batch): void {
    const { values, timestamps, keys } = batch
    const n = values.length
    const fn = this.fn
    // One pass: kept values and their timestamps (and keys) are copied as they are found.
    const outValues: unknown[] = []
    const outTimestamps = new Float64Array(n)
    const outKeys: Key[] | undefined = keys === undefined ? undefined : []
    let m = 0
    try {
      for (let i = 0; i < n; i++) {
        const value = values[i]
        if (!fn(value)) continue
        outValues.push(value)
        outTimestamps[m++] = timestamps[i]
        if (outKeys !== undefined) outKeys.push((keys as Key[])[i])
      }
    } catch (error) {
      throw new UserFunctionError(this.graphNode, error)
    }
    if (m === n) return this.emit(batch)
    this.emit({ values: outValues, timestamps: outTimestamps.subarray(0, m), keys: outKeys })
  }
}

export class FlatMapNode extends RuntimeNode {
  constructor(
    node: GraphNode,
    private readonly fn: (value: any) => Iterable<any>,
  ) {
    super(node)
  }
  protected onBatch(_channel: number, batch: Batch): void {
    const values: unknown[] = []
    const timestamps: number[] = []
    const keys: Key[] | undefined = batch.keys === undefined ? undefined : []
    try {
      for (let i = 0; i < batch.values.length; i++) {
        const produced = this.fn(batch.values[i])
        if (produced === null || typeof (produced as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
          throw new StreamInputError(`flatMap must return an array or iterable, got ${produced === null ? 'null' : typeof produced}`)
        }
        for (const value of produced) {
          values.push(value)
          timestamps.push(batch.timestamps[i])
          keys?.push((batch.keys as Key[])[i])
        }
      }
    } catch (error) {
      throw new UserFunctionError(this.graphNode, error)
    }
    this.emit({ values, timestamps: Float64Array.from(timestamps), keys })
  }
}

/** Union and side-output nodes: pass everything through. */
export class ForwardNode extends RuntimeNode {
  protected onBatch(_channel: number, batch: Batch): void {
    this.emit(batch)
  }
}

