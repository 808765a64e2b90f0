// One task: an instance of the whole job graph in one thread. Task t of P
// reads the source splits s with s mod P = t, owns the key groups assigned
// to t, and exchanges keyed records with the other tasks. The inline
// executor runs one task (P = 1); the worker executor runs one per worker.
import { StreamConfigError } from '../stream/errors.js'
import { inputsOf, type GraphNode } from '../stream/dsl/graph.js'
import type { JobGraph } from '../stream/dsl/job.js'
import type { SourceBatch, SourceReader } from '../stream/sources/spec.js'
import type { DeliveryGuarantee } from '../stream/sinks/spec.js'
import type { Key } from '../stream/dsl/graph.js'
import { FilterNode, FlatMapNode, ForwardNode, MapNode, RuntimeNode, type Batch } from './nodes.js'
import { KeyByNode, WindowNode, type AggregatorFactory, type Exchange, type ExchangeMessage } from './keyed-nodes.js'
import { SinkNode, SourceNode, type LocalSplit } from './io-nodes.js'
import { createKeyedNode } from './keyed-operators.js'
import type { OperatorMetrics } from './metrics.js'

export interface TaskRestore {
  splits: Map<string, { position: number | undefined; maxTimestamp: number }>
  state: Map<number, Uint8Array>
}

export interface SinkHandle {
  write(batch: Batch): void | Promise<void>
  close(): void | Promise<void>
  /** A task-run writer's result (sinks.fold). */
  result?(): unknown
  /** A task-run writer's two-phase commit (SinkWriter.prepare / commit / recover). */
  prepare?(checkpointId: number): Uint8Array | Promise<Uint8Array>
  commit?(checkpointId: number, prepared: Uint8Array): void | Promise<void>
  recover?(checkpointId: number, prepared: Uint8Array | undefined): void | Promise<void>
}

export type { DeliveryGuarantee } from '../stream/sinks/spec.js'

/** Sinks that write nothing anywhere cannot break exactly-once. */
const OUTPUT_FREE_SINKS = new Set(['discard'])

/** Refuses, under exactly-once, a sink writer that can neither two-phase commit nor store checkpoints itself. */
export function requireExactlyOnceSink(name: string, kind: string, writer: { prepare?: unknown; commit?: unknown; checkpoint?: unknown }): void {
  if (OUTPUT_FREE_SINKS.has(kind)) return
  if (typeof writer.checkpoint === 'function') return
  if (typeof writer.prepare === 'function' && typeof writer.commit === 'function') return
  throw new StreamConfigError(
    'guarantee',
    `'exactly-once' needs every sink to take part in checkpoints, and ${name} (kind ${kind}) has neither prepare()/commit() nor checkpoint(); use a transactional or idempotent sink, or guarantee 'at-least-once'`,
  )
}

/** Phase one over sinks (by node id): each prepare() result, checked to be bytes; sinks without prepare() are skipped. */
export async function prepareEach(
  sinks: Iterable<[number, { prepare?(checkpointId: number): Uint8Array | Promise<Uint8Array> }]>,
  checkpointId: number,
  graph: JobGraph,
): Promise<{ node: number; bytes: Uint8Array }[]> {
  const prepared: { node: number; bytes: Uint8Array }[] = []
  for (const [node, sink] of sinks) {
    if (sink.prepare === undefined) continue
    const bytes = await sink.prepare(checkpointId)
    if (!(bytes instanceof Uint8Array)) throw new StreamConfigError(graph.nodes[node].name, `prepare(${checkpointId}) must return a Uint8Array, got ${typeof bytes}`)
    prepared.push({ node, bytes })
  }
  return prepared
}

