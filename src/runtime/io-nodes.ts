// Source and sink nodes. A source node owns the splits of its source that run
// in this task; each split has its own bounded-out-of-orderness watermark and
// the node's watermark is their minimum (idle splits excepted).
import { BoundedOutOfOrdernessWatermarks, CombinedWatermark } from '../stream/time/watermarks.js'
import { StreamInputError } from '../stream/errors.js'
import type { GraphNode } from '../stream/dsl/graph.js'
import type { SourceBatch, SourceReader, SourceSpec } from '../stream/sources/spec.js'
import type { SinkWriter } from '../stream/sinks/spec.js'
import { RuntimeNode, UserFunctionError, type Batch } from './nodes.js'

export interface LocalSplit {
  split: number
  reader: SourceReader<unknown>
  generator: BoundedOutOfOrdernessWatermarks
  /** Index among this node's local splits (the CombinedWatermark input). */
  slot: number
  ended: boolean
  /** Position after the last batch (offset for topics). */
  position: number | undefined
}

export class SourceNode extends RuntimeNode {
  readonly spec: SourceSpec<unknown>
  readonly splits: LocalSplit[] = []
  private combined: CombinedWatermark | undefined
  private open = 0

  constructor(node: GraphNode & { kind: 'source' }) {
    super(node)
    this.spec = node.spec
  }

  addSplit(split: number, reader: SourceReader<unknown>, restored?: { position: number | undefined; maxTimestamp: number }): LocalSplit {
    const local: LocalSplit = {
      split,
      reader,
      generator: new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: this.spec.maxOutOfOrdernessMs }),
      slot: this.splits.length,
      ended: false,
      position: restored?.position,
    }
    // The split's watermark resumes where the checkpoint left it.
    if (restored !== undefined && restored.maxTimestamp > -Infinity) local.generator.observe(restored.maxTimestamp)
    this.splits.push(local)
    this.open++
    return local
  }

  /** After all splits are added: starts watermark tracking (no local split: this node is done at once). */
  start(nowMs: number): void {
    this.setChannels([])
    if (this.splits.length === 0) {
      this.finish()
      return
    }
    this.combined = new CombinedWatermark({ inputs: this.splits.length, idleTimeoutMs: this.spec.idleTimeoutMs }, nowMs)
  }

  protected onBatch(): void {
    throw new Error('a source has no inputs')
  }

  /** A batch read from one of this node's splits. */
  pushSplitBatch(split: LocalSplit, batch: SourceBatch<unknown>, nowMs: number): void {
    const n = batch.values.length
    if (batch.timestamps.length !== n) throw new StreamInputError(`source ${this.graphNode.name}: batch has ${n} values and ${batch.timestamps.length} timestamps`)
    const timestamps = new Float64Array(n)
    const extract = this.spec.timestamp
    try {
      if (extract === undefined && batch.timestamps instanceof Float64Array) {
        // The source's own column (the generators', topics'): one copy, then only finiteness to check.
        timestamps.set(batch.timestamps)
        for (let i = 0; i < n; i++) if (!Number.isFinite(timestamps[i])) throw badTimestamp(i, timestamps[i])
      } else {
        for (let i = 0; i < n; i++) {
          const t = extract === undefined ? batch.timestamps[i] : extract(batch.values[i], batch.timestamps[i])
          if (typeof t !== 'number' || !Number.isFinite(t)) throw badTimestamp(i, t)
          timestamps[i] = t
        }
      }
    } catch (error) {
      throw new UserFunctionError(this.graphNode, error)
    }
    if (batch.position !== undefined) split.position = batch.position
    this.recordsIn += n
    this.emit({ values: batch.values, timestamps, keys: batch.keys })
    const combined = this.combined as CombinedWatermark
    if (n === 0) return this.advance(combined.current(nowMs))
    split.generator.observeBatch(timestamps, n)
    this.advance(combined.update(split.slot, split.generator.watermark, nowMs))
  }

  /** Position and largest timestamp seen of each local split (the source's part of a checkpoint). */
  splitStates(): { split: number; position: number | undefined; maxTimestamp: number; ended: boolean }[] {
    return this.splits.map((s) => {
      const wm = s.generator.watermark
      return { split: s.split, position: s.position, maxTimestamp: wm === -Infinity ? -Infinity : wm + this.spec.maxOutOfOrdernessMs + 1, ended: s.ended }
    })
  }

  splitEnded(split: LocalSplit, nowMs: number): void {
    if (split.ended) return
    split.ended = true
    this.open--
    this.advance((this.combined as CombinedWatermark).update(split.slot, Infinity, nowMs))
    if (this.open === 0) this.finish()
  }

  /** Idle splits release the watermark on processing-time ticks. */
  override tick(nowMs: number): void {
    if (this.combined !== undefined && !this.ended) this.advance(this.combined.current(nowMs))
  }

  private advance(watermark: number): void {
    if (watermark > this.watermark) {
      this.watermark = watermark
      this.emitWatermark(watermark)
    }
  }

  private finish(): void {
    if (this.ended) return
    this.ended = true
    this.advance(Infinity)
    this.emitEnd()
  }
}

function badTimestamp(row: number, value: unknown): StreamInputError {
  return new StreamInputError(`record ${row} has timestamp ${String(value)}; event time must be a finite number of ms`)
}

/** A sink: writes batches (here for task-run sinks, through the coordinator otherwise). */
export class SinkNode extends RuntimeNode {
  /** Writes not yet settled (a sink's promise is the backpressure signal). */
  private readonly inflight = new Set<Promise<void>>()
  private failure: unknown
  /** Settles when every write has and the writer is closed (set at end of input). */
  closed: Promise<void> | undefined

  constructor(
    node: GraphNode & { kind: 'sink' },
    private readonly write: (batch: Batch) => void | Promise<void>,
    private readonly close: () => void | Promise<void>,
  ) {
    super(node)
  }

  get pending(): number {
    return this.inflight.size
  }

  override metrics() {
    this.queueDepth = this.inflight.size
    return super.metrics()
  }

  /** Set when a write failed; the task checks it and fails the job. */
  get error(): unknown {
    return this.failure
  }

  /** Settles when the writes now in flight have. */
  drain(): Promise<void> {
    return Promise.all(this.inflight).then(() => undefined)
  }

  protected onBatch(_channel: number, batch: Batch): void {
    this.recordsOut += batch.values.length
    const result = this.write(batch)
    if (result instanceof Promise) {
      const tracked: Promise<void> = result.then(
        () => {
          this.inflight.delete(tracked)
        },
        (error) => {
          this.inflight.delete(tracked)
          this.failure ??= error
        },
      )
      this.inflight.add(tracked)
    }
  }

  protected override onEnd(): void {
    this.closeNow()
  }

  /** Drains and closes the writer (once): at end of input, or when the job is cancelled. */
  closeNow(): Promise<void> {
    this.closed ??= this.drain().then(() => this.close())
    return this.closed
  }
}

export function writerFunctions(writer: SinkWriter<unknown>): { write: (batch: Batch) => void | Promise<void>; close: () => void | Promise<void> } {
  return { write: (batch) => writer.write(batch), close: () => writer.close?.() }
}
