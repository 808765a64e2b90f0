// runJob: builds a job's graph, plans its splits and runs it on an executor —
// inline (every task in this thread: browsers, Deno, tests) or workers (one
// Piscina worker per task, Node only). Both run the same Task code, so they
// give the same results.
import { StreamConfigError } from '../stream/errors.js'
import { buildGraph, declaredJob, type JobDefinition, type JobGraph, type JobParams } from '../stream/dsl/job.js'
import type { SourceContext } from '../stream/sources/spec.js'
import { CoordinatorSinks, MetricsAggregator, collectResults, openSplitHere, planSplits } from './coordinator.js'
import { DEFAULT_MAX_PARALLELISM } from './key-groups.js'
import type { ExchangeMessage } from './keyed-nodes.js'
import type { JobMetrics } from './metrics.js'
import { Task, type TaskHost } from './task.js'
import { defaultAggregatorFactory } from './aggregators.js'
import { CheckpointCoordinator, decodeCheckpoint, restoreFor, type Checkpoint, type CheckpointContent } from './checkpoint.js'

export type { Checkpoint } from './checkpoint.js'

export interface RunJobOptions {
  /** Passed to the job's build function in every thread (must be structured-clonable for workers). */
  params?: JobParams
  /** Tasks. Default 1. */
  parallelism?: number
  /** Key groups: the most tasks this job's state can ever be spread over. Default 128. */
  maxParallelism?: number
  /** 'inline': all tasks in this thread; 'workers': one worker thread per task (Node). Default: 'workers' when parallelism > 1 on Node, else 'inline'. */
  executor?: 'inline' | 'workers'
  /** The embedded Eddy, for topic sources and sinks. */
  eddy?: unknown
  /** Cancels the job. */
  signal?: AbortSignal
  /** Take a checkpoint this often (ms; inline executor). A failed checkpoint is recorded and the job goes on. */
  checkpointIntervalMs?: number
  /** Micro-batch trigger (Spark style): sources read and process what has arrived once per interval (ms). Default: continuous. */
  microBatchMs?: number
  /** Resume from a checkpoint (its bytes, e.g. from a sink's record of the last one it committed). */
  restore?: Checkpoint
}

export interface JobResult {
  /** Records of each `sinks.collect(name)` sink, and the per-task values of each `sinks.fold(name)`. */
  collected: Map<string, unknown[]>
  metrics: JobMetrics
  /** From startJob to the end, including start-up (worker threads, module loading). */
  durationMs: number
  /** From the moment the tasks started reading their sources to the end: the processing time. */
  runMs: number
}

export interface JobHandle {
  readonly name: string
  /** Current metrics (summed over tasks). */
  metrics(): JobMetrics
  /** Settles when the job ends (every source finished, every sink closed) or fails. */
  readonly done: Promise<JobResult>
  /** Stops the job: sources stop after their current batch, open windows do not fire, sinks are closed. */
  cancel(): Promise<void>
  /** Takes a checkpoint now: pauses the sources between batches, snapshots state and positions, commits the sinks. */
  checkpoint(): Promise<Checkpoint>
}

function checkParallelism(options: RunJobOptions): { parallelism: number; maxParallelism: number } {
  const parallelism = options.parallelism ?? 1
  const maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM
  if (!Number.isSafeInteger(maxParallelism) || maxParallelism < 1 || maxParallelism > 32768) throw new StreamConfigError('maxParallelism', `must be an integer 1..32768, got ${String(maxParallelism)}`)
  if (!Number.isSafeInteger(parallelism) || parallelism < 1 || parallelism > maxParallelism) {
    throw new StreamConfigError('parallelism', `must be an integer from 1 to maxParallelism (${maxParallelism}), got ${String(parallelism)}`)
  }
  return { parallelism, maxParallelism }
}

const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string'

/**
 * Loads a job from a module path or URL: the job named `name` if given (exported
 * or declared with `module: import.meta.url`), else its default export, else
 * its only exported job.
 */