export interface TaskHost {
  readonly task: number
  readonly parallelism: number
  readonly maxParallelism: number
  readonly exchange: Exchange
  /** Split counts per source node id (fixed by the coordinator for the whole job). */
  readonly splitCounts: ReadonlyMap<number, number>
  sink(node: GraphNode & { kind: 'sink' }): Promise<SinkHandle>
  openSplit(node: GraphNode & { kind: 'source' }, split: number, splits: number, from?: number): Promise<SourceReader<unknown>>
  /** State to resume from (a checkpoint's part for this task). */
  readonly restore?: TaskRestore
  /** Default 'at-least-once'. Under 'exactly-once' task-run sinks must two-phase commit. */
  readonly guarantee?: DeliveryGuarantee
  /** On a restore or restart: the checkpoint resumed from and its task-run sinks' prepared bytes (by sink node), for recover(). */
  readonly recoverSinks?: { checkpointId: number; prepared: Map<number, Uint8Array[]> }
  /** A promise while downstream (exchange credits, sinks) is full; undefined to go on. */
  backpressure(): Promise<void> | undefined
  nowMs(): number
  /** The Wasm fast path for windows, when available. */
  aggregatorFactory?: AggregatorFactory
  /** Micro-batch trigger (Spark style): each split reads what is available, processes it as one batch, then waits for the next interval. */
  readonly microBatchMs?: number
}

/** Yields to the event loop (messages, timers, I/O) without setTimeout's 1 ms floor. */
const yieldNow: () => Promise<void> =
  typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
    ? () => new Promise((resolve) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0))

const TICK_MS = 100
const YIELD_EVERY_MS = 4

export class Task {
  readonly nodes: RuntimeNode[] = []
  private readonly sources: SourceNode[] = []
  private readonly sinks: SinkNode[] = []
  private readonly sinkResults: { name: string; result: () => unknown }[] = []
  private failure: unknown
  private failed: ((error: unknown) => void) | undefined
  private allEnded: (() => void) | undefined
  private readonly ended: Promise<void>
  private readonly failedPromise: Promise<never>

  constructor(
    readonly graph: JobGraph,
    private readonly host: TaskHost,
  ) {
    this.ended = new Promise((resolve) => (this.allEnded = resolve))
    this.failedPromise = new Promise<never>((_, reject) => (this.failed = reject))
    this.failedPromise.catch(() => {})
  }

  /** Instantiates and wires every node; opens sinks and this task's source splits. */
  async open(): Promise<void> {
    const { task, parallelism, maxParallelism, exchange } = this.host
    for (const node of this.graph.nodes) this.nodes.push(await this.instantiate(node))
    // Wiring: forward edges are one channel; edges out of a keyBy are `parallelism` channels.
    for (const runtime of this.nodes) {
      const node = runtime.graphNode
      if (node.kind === 'source') continue
      const inputs = inputsOf(node)
      runtime.setChannels(inputs.map((id) => (this.graph.nodes[id].kind === 'keyBy' ? parallelism : 1)))
      inputs.forEach((id, k) => {
        const upstream = this.nodes[id]
        const channel = runtime.channelBase[k]
        if (upstream instanceof KeyByNode) upstream.consumers.push({ node: runtime, base: channel })
        else if (node.kind === 'sideOutput') {
          const outs = upstream.sideOutputs.get(node.tag) ?? []
          outs.push({ node: runtime, channel })
          upstream.sideOutputs.set(node.tag, outs)
        } else upstream.outputs.push({ node: runtime, channel })
      })
    }
    this.projectAtKeyBy()
    for (const source of this.sources) {
      const node = source.graphNode as GraphNode & { kind: 'source' }
      const splits = this.host.splitCounts.get(node.id) ?? 0
      for (let s = task; s < splits; s += parallelism) {
        const restored = this.host.restore?.splits.get(`${node.id}/${s}`)
        source.addSplit(s, await this.host.openSplit(node, s, splits, restored?.position), restored)
      }
    }
    for (const [id, bytes] of this.host.restore?.state ?? []) {
      const node = this.nodes[id]
      if (node === undefined) throw new StreamConfigError('restore', `the checkpoint has state for operator ${id}, which this job does not have`)
      node.restore(bytes)
    }
    void maxParallelism
    void exchange
  }

