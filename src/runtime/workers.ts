// The worker executor (Node): one single-thread Piscina pool per task, so a
// task — and the key groups it owns — stays on its thread for the life of
// the job (Piscina would otherwise give each task to the least busy thread).
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { releaseThreads, takeThreads } from './thread-pool.js'
import type { JobDefinition, JobGraph, JobParams } from '../stream/dsl/job.js'
import { StreamConfigError } from '../stream/errors.js'
import type { SourceContext, SourceReader } from '../stream/sources/spec.js'
import { decodeBatch, encodeBatch } from './codec.js'
import { collectResults, openSplitHere, type CoordinatorSinks, type MetricsAggregator } from './coordinator.js'
import type { TaskOutcome } from './worker-task.js'
import { CheckpointCoordinator, restoreFor, type CheckpointContent, type CheckpointCoordinatorOptions } from './checkpoint.js'
import type { JobMetrics, OperatorMetrics } from './metrics.js'
import type { AttemptHandle, JobResult } from './run-job.js'
import type { TaskInit, ToCoordinator, ToTask } from './worker-protocol.js'
import { taskPrepared, type RecoverPoint } from './recovery.js'
import { operatorUids } from './rescale.js'
import type { DeliveryGuarantee } from './task.js'

/** Task `task`'s part of a checkpoint, as plain data for the worker's init message. */
function restoreInit(content: CheckpointContent | undefined, task: number, parallelism: number): TaskInit['restore'] {
  if (content === undefined) return undefined
  const part = restoreFor(content, task, parallelism)
  return { splits: [...part.splits], state: [...part.state] }
}

/**
 * Unacknowledged batches a task may have towards each peer. A task reads peer
 * messages only when it yields (every few ms), so this must cover the batches
 * a busy task sends between two yields of its peer, or both stall in turn
 * (at 8 with 1024-event batches, q5 at parallelism 2 spent 10-20% of each
 * worker idle). More data in flight once exposed a start-up race (see
 * worker-task.ts, run-time data held until every peer has started).
 */
const CREDITS = 32

export interface WorkerJobSetup {
  job: JobDefinition<any>
  graph: JobGraph
  params: JobParams
  parallelism: number
  maxParallelism: number
  splitCounts: Map<number, number>
  sinks: CoordinatorSinks
  sourceContext: SourceContext
  aggregator: MetricsAggregator
  signal?: AbortSignal
  microBatchMs?: number
  checkpointIntervalMs?: number
  restore?: CheckpointContent
  guarantee: DeliveryGuarantee
  /** Set on a restore or restart: sinks recover() from it before any write; its id is the last completed checkpoint. */
  recoverFrom?: RecoverPoint
  checkpointOptions: CheckpointCoordinatorOptions
}

