// One task inside a worker thread: rebuilds the job from its module, runs a
// Task, talks to the other tasks over MessagePorts (batches transferred as
// ArrayBuffers, credit-based flow control) and to the coordinator for
// coordinator-run sources and sinks.
import { buildGraph } from '../stream/dsl/job.js'
import type { SourceReader } from '../stream/sources/spec.js'
import { decodeBatch, encodeBatch } from './codec.js'
import { KeyByNode, type ExchangeMessage } from './keyed-nodes.js'
import type { OperatorMetrics } from './metrics.js'
import { loadJob } from './run-job.js'
import { Task, type TaskHost } from './task.js'
import type { PeerMessage, TaskInit, ToCoordinator, ToTask } from './worker-protocol.js'
import { defaultAggregatorFactory } from './aggregators.js'
import { handleOf } from './coordinator.js'
import type { TaskSnapshot } from './checkpoint.js'

const METRICS_INTERVAL_MS = 500

export interface TaskOutcome {
  metrics: OperatorMetrics[]
  results: [string, unknown][]
  /** Wall-clock ms when this task began reading its sources (after the start handshake). */
  runStartedAt: number
}

export async function runTask(init: TaskInit): Promise<TaskOutcome> {
  const job = await loadJob(init.module, init.jobName)
  const graph = buildGraph(job, init.params)
  const { control, peers, credits } = init
  let cancelled = false
  let task: Task | undefined
  let nextId = 0
  const replies = new Map<number, { resolve: (m: ToTask & { type: 'reply' }) => void; reject: (e: Error) => void }>()
  const rpc = (message: ToCoordinator & { id: number }, transfer: ArrayBuffer[] = []): Promise<ToTask & { type: 'reply' }> =>
    new Promise((resolve, reject) => {
      replies.set(message.id, { resolve, reject })
      control.postMessage(message, transfer)
    })
  // Checkpoints: a gate parks the splits; counters of peer messages let the coordinator see when none is in flight.
  let gate: Promise<void> | undefined
  let openGate: () => void = () => {}
  const sent = new Array<number>(init.parallelism).fill(0)
  const received = new Array<number>(init.parallelism).fill(0)
  const reportCounts = () => control.postMessage({ type: 'paused', sent: sent.slice(), received: received.slice() } satisfies ToCoordinator)
  const onCheckpointMessage = async (message: ToTask): Promise<void> => {
    try {
      if (message.type === 'pause') {
        gate ??= new Promise<void>((resolve) => (openGate = resolve))
        while ((task?.busySplits ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, 1))
        reportCounts()
      } else if (message.type === 'counts') reportCounts()
      else if (message.type === 'snapshot') {
        await task!.drainSinks()
        const part: TaskSnapshot = task!.snapshot()
        if (message.twoPhase) part.prepared = await task!.prepareSinks(message.id)
        control.postMessage({ type: 'snapshot', part } satisfies ToCoordinator)
      } else if (message.type === 'commit') {
        await task!.commitSinks(message.id)
        control.postMessage({ type: 'committed' } satisfies ToCoordinator)
      } else if (message.type === 'resume') {
        gate = undefined
        openGate()
      }
    } catch (error) {
      control.postMessage({ type: 'error', message: (error as Error)?.message ?? String(error) } satisfies ToCoordinator)
    }
  }
  control.on('message', (message: ToTask) => {
    if (message.type === 'cancel') {
      cancelled = true
      if (message.abort) task?.fail(new Error('aborted: another task of the job failed'))
      else task?.cancel()
      release()
      openGate()
      return
    }
    if (message.type === 'pause' || message.type === 'counts' || message.type === 'snapshot' || message.type === 'commit' || message.type === 'resume') {
      void onCheckpointMessage(message)
      return
    }
    const waiter = replies.get(message.id)
    if (waiter === undefined) return
    replies.delete(message.id)
    if (message.error !== undefined) waiter.reject(new Error(message.error))
    else waiter.resolve(message)
  })

  // Flow control: at most `credits` unacknowledged batches towards each peer.
  const inflight = new Int32Array(init.parallelism)
  let waiters: (() => void)[] = []
  const release = () => {
    const list = waiters
    waiters = []
    for (const w of list) w()
  }
  const exchange = {
    send(target: number, message: ExchangeMessage) {
      const port = peers[target] as MessagePort
      sent[target]++
      if (message.kind === 'batch') {
        const buffer = encodeBatch(message.batch)
        inflight[target]++
        port.postMessage({ kind: 'batch', node: message.node, channel: message.channel, buffer } satisfies PeerMessage, [buffer])
      } else port.postMessage(message satisfies PeerMessage)
    },
  }

  const host: TaskHost = {
    task: init.task,
    parallelism: init.parallelism,
    maxParallelism: init.maxParallelism,
    exchange,
    splitCounts: new Map(init.splitCounts),
    async sink(node) {
      if (node.spec.runsIn === 'task') return handleOf(await node.spec.open({ collected: new Map() }))
      return {
        write: async (batch) => {
          const buffer = encodeBatch(batch)
          await rpc({ type: 'sink', id: nextId++, node: node.id, buffer }, [buffer])
        },
        close: async () => {
          await rpc({ type: 'sinkClose', id: nextId++, node: node.id })
        },
      }
    },
    async openSplit(node, split, splits, from): Promise<SourceReader<unknown>> {
      if (node.spec.runsIn === 'task') return node.spec.open(split, splits, { nowMs: () => Date.now() }, from)
      return {
        async next(max) {
          if (cancelled) return { values: [], timestamps: [] }
          const reply = await rpc({ type: 'next', id: nextId++, node: node.id, split, splits, max, from })
          if (reply.buffer === null || reply.buffer === undefined) return null
          const batch = decodeBatch(reply.buffer)
          return { values: batch.values, timestamps: batch.timestamps, keys: batch.keys, position: reply.position }
        },
        close: () => control.postMessage({ type: 'closeSplit', node: node.id, split } satisfies ToCoordinator),
      }
    },
    restore:
      init.restore === undefined
        ? undefined
        : { splits: new Map(init.restore.splits), state: new Map(init.restore.state) },
    backpressure() {
      if (cancelled) return undefined
      if (gate !== undefined) return gate
      for (let t = 0; t < inflight.length; t++) if (inflight[t] >= credits) return new Promise<void>((resolve) => waiters.push(resolve))
      return undefined
    },
    nowMs: () => Date.now(),
    aggregatorFactory: defaultAggregatorFactory,
    microBatchMs: init.microBatchMs,
    guarantee: init.guarantee,
    recoverSinks: init.recoverSinks === undefined ? undefined : { checkpointId: init.recoverSinks.checkpointId, prepared: new Map(init.recoverSinks.prepared) },
  }

  task = new Task(graph, host)
  await task.open()
  let peersStarted = 0
  let allStarted: () => void = () => {}
  const started = new Promise<void>((resolve) => (allStarted = resolve))
  if (init.parallelism === 1) allStarted()
  const deliver = (from: number, port: MessagePort, message: PeerMessage & { kind: 'batch' | 'watermark' | 'end' }) => {
    received[from]++
    if (message.kind === 'batch') {
      const batch = decodeBatch(message.buffer, { typed: true })
      task.deliver({ kind: 'batch', node: message.node, channel: message.channel, batch: { values: batch.values, timestamps: batch.timestamps, keys: batch.keys } })
      port.postMessage({ kind: 'ack' } satisfies PeerMessage)
    } else task.deliver(message)
  }
  // What a peer sends before its 'started' is its start-time output (the end of each source it has no
  // split of) and is applied at once. What it sends after is run-time data, held until every peer has
  // started, so every peer's start-time output is applied before any data: otherwise a fast peer's data
  // can come in on its port before a slow peer's ends on another, and a window's watermark (the minimum
  // over its channels), so which records are late, would depend on thread timing.
  const peerStarted = new Array<boolean>(init.parallelism).fill(false)
  let held: [number, MessagePort, PeerMessage & { kind: 'batch' | 'watermark' | 'end' }][] | undefined = init.parallelism === 1 ? undefined : []
  peers.forEach((port, from) => {
    if (port === null) return
    port.on('message', (message: PeerMessage) => {
      if (message.kind === 'started') {
        peerStarted[from] = true
        if (++peersStarted === init.parallelism - 1) {
          const runTime = held ?? []
          held = undefined
          for (const [f, p, m] of runTime) deliver(f, p, m)
          allStarted()
        }
        return
      }
      if (message.kind === 'ack') {
        inflight[from]--
        release()
        return
      }
      if (held !== undefined && peerStarted[from]) held.push([from, port as MessagePort, message])
      else deliver(from, port as MessagePort, message)
    })
  })
  task.start()
  for (const port of peers) port?.postMessage({ kind: 'started' } satisfies PeerMessage)
  await started
  const runStartedAt = Date.now()
  control.postMessage({ type: 'running' } satisfies ToCoordinator)
  const report = () => {
    // A keyBy's queue is what it has sent and the receivers have not yet processed.
    const waiting = inflight.reduce((a, b) => a + b, 0)
    for (const node of task.nodes) if (node instanceof KeyByNode) node.queueDepth = waiting
    control.postMessage({ type: 'metrics', metrics: task.metrics() } satisfies ToCoordinator)
  }
  const timer = setInterval(report, METRICS_INTERVAL_MS)
  try {
    await task.run()
    return { metrics: task.metrics(), results: task.results(), runStartedAt }
  } finally {
    clearInterval(timer)
    for (const port of peers) port?.close()
    control.close()
  }
}