  /** Lets a keyBy feeding one window ship only the numbers it reads, or per-batch partial aggregates. */
  private projectAtKeyBy(): void {
    for (const node of this.nodes) {
      if (!(node instanceof KeyByNode) || node.consumers.length !== 1) continue
      const consumer = node.consumers[0].node
      if (!(consumer instanceof WindowNode)) continue
      const combiner = consumer.combiner(this.host.parallelism)
      if (combiner !== undefined) {
        node.combiner = combiner
        consumer.usePartials()
        continue
      }
      const projection = consumer.projection()
      if (projection !== undefined) {
        node.projection = projection
        consumer.usePreselected()
      }
    }
  }

  private async instantiate(node: GraphNode): Promise<RuntimeNode> {
    const { task, parallelism, maxParallelism, exchange } = this.host
    switch (node.kind) {
      case 'source': {
        const source = new SourceNode(node)
        this.sources.push(source)
        return source
      }
      case 'map':
        return new MapNode(node, node.fn)
      case 'filter':
        return new FilterNode(node, node.fn)
      case 'flatMap':
        return new FlatMapNode(node, node.fn)
      case 'keyBy':
        return new KeyByNode(node, task, parallelism, maxParallelism, exchange)
      case 'window':
        this.requireKeyed(node, node.input)
        return new WindowNode(node, this.host.aggregatorFactory)
      case 'union':
      case 'sideOutput':
        return new ForwardNode(node)
      case 'sink': {
        const handle = await this.host.sink(node)
        if (node.spec.runsIn === 'task') await this.prepareTaskSink(node, handle)
        const sink = new SinkNode(node, (b) => handle.write(b), () => handle.close())
        this.sinks.push(sink)
        this.sinkHandles.push({ node: node.id, handle })
        if (handle.result !== undefined && node.spec.collectName !== undefined) this.sinkResults.push({ name: node.spec.collectName, result: handle.result })
        return sink
      }
      default:
        for (const input of inputsOf(node)) this.requireKeyed(node, input)
        return createKeyedNode(node)
    }
  }

  /** Task-run sinks: exactly-once validation, and recover() before any write when resuming. */
  private async prepareTaskSink(node: GraphNode & { kind: 'sink' }, handle: SinkHandle): Promise<void> {
    if (this.host.guarantee === 'exactly-once') requireExactlyOnceSink(node.spec.name, node.spec.kind, handle)
    const recover = this.host.recoverSinks
    if (recover === undefined || handle.recover === undefined) return
    const prepared = recover.prepared.get(node.id) ?? []
    if (prepared.length === 0) await handle.recover(recover.checkpointId, undefined)
    for (const bytes of prepared) await handle.recover(recover.checkpointId, bytes)
  }

  /** What each prepared task-run sink returned for the checkpoint in progress, kept for commitSinks. */
  private preparedSinks: { node: number; bytes: Uint8Array }[] = []
  private preparedId = -1

  /** Phase one for this task's two-phase-commit sinks (after drainSinks, while the sources are parked). */
  async prepareSinks(checkpointId: number): Promise<{ node: number; bytes: Uint8Array }[]> {
    const prepared = await prepareEach(this.sinkHandles.map(({ node, handle }) => [node, handle]), checkpointId, this.graph)
    this.preparedSinks = prepared
    this.preparedId = checkpointId
    return prepared
  }

  /** Phase two: checkpoint `checkpointId` is durable; each sink commits what it prepared for it. */
  async commitSinks(checkpointId: number): Promise<void> {
    if (checkpointId !== this.preparedId) throw new Error(`task ${this.host.task}: asked to commit checkpoint ${checkpointId}, but prepared ${this.preparedId}`)
    for (const { node, bytes } of this.preparedSinks) await this.sinkHandles.find((s) => s.node === node)!.handle.commit?.(checkpointId, bytes)
  }

  private readonly sinkHandles: { node: number; handle: SinkHandle }[] = []

