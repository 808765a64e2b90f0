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
import { CheckpointCoordinator, decodeCheckpoint, restoreFor, type Checkpoint, type CheckpointContent, type CheckpointCoordinatorOptions, type CheckpointRequest } from './checkpoint.js'
import type { DeliveryGuarantee } from './task.js'
import { recoverPointOf, taskPrepared, type RecoverPoint } from './recovery.js'
import { operatorUids, prepareRestore } from './rescale.js'
import { checkGuarantee, checkRestart, superviseJob, type RestartStrategy } from './supervisor.js'

export type { Checkpoint } from './checkpoint.js'
export type { DeliveryGuarantee } from './task.js'
export type { RestartStrategy } from './supervisor.js'

/** Where and how often checkpoints are taken (Node: the directory is a checkpoint store). */
export interface CheckpointsOptions {
  /** Directory for completed checkpoints, each written atomically; the job resumes from the newest on start (see `resume`). */
  dir?: string
  /** Take one this often (ms). */
  intervalMs?: number
  /** Completed checkpoints kept in `dir`. Default 3. */
  retain?: number
  /** A checkpoint still running after this long fails; the job goes on. Default 60 000. */
  timeoutMs?: number
}

/** A savepoint: a checkpoint written to a file of the caller's choosing, never deleted by retention. */
export interface Savepoint extends Checkpoint {
  path: string
}

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
  /** Take a checkpoint this often (ms). A failed checkpoint is recorded and the job goes on. Same as `checkpoints.intervalMs`. */
  checkpointIntervalMs?: number
  /** Checkpoint store and interval. */
  checkpoints?: CheckpointsOptions
  /** With `checkpoints.dir`: 'latest' (default) resumes from the newest complete checkpoint there; false starts afresh. */
  resume?: 'latest' | false
  /** What a failure may cost (docs/checkpoints.md). Default 'at-least-once'. */
  guarantee?: DeliveryGuarantee
  /** Restart after a failure (a task error, a worker thread that died). Default: none, the job fails. */
  restart?: RestartStrategy
  /** Micro-batch trigger (Spark style): sources read and process what has arrived once per interval (ms). Default: continuous. */
  microBatchMs?: number
  /** Resume from a checkpoint or savepoint: its bytes (e.g. a sink's record of the last one it committed) or a file path (Node). */
  restore?: Checkpoint | Uint8Array | string
  /** Restore even when the checkpoint holds state for operators (matched by uid) this job no longer has: that state is dropped. Default false: refused, naming them. */
  allowNonRestoredState?: boolean
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
  /** Takes a checkpoint and writes it to `path` (a file, or `savepoint-<id>.ckpt` in a directory), marked as a savepoint (Node). */
  savepoint(path: string): Promise<Savepoint>
  /** Takes a savepoint, then cancels with nothing processed after it (open windows do not fire). */
  stopWithSavepoint(path: string): Promise<Savepoint>
}

