// The coordinator's side of a job, shared by both executors: it opens the
// sinks that run in the coordinator (once, however many tasks feed them),
// opens coordinator-run source splits, plans the splits, and sums metrics.
import { StreamConfigError } from '../stream/errors.js'
import type { GraphNode } from '../stream/dsl/graph.js'
import type { JobGraph } from '../stream/dsl/job.js'
import type { SinkContext, SinkWriter } from '../stream/sinks/spec.js'
import type { SourceContext, SourceReader } from '../stream/sources/spec.js'
import type { Batch } from './nodes.js'
import { prepareEach, requireExactlyOnceSink, type DeliveryGuarantee, type SinkHandle } from './task.js'
import type { JobMetrics, OperatorMetrics } from './metrics.js'
import type { CheckpointParticipants } from './checkpoint.js'

export class CoordinatorSinks {
  private readonly writers = new Map<number, { writer: SinkWriter<unknown>; open: number }>()

  constructor(
    private readonly graph: JobGraph,
    private readonly tasks: number,
    private readonly eddy: unknown,
    /** Shared by every attempt of a restarted job (collect sinks keep what earlier attempts wrote). */
    readonly collected = new Map<string, unknown[]>(),
    private readonly guarantee: DeliveryGuarantee = 'at-least-once',
  ) {}

  get context(): SinkContext {
    return { eddy: this.eddy, collected: this.collected, guarantee: this.guarantee, job: this.graph.name }
  }

  /** Opens every coordinator-run sink before any task starts. */
  async openAll(): Promise<void> {
    for (const node of this.graph.nodes) {
      if (node.kind !== 'sink' || node.spec.runsIn !== 'coordinator') continue
      const writer = await node.spec.open(this.context)
      if (this.guarantee === 'exactly-once') requireExactlyOnceSink(node.spec.name, node.spec.kind, writer)
      this.writers.set(node.id, { writer, open: this.tasks })
    }
  }

  /** On a restore or restart, before any write: each two-phase sink finishes or discards what it had prepared (prepared bytes of coordinator-run sinks have no task). */
  async recoverAll(checkpointId: number, prepared: { node: number; task?: number; bytes: Uint8Array }[]): Promise<void> {
    for (const [id, { writer }] of this.writers) {
      if (writer.recover === undefined) continue
      const mine = prepared.find((p) => p.node === id && p.task === undefined)
      await writer.recover(checkpointId, mine?.bytes)
    }
  }

  /** Some sink stores checkpoints itself (SinkWriter.checkpoint): it commits everything written before the call. */
  commitWithCheckpoint(): boolean {
    for (const { writer } of this.writers.values()) if (writer.checkpoint !== undefined) return true
    return false
  }

  /** Phase one of the coordinator-run sinks that two-phase commit. */
  prepareAll(checkpointId: number): Promise<{ node: number; bytes: Uint8Array }[]> {
    return prepareEach([...this.writers].map(([node, { writer }]) => [node, writer]), checkpointId, this.graph)
  }

  /** Phase two: the checkpoint is durable. Sinks that store checkpoints themselves get it; two-phase sinks commit what they prepared. */
  async commitAll(checkpoint: { id: number; bytes: Uint8Array }, prepared: { node: number; task?: number; bytes: Uint8Array }[], twoPhase: boolean): Promise<void> {
    for (const [node, { writer }] of this.writers) {
      await writer.checkpoint?.(checkpoint)
      if (!twoPhase || writer.commit === undefined) continue
      const mine = prepared.find((p) => p.node === node && p.task === undefined)
      if (mine !== undefined) await writer.commit(checkpoint.id, mine.bytes)
    }
  }

  /** The coordinator-run sinks' part in a checkpoint (the same under both executors). */
  checkpointParticipants(): Pick<CheckpointParticipants, 'prepareSinks' | 'sinksCommitWithCheckpoint' | 'commitSinks'> {
    return {
      prepareSinks: (id) => this.prepareAll(id),
      sinksCommitWithCheckpoint: () => this.commitWithCheckpoint(),
      commitSinks: (checkpoint, content, twoPhase) => this.commitAll(checkpoint, content.prepared ?? [], twoPhase),
    }
  }

  write(node: number, batch: Batch): void | Promise<void> {
    return this.entry(node).writer.write(batch)
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
  return {
    write: (b: Batch) => writer.write(b),
    close: () => writer.close?.(),
    result: writer.result === undefined ? undefined : () => writer.result?.(),
    prepare: writer.prepare === undefined ? undefined : (id) => writer.prepare!(id),
    commit: writer.commit === undefined ? undefined : (id, prepared) => writer.commit!(id, prepared),
    recover: writer.recover === undefined ? undefined : (id, prepared) => writer.recover!(id, prepared),
  }
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
