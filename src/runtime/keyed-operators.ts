// Runtime nodes around the keyed operators of src/stream/operators: keyed
// process functions, window and interval joins, stream–table joins. The
// operators are pure state machines; these nodes feed them batches and
// watermarks and turn what they return into batches downstream.
import type { GraphNode } from '../stream/dsl/graph.js'
import type { Emitted } from '../stream/operators/types.js'
import { KeyedProcessOperator, type KeyedProcessOutput } from '../stream/operators/keyed-process.js'
import { WindowJoinOperator } from '../stream/operators/window-join.js'
import { IntervalJoinOperator } from '../stream/operators/interval-join.js'
import { StreamTableJoinOperator } from '../stream/operators/table.js'
import { RuntimeNode, UserFunctionError, type Batch } from './nodes.js'

function toBatch(records: Emitted<unknown>[]): Batch {
  const n = records.length
  const values = new Array(n)
  const timestamps = new Float64Array(n)
  const keys = new Array(n)
  for (let i = 0; i < n; i++) {
    values[i] = records[i].value
    timestamps[i] = records[i].timestamp
    keys[i] = records[i].key
  }
  return { values, timestamps, keys }
}

function columns(batch: Batch): { keys: NonNullable<Batch['keys']>; timestamps: Float64Array; values: unknown[] } {
  return { keys: batch.keys ?? [], timestamps: batch.timestamps, values: batch.values }
}

/** Runs `fn`, naming the operator if user code inside throws. */
function guarded<T>(node: GraphNode, fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof UserFunctionError) throw error
    throw new UserFunctionError(node, error)
  }
}

class ProcessNode extends RuntimeNode {
  private operator: KeyedProcessOperator<any, unknown, unknown>
  constructor(node: GraphNode & { kind: 'process' }) {
    super(node)
    this.operator = new KeyedProcessOperator({ fn: node.fn as never })
  }
  override snapshot(): Uint8Array {
    return this.operator.snapshot()
  }
  override restore(bytes: Uint8Array): void {
    this.operator = KeyedProcessOperator.restore({ fn: (this.graphNode as GraphNode & { kind: 'process' }).fn as never }, bytes)
  }
  private publish(out: KeyedProcessOutput<unknown>): void {
    if (out.results.length > 0) this.emit(toBatch(out.results))
    if (out.side.length === 0) return
    const byTag = new Map<string, Emitted<unknown>[]>()
    for (const s of out.side) {
      let list = byTag.get(s.tag)
      if (list === undefined) byTag.set(s.tag, (list = []))
      list.push(s)
    }
    for (const [tag, list] of byTag) this.emitSide(tag, toBatch(list))
  }
  protected onBatch(_channel: number, batch: Batch): void {
    this.publish(guarded(this.graphNode, () => this.operator.processBatch(columns(batch))))
  }
  protected override onWatermark(watermark: number): void {
    this.publish(guarded(this.graphNode, () => this.operator.advanceWatermark(watermark)))
    this.emitWatermark(watermark)
  }
  override tick(nowMs: number): void {
    this.publish(guarded(this.graphNode, () => this.operator.advanceProcessingTime(nowMs)))
  }
  override stateSize(): number {
    return this.operator.stats().stateSize
  }
}

interface TwoInputOperator {
  snapshot(): Uint8Array
  processLeft(batch: ReturnType<typeof columns>): { results: Emitted<unknown>[]; late: Emitted<unknown>[] }
  processRight(batch: ReturnType<typeof columns>): { results: Emitted<unknown>[]; late: Emitted<unknown>[] } | unknown[]
  advanceWatermark(watermark: number): Emitted<unknown>[]
  stats(): { stateSize: number; lateRecords: number }
}

/** A two-input keyed operator: input 0 is the left (or the stream), input 1 the right (or the table). */
class JoinNode extends RuntimeNode {
  constructor(
    node: GraphNode,
    private operator: TwoInputOperator,
    private readonly restoreFrom: (bytes: Uint8Array) => TwoInputOperator,
  ) {
    super(node)
  }
  override snapshot(): Uint8Array {
    return this.operator.snapshot()
  }
  override restore(bytes: Uint8Array): void {
    this.operator = this.restoreFrom(bytes)
  }
  protected onBatch(channel: number, batch: Batch): void {
    const input = this.inputOf(channel)
    const out = guarded(this.graphNode, () => (input === 0 ? this.operator.processLeft(columns(batch)) : this.operator.processRight(columns(batch))))
    if (Array.isArray(out)) return // table updates return the changelog, not output
    const { results, late } = out as { results: Emitted<unknown>[]; late: Emitted<unknown>[] }
    if (results.length > 0) this.emit(toBatch(results))
    if (late.length > 0) {
      this.lateRecords += late.length
      this.emitSide('late', toBatch(late))
    }
  }
  protected override onWatermark(watermark: number): void {
    const results = guarded(this.graphNode, () => this.operator.advanceWatermark(watermark))
    if (results.length > 0) this.emit(toBatch(results))
    this.emitWatermark(watermark)
  }
  override stateSize(): number {
    return this.operator.stats().stateSize
  }
}

export function createKeyedNode(node: GraphNode): RuntimeNode {
  switch (node.kind) {
    case 'process':
      return new ProcessNode(node)
    case 'windowJoin': {
      const options = { assigner: node.assigner, join: node.fn, allowedLatenessMs: node.allowedLatenessMs }
      return new JoinNode(node, new WindowJoinOperator(options) as unknown as TwoInputOperator, (b) => WindowJoinOperator.restore(options, b) as unknown as TwoInputOperator)
    }
    case 'intervalJoin': {
      const options = { lowerBoundMs: node.lowerBoundMs, upperBoundMs: node.upperBoundMs, join: node.fn }
      return new JoinNode(node, new IntervalJoinOperator(options) as unknown as TwoInputOperator, (b) => IntervalJoinOperator.restore(options, b) as unknown as TwoInputOperator)
    }
    case 'tableJoin': {
      const options = { join: node.fn, mode: node.mode, temporal: node.temporal }
      const wrap = (operator: StreamTableJoinOperator<unknown, unknown, unknown>): TwoInputOperator => ({
        processLeft: (b) => operator.processStream(b),
        processRight: (b) => operator.processTable(b),
        advanceWatermark: (w) => operator.advanceWatermark(w),
        stats: () => operator.stats(),
        snapshot: () => operator.snapshot(),
      })
      return new JoinNode(node, wrap(new StreamTableJoinOperator(options)), (b) => wrap(StreamTableJoinOperator.restore(options, b)))
    }
    default:
      throw new Error(`no runtime node for operator kind ${node.kind}`)
  }
}