export async function loadJob(module: string | URL, name?: string): Promise<JobDefinition<any>> {
  const url = module instanceof URL ? module.href : /^[a-z]+:/i.test(module) ? module : await toFileUrl(module)
  const exports = (await import(url)) as Record<string, unknown>
  const isJob = (v: unknown): v is JobDefinition => typeof v === 'object' && v !== null && typeof (v as JobDefinition).build === 'function' && typeof (v as JobDefinition).name === 'string'
  const named = name === undefined ? undefined : (Object.values(exports).find((v) => isJob(v) && v.name === name) as JobDefinition | undefined) ?? declaredJob(url, name)
  const job = named ?? (isJob(exports.default) ? exports.default : Object.values(exports).find(isJob))
  if (job === undefined) throw new StreamConfigError('job', `${module} exports no job; export default defineJob({ name, build })`)
  return { ...job, module: url }
}

async function toFileUrl(path: string): Promise<string> {
  const { pathToFileURL } = await import('node:url')
  const { resolve } = await import('node:path')
  return pathToFileURL(resolve(path)).href
}

/** Starts a job and returns a handle (metrics while it runs, `done` when it ends). */
export async function startJob(jobOrModule: JobDefinition<any> | string | URL, options: RunJobOptions = {}): Promise<JobHandle> {
  const job = typeof jobOrModule === 'string' || jobOrModule instanceof URL ? await loadJob(jobOrModule) : jobOrModule
  const { parallelism, maxParallelism } = checkParallelism(options)
  const executor = options.executor ?? (parallelism > 1 && isNode ? 'workers' : 'inline')
  if (executor !== 'inline' && executor !== 'workers') throw new StreamConfigError('executor', `must be 'inline' or 'workers', got ${String(executor)}`)
  const params = options.params ?? {}
  const graph = buildGraph(job, params)
  const sourceContext: SourceContext = { eddy: options.eddy, nowMs: () => Date.now() }
  const splitCounts = await planSplits(graph, parallelism, sourceContext)
  const sinks = new CoordinatorSinks(graph, parallelism, options.eddy)
  await sinks.openAll()
  const aggregator = new MetricsAggregator(graph, parallelism, executor)
  if (options.microBatchMs !== undefined && !(options.microBatchMs > 0)) throw new StreamConfigError('microBatchMs', `must be a number of ms > 0, got ${String(options.microBatchMs)}`)
  if (options.checkpointIntervalMs !== undefined && !(options.checkpointIntervalMs > 0)) throw new StreamConfigError('checkpointIntervalMs', `must be a number of ms > 0, got ${String(options.checkpointIntervalMs)}`)
  const restore = options.restore === undefined ? undefined : decodeCheckpoint(options.restore.bytes)
  if (restore !== undefined) {
    if (restore.job !== graph.name) throw new StreamConfigError('restore', `the checkpoint is of job "${restore.job}", not "${graph.name}"`)
    if (restore.parallelism !== parallelism || restore.maxParallelism !== maxParallelism) {
      throw new StreamConfigError('restore', `the checkpoint was taken at parallelism ${restore.parallelism} (max ${restore.maxParallelism}); resume at the same parallelism`)
    }
  }
  if (executor === 'workers') {
    if (!isNode) throw new StreamConfigError('executor', "'workers' needs Node; use 'inline' here")
    if (job.module === undefined) throw new StreamConfigError('job.module', `job "${job.name}" must be loaded from its module to run on workers: defineJob({ module: import.meta.url, ... }) or runJob('./job.ts')`)
    const { startWorkerJob } = await import('./workers.js')
    return startWorkerJob({ job, graph, params, parallelism, maxParallelism, splitCounts, sinks, sourceContext, aggregator, signal: options.signal, microBatchMs: options.microBatchMs, checkpointIntervalMs: options.checkpointIntervalMs, restore })
  }
  return startInlineJob(graph, { parallelism, maxParallelism, splitCounts, sinks, sourceContext, aggregator, signal: options.signal, checkpointIntervalMs: options.checkpointIntervalMs, restore, microBatchMs: options.microBatchMs })
}

/** Runs a job to its end. */
export async function runJob(jobOrModule: JobDefinition<any> | string | URL, options: RunJobOptions = {}): Promise<JobResult> {
  return (await startJob(jobOrModule, options)).done
}