  private requireKeyed(node: GraphNode, input: number): void {
    if (this.graph.nodes[input].kind !== 'keyBy') throw new StreamConfigError(node.name, `operator ${node.id} needs a keyed input: call .keyBy(...) before it`)
  }

  /** A message from another task's keyBy. */
  deliver(message: ExchangeMessage): void {
    if (this.failure !== undefined) return
    try {
      const node = this.nodes[message.node]
      if (message.kind === 'batch') node.push(message.channel, message.batch)
      else if (message.kind === 'watermark') node.pushWatermark(message.channel, message.watermark)
      else node.pushEnd(message.channel)
      this.checkEnded()
    } catch (error) {
      this.fail(error)
    }
  }

  fail(error: unknown): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.failed?.(error)
  }

  private checkEnded(): void {
    if (this.nodes.every((n) => n.ended)) this.allEnded?.()
  }

  private started = false

  /**
   * Starts watermark tracking; a source with no split in this task ends at
   * once. Workers call this, tell their peers, and wait for every peer's
   * start before `run`, so those ends arrive before any data and a record's
   * lateness does not depend on thread timing.
   */
  start(): void {
    if (this.started) return
    this.started = true
    const now = this.host.nowMs()
    for (const source of this.sources) source.start(now)
  }

  private cancelled = false

  /**
   * Stops reading: each split stops after the batch it is on, no final
   * watermark is sent (open windows do not fire with partial data), and the
   * sinks are closed with what they have been given.
   */
  cancel(): void {
    this.cancelled = true
    this.onCancel?.()
  }

  private onCancel: (() => void) | undefined
  private readonly cancelledPromise = new Promise<void>((resolve) => (this.onCancel = resolve))

  get isCancelled(): boolean {
    return this.cancelled
  }

  /** Runs this task's sources to their end, then waits for every input to end and every sink to close. */
  async run(): Promise<void> {
    this.start()
    const timer = setInterval(() => {
      try {
        const t = this.host.nowMs()
        for (const node of this.nodes) node.tick(t)
        this.checkEnded()
      } catch (error) {
        this.fail(error)
      }
    }, TICK_MS)
    try {
      const splits = this.sources.flatMap((source) => source.splits.map((split) => this.runSplit(source, split)))
      await Promise.race([Promise.all(splits), this.failedPromise])
      if (this.cancelled) {
        for (const sink of this.sinks) await Promise.race([sink.closeNow(), this.failedPromise])
        return
      }
      this.checkEnded()
      // A task without splits of its own waits for its inputs to end, or for a cancel.
      await Promise.race([this.ended, this.failedPromise, this.cancelledPromise])
      if (this.cancelled && !this.nodes.every((n) => n.ended)) {
        for (const sink of this.sinks) await Promise.race([sink.closeNow(), this.failedPromise])
        return
      }
      for (const sink of this.sinks) {
        await Promise.race([sink.closed, this.failedPromise])
        if (sink.error !== undefined) throw sink.error
      }
    } finally {
      clearInterval(timer)
      for (const source of this.sources) for (const split of source.splits) await split.reader.close?.()
    }
  }

  /** Splits between passing the backpressure gate and finishing their push: a checkpoint waits for 0. */
  busySplits = 0

  private async runSplit(source: SourceNode, split: LocalSplit): Promise<void> {
    const batchSize = source.spec.batchSize ?? 1024
    let lastYield = this.host.nowMs()
    for (;;) {
      if (this.failure !== undefined || this.cancelled) return
      for (let wait = this.host.backpressure() ?? this.sinkBackpressure(); wait !== undefined; wait = this.host.backpressure() ?? this.sinkBackpressure()) {
        await wait
        lastYield = this.host.nowMs()
        if (this.cancelled) return
      }
      this.busySplits++
      try {
        if (await this.readAndPush(source, split, batchSize, lastYield)) return
      } finally {
        this.busySplits--
      }
      const now = this.host.nowMs()
      if (now - lastYield >= YIELD_EVERY_MS) {
        await yieldNow()
        lastYield = this.host.nowMs()
      }
    }
  }

  /** One batch from a split into the chain (micro-batch: all that is available); true at the split's end. */
  private async readAndPush(source: SourceNode, split: LocalSplit, batchSize: number, _lastYield: number): Promise<boolean> {
    {
      let batch = this.host.microBatchMs === undefined ? split.reader.next(batchSize) : await this.readMicroBatch(split, batchSize)
      if (batch instanceof Promise) batch = await batch
      const now = this.host.nowMs()
      if (batch === null) {
        source.splitEnded(split, now)
        this.checkEnded()
        return true
      }
      source.pushSplitBatch(split, batch, now)
      for (const sink of this.sinks) if (sink.error !== undefined) throw sink.error
      if (batch.values.length === 0) await yieldNow()
      return false
    }
  }

  /**
   * Waits for the split's next interval boundary, then reads until the split
   * has nothing more (an empty batch) or 64 batches' worth, as one batch.
   */
  private async readMicroBatch(split: LocalSplit, batchSize: number): Promise<SourceBatch<unknown> | null> {
    const interval = this.host.microBatchMs as number
    const now = this.host.nowMs()
    const next = (Math.floor(now / interval) + 1) * interval
    await new Promise((resolve) => setTimeout(resolve, next - now))
    const values: unknown[] = []
    const timestamps: number[] = []
    const keys: Key[] = []
    let position: number | undefined
    for (let round = 0; round < 64; round++) {
      let batch = split.reader.next(batchSize)
      if (batch instanceof Promise) batch = await batch
      if (batch === null) {
        if (values.length === 0) return null
        break
      }
      for (let i = 0; i < batch.values.length; i++) {
        values.push(batch.values[i])
        timestamps.push(batch.timestamps[i])
        if (batch.keys !== undefined) keys.push(batch.keys[i])
      }
      if (batch.position !== undefined) position = batch.position
      if (batch.values.length === 0) break
    }
    return { values, timestamps, keys: keys.length === values.length && keys.length > 0 ? keys : undefined, position }
  }

  /** Waits until every write in flight has settled (a checkpoint's second step). */
  async drainSinks(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.drain()))
    for (const sink of this.sinks) if (sink.error !== undefined) throw sink.error
  }

  /** Every node's state and every local split's position: this task's part of a checkpoint. */
  snapshot(): { splits: { node: number; split: number; position: number | undefined; maxTimestamp: number }[]; state: { node: number; bytes: Uint8Array }[]; unsupported: number[] } {
    const splits = this.sources.flatMap((s) => s.splitStates().map((st) => ({ node: s.graphNode.id, split: st.split, position: st.position, maxTimestamp: st.maxTimestamp })))
    const state: { node: number; bytes: Uint8Array }[] = []
    const unsupported: number[] = []
    for (const node of this.nodes) {
      const bytes = node.snapshot()
      if (bytes === undefined) unsupported.push(node.graphNode.id)
      else if (bytes !== null) state.push({ node: node.graphNode.id, bytes })
    }
    return { splits, state, unsupported }
  }

  /** Task-run and inline sinks: hold the source while more than a few writes are in flight. */
  private sinkBackpressure(): Promise<void> | undefined {
    for (const sink of this.sinks) if (sink.pending > 4) return sink.drain()
    return undefined
  }

  /** Where each local source split has got to (for checkpoints and progress). */
  positions(): { node: number; split: number; position: number | undefined }[] {
    return this.sources.flatMap((s) => s.splits.map((split) => ({ node: s.graphNode.id, split: split.split, position: split.position })))
  }

  /** Results of task-run sinks (sinks.fold), by collect name: read after run(). */
  results(): [string, unknown][] {
    return this.sinkResults.map((r) => [r.name, r.result()])
  }

  metrics(): OperatorMetrics[] {
    return this.nodes.map((n) => n.metrics())
  }
}