/** One run of a job between failures (the supervisor restarts attempts). */
export interface AttemptHandle {
  readonly name: string
  metrics(): JobMetrics
  readonly done: Promise<JobResult>
  cancel(): Promise<void>
  checkpoint(request?: CheckpointRequest): Promise<Checkpoint>
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
  if (options.microBatchMs !== undefined && !(options.microBatchMs > 0)) throw new StreamConfigError('microBatchMs', `must be a number of ms > 0, got ${String(options.microBatchMs)}`)
  const intervalMs = checkInterval(options)
  const guarantee = checkGuarantee(options.guarantee, { checkpoints: options.checkpoints !== undefined || intervalMs !== undefined })
  const restart = checkRestart(options.restart, guarantee)
  if (options.resume !== undefined && options.resume !== 'latest' && options.resume !== false) throw new StreamConfigError('resume', `must be 'latest' or false, got ${String(options.resume)}`)
  if (options.checkpoints?.dir !== undefined && !isNode) throw new StreamConfigError('checkpoints.dir', 'a checkpoint store needs Node; take checkpoints with handle.checkpoint() here')
  if (executor === 'workers') {
    if (!isNode) throw new StreamConfigError('executor', "'workers' needs Node; use 'inline' here")
    if (job.module === undefined) throw new StreamConfigError('job.module', `job "${job.name}" must be loaded from its module to run on workers: defineJob({ module: import.meta.url, ... }) or runJob('./job.ts')`)
  }
  const store = options.checkpoints?.dir === undefined ? undefined : await (await import('./checkpoint-store.js')).CheckpointStore.open({ dir: options.checkpoints.dir, retain: options.checkpoints.retain })
  const initial = options.restore !== undefined ? await readRestore(options.restore) : store !== undefined && options.resume !== false ? (await store.latest())?.content : undefined
  // The rest of what a restore must fit (maxParallelism, operators, splits) prepareRestore checks, for every attempt.
  if (initial !== undefined && initial.job !== graph.name) throw new StreamConfigError('restore', `the checkpoint is of job "${initial.job}", not "${graph.name}"`)
  // Every attempt shares the collected output, and a restart resumes from the newest checkpoint completed by any attempt.
  const collected = new Map<string, unknown[]>()
  let lastCompleted: Checkpoint | undefined
  const checkpointOptions: CheckpointCoordinatorOptions = {
    twoPhase: guarantee === 'exactly-once',
    persist: store === undefined ? undefined : async (checkpoint) => void (await store.write(checkpoint)),
    onCompleted: (checkpoint) => (lastCompleted = checkpoint),
    timeoutMs: options.checkpoints?.timeoutMs,
    idFloor: store === undefined ? 0 : ((await store.ids())[0] ?? 0),
  }
  // The first attempt runs the graph built above; a restart builds a fresh one (sources and sinks keep per-run state in their specs).
  let unused: JobGraph | undefined = graph
  const attempt = async (restore: CheckpointContent | undefined, restarted: boolean): Promise<AttemptHandle> => {
    const graph = unused ?? buildGraph(job, params)
    unused = undefined
    const splitCounts = await planSplits(graph, parallelism, sourceContext)
    // State (and the sinks' prepared bytes) matched to this version of the job's operators by uid, before any sink opens (rescale.ts); tasks regroup keyed state by key group.
    if (restore !== undefined) restore = prepareRestore(restore, { graph, parallelism, maxParallelism, splitCounts, allowNonRestoredState: options.allowNonRestoredState })
    // Sinks recover on every restore, and on a restart with no checkpoint yet (id 0, nothing prepared: they discard what they left open).
    const recoverFrom: RecoverPoint | undefined = restore !== undefined ? recoverPointOf(restore) : restarted ? { checkpointId: 0, prepared: [] } : undefined
    const sinks = new CoordinatorSinks(graph, parallelism, options.eddy, collected, guarantee)
    await sinks.openAll()
    if (recoverFrom !== undefined) await sinks.recoverAll(recoverFrom.checkpointId, recoverFrom.prepared)
    const aggregator = new MetricsAggregator(graph, parallelism, executor)
    const common = { parallelism, maxParallelism, splitCounts, sinks, sourceContext, aggregator, signal: options.signal, microBatchMs: options.microBatchMs, checkpointIntervalMs: intervalMs, restore, guarantee, recoverFrom, checkpointOptions }
    if (executor === 'workers') {
      const { startWorkerJob } = await import('./workers.js')
      return startWorkerJob({ job, graph, params, ...common })
    }
    return startInlineJob(graph, common)
  }
  return superviseJob({
    name: graph.name,
    guarantee,
    signal: options.signal,
    attempt,
    initial,
    restart,
    // The store's newest complete checkpoint (it survives even a failed commit), else the newest this process took.
    latest: async () => (store !== undefined ? (await store.latest())?.content : undefined) ?? (lastCompleted === undefined ? initial : decodeCheckpoint(lastCompleted.bytes)),
  })
}