export async function startWorkerJob(setup: WorkerJobSetup): Promise<AttemptHandle> {
  const { job, graph, parallelism, sinks, sourceContext, aggregator } = setup
  const started = Date.now()
  let status: JobMetrics['status'] = 'running'
  const latest: OperatorMetrics[][] = Array.from({ length: parallelism }, () => [])
  const pools = takeThreads(parallelism)
  // Every task returned: the threads may serve the next job.
  let clean = false
  const peers: (MessagePort | null)[][] = Array.from({ length: parallelism }, () => Array(parallelism).fill(null))
  for (let a = 0; a < parallelism; a++) {
    for (let b = a + 1; b < parallelism; b++) {
      const channel = new MessageChannel()
      peers[a][b] = channel.port1
      peers[b][a] = channel.port2
    }
  }
  const controls: MessagePort[] = []
  const readers = new Map<string, Promise<SourceReader<unknown>>>()
  const runs = pools.map((pool, task) => {
    const control = new MessageChannel()
    controls.push(control.port1)
    control.port1.on('message', (message: ToCoordinator) => void serve(task, control.port1, message))
    const init: TaskInit = {
      module: job.module as string,
      jobName: job.name,
      params: setup.params,
      task,
      parallelism,
      maxParallelism: setup.maxParallelism,
      splitCounts: [...setup.splitCounts],
      control: control.port2,
      peers: peers[task],
      credits: CREDITS,
      microBatchMs: setup.microBatchMs,
      restore: restoreInit(setup.restore, task, parallelism),
      guarantee: setup.guarantee,
      recoverSinks: setup.recoverFrom === undefined ? undefined : { checkpointId: setup.recoverFrom.checkpointId, prepared: [...taskPrepared(setup.recoverFrom, task, parallelism)] },
    }
    const transfer = [control.port2, ...peers[task].filter((p): p is MessagePort => p !== null)]
    return pool.run(init, { transferList: transfer as never }) as Promise<TaskOutcome>
  })

  async function serve(task: number, port: MessagePort, message: ToCoordinator): Promise<void> {
    if (message.type === 'metrics') {
      latest[task] = message.metrics
      return
    }
    if (message.type === 'running') {
      if (++runningTasks === parallelism) allRunning()
      return
    }
    if (message.type === 'paused' || message.type === 'snapshot' || message.type === 'committed' || message.type === 'error') {
      checkpointReplies[task]?.(message)
      return
    }
    if (message.type === 'closeSplit') {
      const key = `${message.node}/${message.split}`
      const reader = readers.get(key)
      readers.delete(key)
      await (await reader)?.close?.()
      return
    }
    try {
      if (message.type === 'sink') {
        await sinks.write(message.node, decodeBatch(message.buffer))
        port.postMessage({ type: 'reply', id: message.id } satisfies ToTask)
      } else if (message.type === 'sinkClose') {
        await sinks.closeOne(message.node)
        port.postMessage({ type: 'reply', id: message.id } satisfies ToTask)
      } else if (message.type === 'next') {
        const key = `${message.node}/${message.split}`
        let reader = readers.get(key)
        if (reader === undefined) {
          const node = graph.nodes[message.node] as JobGraph['nodes'][number] & { kind: 'source' }
          readers.set(key, (reader = Promise.resolve(openSplitHere(node, message.split, message.splits, sourceContext, message.from))))
        }
        const batch = await (await reader).next(message.max)
        if (batch === null) port.postMessage({ type: 'reply', id: message.id, buffer: null } satisfies ToTask)
        else {
          const buffer = encodeBatch({ values: batch.values, timestamps: batch.timestamps, keys: batch.keys })
          port.postMessage({ type: 'reply', id: message.id, buffer, position: batch.position } satisfies ToTask, [buffer])
        }
      }
    } catch (error) {
      port.postMessage({ type: 'reply', id: message.id, error: (error as Error)?.message ?? String(error) } satisfies ToTask)
    }
  }

  // Checkpoints: park every task's sources, wait until no peer message is in flight (every task's
  // sent-to-b equals b's received-from-it, the same in two rounds running), then snapshot each task.
  const checkpointReplies: (((reply: ToCoordinator) => void) | undefined)[] = Array(parallelism).fill(undefined)
  // A job that ends while a checkpoint waits on its tasks fails that checkpoint instead of leaving it hanging.
  const pendingAsks = new Set<(error: Error) => void>()
  let ended = false
  // Checkpoints start once every task is past its start handshake.
  let runningTasks = 0
  let allRunning: () => void = () => {}
  const running = new Promise<void>((resolve) => (allRunning = resolve))
  const ask = (message: ToTask): Promise<ToCoordinator[]> =>
    Promise.all(
      controls.map(
        (port, task) =>
          new Promise<ToCoordinator>((resolve, reject) => {
            if (ended) return reject(new Error('the job ended during the checkpoint'))
            pendingAsks.add(reject)
            checkpointReplies[task] = (reply) => {
              pendingAsks.delete(reject)
              if (reply.type === 'error') reject(new Error(`task ${task}: ${reply.message}`))
              else resolve(reply)
            }
            port.postMessage(message)
          }),
      ),
    )
  const quiescent = (replies: ToCoordinator[]): string | undefined => {
    const counts = replies as (ToCoordinator & { type: 'paused' })[]
    for (let a = 0; a < parallelism; a++) for (let b = 0; b < parallelism; b++) if (a !== b && counts[a].sent[b] !== counts[b].received[a]) return undefined
    return JSON.stringify(counts.map((c) => [c.sent, c.received]))
  }
  const checkpoints = new CheckpointCoordinator(
    { name: graph.name, parallelism, maxParallelism: setup.maxParallelism, operators: operatorUids(graph) },
    {
      ...sinks.checkpointParticipants(),
      async pauseAndSnapshot(id, twoPhase) {
        await running
        let previous: string | undefined
        for (let replies = await ask({ type: 'pause' }); ; replies = await ask({ type: 'counts' })) {
          const state = quiescent(replies)
          if (state !== undefined && state === previous) break
          previous = state
          await new Promise((resolve) => setTimeout(resolve, 1))
        }
        const parts = (await ask({ type: 'snapshot', id, twoPhase })) as (ToCoordinator & { type: 'snapshot' })[]
        return parts.map((p) => p.part)
      },
      resume() {
        for (const port of controls) port.postMessage({ type: 'resume' } satisfies ToTask)
      },
      async commitTaskSinks(id) {
        await ask({ type: 'commit', id })
      },
    },
    setup.recoverFrom?.checkpointId,
    setup.checkpointOptions,
  )
  checkpoints.every(setup.checkpointIntervalMs, () => status === 'running')
  const metrics = (): JobMetrics => ({ ...aggregator.combine(latest, status), checkpoints: checkpoints.history.map((h) => ({ ...h })) })
  const cancelAll = () => {
    for (const port of controls) port.postMessage({ type: 'cancel' } satisfies ToTask)
  }
  // After a failure the other tasks stop without closing their sinks: a close is the end of input and would commit output past the last checkpoint.
  const abortAll = () => {
    for (const port of controls) port.postMessage({ type: 'cancel', abort: true } satisfies ToTask)
  }
  setup.signal?.addEventListener('abort', cancelAll)
  let cancelled = false
  const done = (async (): Promise<JobResult> => {
    try {
      const finals = await Promise.all(runs)
      finals.forEach((outcome, t) => {
        latest[t] = outcome.metrics
        collectResults(sinks.collected, outcome.results)
      })
      clean = true
      status = cancelled ? 'cancelled' : 'finished'
      const ended = Date.now()
      return { collected: sinks.collected, metrics: metrics(), durationMs: ended - started, runMs: ended - Math.min(...finals.map((f) => f.runStartedAt)) }
    } catch (error) {
      status = 'failed'
      abortAll()
      throw error
    } finally {
      ended = true
      allRunning()
      for (const reject of pendingAsks) reject(new Error('the job ended during the checkpoint'))
      pendingAsks.clear()
      checkpoints.stop()
      setup.signal?.removeEventListener('abort', cancelAll)
      for (const port of controls) port.close()
      for (const reader of readers.values()) await (await reader.catch(() => undefined))?.close?.()
      await releaseThreads(pools, clean)
    }
  })()
  return {
    name: graph.name,
    metrics,
    done,
    async cancel() {
      await checkpoints.settled()
      cancelled = true
      cancelAll()
      await done.catch(() => {})
    },
    checkpoint: (request) => (status === 'running' ? checkpoints.checkpoint(request) : Promise.reject(new StreamConfigError('checkpoint', `the job is ${status}`))),
  }
}
