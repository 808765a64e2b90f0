// The coordinator's side of a job, shared by both executors: it opens the
// sinks that run in the coordinator (once, however many tasks feed them),
// opens coordinator-run source splits, plans the splits, and sums metrics.
import { StreamConfigError } from '../stream/errors.js'
import type { GraphNode } from '../stream/dsl/graph.js'
import type { JobGraph } from '../stream/dsl/job.js'
import type { SinkContext, SinkWriter } from '../stream/sinks/spec.js'
import type { SourceContext, SourceReader } from '../stream/sources/spec.js'
import type { Batch } from './nodes.js'
import type { SinkHandle } from './task.js'
import type { JobMetrics, OperatorMetrics } from './metrics.js'

export class CoordinatorSinks {
  private readonly writers = new Map<number, { writer: SinkWriter<unknown>; open: number }>()
  readonly collected = new Map<string, unknown[]>()

  constructor(
    private readonly graph: JobGraph,
    private readonly tasks: number,
    private readonly eddy: unknown,
  ) {}

  get context(): SinkContext {
    return { eddy: this.eddy, collected: this.collected }
  }

  /** Opens every coordinator-run sink before any task starts. */
  async openAll(): Promise<void> {
    for (const node of this.graph.nodes) {
      if (node.kind !== 'sink' || node.spec.runsIn !== 'coordinator') continue
      this.writers.set(node.id, { writer: await node.spec.open(this.context), open: this.tasks })
    }
  }

  write(node: number, batch: Batch): void | Promise<void> {
    return this.entry(node).writer.write(batch)
  }

  /** Hands a completed checkpoint to every coordinator-run sink that commits with checkpoints. */
  async checkpointAll(checkpoint: { id: number; bytes: Uint8Array }): Promise<void> {
    for (const { writer } of this.writers.values()) await writer.checkpoint?.(checkpoint)
  }

  /** One task finished feeding `node`; the last one closes the writer. */
  async closeOne(node: number): Promise<void> {
    const entry = this.entry(node)
    if (--entry.open === 0) await entry.writer.close?.()
  }

  private entry(node: number): { writer: SinkWriter<unknown>; open: number } {
    const entry = this.writers.get(node)
    if (entry === undefined) throw new Error(`sink ${node} is not open in the coordinator`)
    return entry
  }

  /** A SinkHandle for one task in this thread. */
  handleFor(node: GraphNode & { kind: 'sink' }): Promise<SinkHandle> | SinkHandle {
    if (node.spec.runsIn === 'task') return Promise.resolve(node.spec.open(this.context)).then(handleOf)
    return { write: (b) => this.write(node.id, b), close: () => this.closeOne(node.id) }
  }
}

/** A SinkHandle over a writer in this thread. */
export function handleOf(writer: SinkWriter<unknown>): SinkHandle {
  return { write: (b: Batch) => writer.write(b), close: () => writer.close?.(), result: writer.result === undefined ? undefined : () => writer.result?.() }
}

/** Adds task-run sink results to the job's collected output. */
export function collectResults(collected: Map<string, unknown[]>, results: [string, unknown][]): void {
  for (const [name, value] of results) {
    let list = collected.get(name)
    if (list === undefined) collected.set(name, (list = []))
    list.push(value)
  }
}

/** Calls every source's prepare and fixes its split count for this parallelism. */
export async function planSplits(graph: JobGraph, parallelism: number, context: SourceContext): Promise<Map<number, number>> {
  const counts = new Map<number, number>()
  for (const node of graph.nodes) {
    if (node.kind !== 'source') continue
    await node.spec.prepare?.(context)
    const splits = await node.spec.splits(parallelism)
    if (!Number.isSafeInteger(splits) || splits < 0) throw new StreamConfigError(node.name, `source reported ${String(splits)} splits`)
    counts.set(node.id, splits)
  }
  return counts
}

/** Opens a split reader in the coordinator. */
export async function openSplitHere(node: GraphNode & { kind: 'source' }, split: number, splits: number, context: SourceContext, from?: number): Promise<SourceReader<unknown>> {
  return node.spec.open(split, splits, context, from)
}

/** Sums per-task operator metrics into one entry per operator, with rates since the previous sample. */
export class MetricsAggregator {
  private previous: { at: number; byId: Map<number, OperatorMetrics> } | undefined
  private readonly startedAt = Date.now()

  constructor(
    private readonly graph: JobGraph,
    private readonly parallelism: number,
    private readonly executor: 'inline' | 'workers',
  ) {}

  combine(perTask: OperatorMetrics[][], status: JobMetrics['status'], nowMs = Date.now()): JobMetrics {
    const byId = new Map<number, OperatorMetrics>()
    for (const list of perTask) {
      for (const m of list) {
        const acc = byId.get(m.id)
        if (acc === undefined) {
          byId.set(m.id, { ...m })
          continue
        }
        acc.recordsIn += m.recordsIn
        acc.recordsOut += m.recordsOut
        acc.queueDepth += m.queueDepth
        acc.stateSize += m.stateSize
        acc.lateRecords += m.lateRecords
        acc.watermark = Math.min(acc.watermark, m.watermark)
      }
    }
    const previous = this.previous
    if (previous !== undefined && nowMs > previous.at) {
      const seconds = (nowMs - previous.at) / 1000
      for (const [id, m] of byId) {
        const before = previous.byId.get(id)
        if (before === undefined) continue
        m.recordsInPerSec = Math.max(0, (m.recordsIn - before.recordsIn) / seconds)
        m.recordsOutPerSec = Math.max(0, (m.recordsOut - before.recordsOut) / seconds)
      }
    }
    this.previous = { at: nowMs, byId: new Map([...byId].map(([id, m]) => [id, { ...m }])) }
    const edges: JobMetrics['edges'] = []
    for (const node of this.graph.nodes) {
      const inputs = node.kind === 'source' ? [] : node.kind === 'union' ? node.inputs : 'input' in node ? [node.input] : node.kind === 'tableJoin' ? [node.stream, node.table] : [node.left, node.right]
      for (const from of inputs) edges.push({ from, to: node.id, keyed: this.graph.nodes[from].kind === 'keyBy' })
    }
    return {
      name: this.graph.name,
      status,
      parallelism: this.parallelism,
      executor: this.executor,
      startedAt: this.startedAt,
      operators: [...byId.values()].sort((a, b) => a.id - b.id),
      edges,
      checkpoints: [],
    }
  }
}