function checkInterval(options: RunJobOptions): number | undefined {
  const { checkpointIntervalMs } = options
  const fromCheckpoints = options.checkpoints?.intervalMs
  for (const [name, value] of [['checkpointIntervalMs', checkpointIntervalMs], ['checkpoints.intervalMs', fromCheckpoints]] as const) {
    if (value !== undefined && !(typeof value === 'number' && value > 0)) throw new StreamConfigError(name, `must be a number of ms > 0, got ${String(value)}`)
  }
  if (options.checkpoints !== undefined && (typeof options.checkpoints !== 'object' || options.checkpoints === null)) throw new StreamConfigError('checkpoints', 'must be an object { dir?, intervalMs?, retain?, timeoutMs? }')
  const timeoutMs = options.checkpoints?.timeoutMs
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs > 0)) throw new StreamConfigError('checkpoints.timeoutMs', `must be a number of ms > 0, got ${String(timeoutMs)}`)
  return fromCheckpoints ?? checkpointIntervalMs
}

/** A restore option as checkpoint content: bytes as given, or a file read and checked (Node). */
async function readRestore(restore: Checkpoint | Uint8Array | string): Promise<CheckpointContent> {
  if (typeof restore === 'string') {
    if (!isNode) throw new StreamConfigError('restore', 'a checkpoint file needs Node; pass the bytes here')
    return (await (await import('./checkpoint-store.js')).readCheckpointFile(restore)).content
  }
  if (restore instanceof Uint8Array) return decodeCheckpoint(restore)
  if (restore === null || typeof restore !== 'object' || !(restore.bytes instanceof Uint8Array)) throw new StreamConfigError('restore', 'must be checkpoint bytes, { id, bytes } or a checkpoint file path')
  return decodeCheckpoint(restore.bytes)
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
  guarantee: DeliveryGuarantee
  /** Set on a restore or restart: sinks recover() from it before any write; its id is the last completed checkpoint. */
  recoverFrom?: RecoverPoint
  checkpointOptions: CheckpointCoordinatorOptions
}

/** Every task in this thread; keyBy hands records to the owning task directly. */
async function startInlineJob(graph: JobGraph, setup: InlineSetup): Promise<AttemptHandle> {
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
      restore: setup.restore === undefined ? undefined : restoreFor(setup.restore, t, parallelism),
      guarantee: setup.guarantee,
      recoverSinks: setup.recoverFrom === undefined ? undefined : { checkpointId: setup.recoverFrom.checkpointId, prepared: taskPrepared(setup.recoverFrom, t, parallelism) },
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
    { name: graph.name, parallelism, maxParallelism, operators: operatorUids(graph) },
    {
      ...sinks.checkpointParticipants(),
      async pauseAndSnapshot(id, twoPhase) {
        gate = new Promise<void>((resolve) => (openGate = resolve))
        // every split parked between batches (inline keyBy delivers synchronously: nothing else is in flight)
        while (tasks.some((t) => t.busySplits > 0)) await new Promise((resolve) => setTimeout(resolve, 1))
        for (const t of tasks) await t.drainSinks()
        const parts = []
        for (const t of tasks) parts.push({ ...t.snapshot(), prepared: twoPhase ? await t.prepareSinks(id) : undefined })
        return parts
      },
      resume() {
        gate = undefined
        openGate()
      },
      async commitTaskSinks(id) {
        for (const t of tasks) await t.commitSinks(id)
      },
    },
    setup.recoverFrom?.checkpointId,
    setup.checkpointOptions,
  )
  const checkpoint = (request?: CheckpointRequest): Promise<Checkpoint> => (status === 'running' ? checkpoints.checkpoint(request) : Promise.reject(new StreamConfigError('checkpoint', `the job is ${status}`)))
  checkpoints.every(setup.checkpointIntervalMs, () => status === 'running')
  for (const task of tasks) await task.open()
  const metrics = (): JobMetrics => ({ ...aggregator.combine(tasks.map((t) => t.metrics()), status), checkpoints: checkpoints.history.map((h) => ({ ...h })) })
  const onAbort = () => {
    cancelled = true
    for (const t of tasks) t.cancel()
    // A stop-with-savepoint leaves the gate closed; the cancelled splits must still get past it to end.
    openGate()
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