interface InlineSetup {
  parallelism: number
  maxParallelism: number
  splitCounts: Map<number, number>
  sinks: CoordinatorSinks
  sourceContext: SourceContext
  aggregator: MetricsAggregator
  signal?: AbortSignal
  checkpointIntervalMs?: number
  restore?: CheckpointContent
  microBatchMs?: number
}

/** Every task in this thread; keyBy hands records to the owning task directly. */
async function startInlineJob(graph: JobGraph, setup: InlineSetup): Promise<JobHandle> {
  const { parallelism, maxParallelism, splitCounts, sinks, sourceContext, aggregator } = setup
  const tasks: Task[] = []
  const started = Date.now()
  let status: JobMetrics['status'] = 'running'
  let cancelled = false
  let runStarted = Date.now()
  // Checkpoints: the gate parks every split between batches.
  let gate: Promise<void> | undefined
  let openGate: () => void = () => {}
  const exchange = {
    send(task: number, message: ExchangeMessage) {
      tasks[task].deliver(message)
    },
  }
  for (let t = 0; t < parallelism; t++) {
    const host: TaskHost = {
      task: t,
      parallelism,
      maxParallelism,
      exchange,
      splitCounts,
      sink: async (node) => sinks.handleFor(node),
      restore: setup.restore === undefined ? undefined : restoreFor(setup.restore, t),
      openSplit: async (node, split, splits, from) => {
        const reader = await openSplitHere(node, split, splits, sourceContext, from)
        return reader
      },
      backpressure: () => gate,
      microBatchMs: setup.microBatchMs,
      nowMs: () => Date.now(),
      aggregatorFactory: defaultAggregatorFactory,
    }
    tasks.push(new Task(graph, host))
  }

  const checkpoints = new CheckpointCoordinator(
    { name: graph.name, parallelism, maxParallelism },
    {
      async pauseAndSnapshot() {
        gate = new Promise<void>((resolve) => (openGate = resolve))
        // every split parked between batches (inline keyBy delivers synchronously: nothing else is in flight)
        while (tasks.some((t) => t.busySplits > 0)) await new Promise((resolve) => setTimeout(resolve, 1))
        for (const t of tasks) await t.drainSinks()
        return tasks.map((t) => t.snapshot())
      },
      resume() {
        gate = undefined
        openGate()
      },
      commitSinks: (checkpoint) => sinks.checkpointAll(checkpoint),
    },
    setup.restore?.id,
  )
  const checkpoint = (): Promise<Checkpoint> => (status === 'running' ? checkpoints.checkpoint() : Promise.reject(new StreamConfigError('checkpoint', `the job is ${status}`)))
  checkpoints.every(setup.checkpointIntervalMs, () => status === 'running')
  for (const task of tasks) await task.open()
  const metrics = (): JobMetrics => ({ ...aggregator.combine(tasks.map((t) => t.metrics()), status), checkpoints: checkpoints.history.map((h) => ({ ...h })) })
  const onAbort = () => {
    cancelled = true
    for (const t of tasks) t.cancel()
  }
  setup.signal?.addEventListener('abort', onAbort)
  const done = (async (): Promise<JobResult> => {
    try {
      for (const t of tasks) t.start()
      runStarted = Date.now()
      await Promise.all(tasks.map((t) => t.run()))
      for (const t of tasks) collectResults(sinks.collected, t.results())
      status = cancelled ? 'cancelled' : 'finished'
    } catch (error) {
      status = 'failed'
      for (const t of tasks) t.fail(error)
      throw error
    } finally {
      checkpoints.stop()
      setup.signal?.removeEventListener('abort', onAbort)
    }
    const ended = Date.now()
    return { collected: sinks.collected, metrics: metrics(), durationMs: ended - started, runMs: ended - runStarted }
  })()
  return {
    name: graph.name,
    metrics,
    done,
    async cancel() {
      await checkpoints.settled()
      onAbort()
      await done.catch(() => {})
    },
    checkpoint,
  }
}
