// The Prometheus text exposition format (version 0.0.4), by hand: it is small.
// One family per metric name with its # HELP and # TYPE, label values escaped
// (\\, \" and \n), and +Inf / -Inf / NaN for non-finite values.
import type { CheckpointMetrics, JobMetrics } from '../runtime/metrics.js'
import type { DashboardSnapshot } from './snapshot.js'

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'

type Labels = Record<string, string | number>
type Kind = 'gauge' | 'counter'

class Family {
  readonly samples: string[] = []
  constructor(
    readonly name: string,
    readonly kind: Kind,
    readonly help: string,
  ) {}
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
}

/** Escapes # HELP text: backslash and line feed. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
}

/** A sample value as the format writes it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Infinity) return '+Inf'
  if (value === -Infinity) return '-Inf'
  return String(value)
}

class Exposition {
  private readonly families = new Map<string, Family>()

  family(name: string, kind: Kind, help: string): (labels: Labels, value: number) => void {
    let family = this.families.get(name)
    if (!family) this.families.set(name, (family = new Family(name, kind, help)))
    const f = family
    return (labels, value) => {
      const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabelValue(String(v))}"`)
      f.samples.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`)
    }
  }

  text(): string {
    const lines: string[] = []
    for (const f of this.families.values()) {
      lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`, ...f.samples)
    }
    return lines.join('\n') + '\n'
  }
}

/**
 * Keeps eddy_job_checkpoints_total a true counter: a job may report only its
 * recent checkpoint history, so each checkpoint id is counted once, when it
 * reaches a final status, and the totals survive it leaving the history. A job
 * restarted (new startedAt) starts from zero, as a restarted process would.
 */
export class CheckpointTotals {
  private readonly jobs = new Map<string, { startedAt: number; counted: Set<number>; completed: number; failed: number }>()

  observe(job: JobMetrics): { completed: number; failed: number; inProgress: number } {
    let entry = this.jobs.get(job.name)
    if (!entry || entry.startedAt !== job.startedAt) {
      entry = { startedAt: job.startedAt, counted: new Set(), completed: 0, failed: 0 }
      this.jobs.set(job.name, entry)
    }
    let inProgress = 0
    const listed = new Set<number>()
    for (const c of job.checkpoints) {
      listed.add(c.id)
      if (c.status === 'in-progress') inProgress++
      else if (!entry.counted.has(c.id)) {
        entry.counted.add(c.id)
        if (c.status === 'completed') entry.completed++
        else entry.failed++
      }
    }
    // Ids no longer listed will not be reported again: forget them so the set stays small.
    for (const id of entry.counted) if (!listed.has(id)) entry.counted.delete(id)
    return { completed: entry.completed, failed: entry.failed, inProgress }
  }
}

export interface PrometheusExtras {
  /** WebSocket clients connected to the dashboard. */
  dashboardClients?: number
}

/** Renders a snapshot as Prometheus text. Pass the same CheckpointTotals on every call so checkpoint counters stay monotonic. */
export function renderPrometheus(snapshot: DashboardSnapshot, totals = new CheckpointTotals(), extras: PrometheusExtras = {}): string {
  const x = new Exposition()

  // ---- broker: topics and partitions
  const topicPartitions = x.family('eddy_topic_partitions', 'gauge', 'Partitions of the topic.')
  const logEnd = x.family('eddy_topic_partition_log_end_offset', 'gauge', 'Offset the next record appended to the partition will get (high watermark).')
  const logStart = x.family('eddy_topic_partition_log_start_offset', 'gauge', 'First offset still retained in the partition.')
  const sizeBytes = x.family('eddy_topic_partition_size_bytes', 'gauge', 'Bytes held by the partition log segments.')
  for (const t of snapshot.topics) {
    topicPartitions({ topic: t.name }, t.partitions.length)
    for (const p of t.partitions) {
      const labels = { topic: t.name, partition: p.partition }
      logEnd(labels, p.logEndOffset)
      logStart(labels, p.logStartOffset)
      if (p.sizeBytes !== undefined) sizeBytes(labels, p.sizeBytes)
    }
  }

  // ---- consumer groups
  const members = x.family('eddy_group_members', 'gauge', 'Members currently in the consumer group.')
  const generation = x.family('eddy_group_generation', 'gauge', 'Generation id of the consumer group (increments on every rebalance).')
  const committed = x.family('eddy_group_committed_offset', 'gauge', 'Offset the group has committed for the partition (the next record it will read).')
  const lag = x.family('eddy_group_lag', 'gauge', 'Records in the partition after the group committed offset: log end offset minus committed offset.')
  for (const g of snapshot.groups) {
    members({ group: g.groupId }, g.members.length)
    generation({ group: g.groupId }, g.generationId)
    for (const o of g.offsets) {
      const labels = { group: g.groupId, topic: o.topic, partition: o.partition }
      committed(labels, o.committed)
      lag(labels, o.lag)
    }
  }

  // ---- jobs
  const running = x.family('eddy_job_running', 'gauge', 'Whether the job is running (1) or not (0).')
  const parallelism = x.family('eddy_job_parallelism', 'gauge', 'Parallel instances of every operator of the job.')
  const recordsIn = x.family('eddy_job_operator_records_in_total', 'counter', 'Records the operator has received.')
  const recordsOut = x.family('eddy_job_operator_records_out_total', 'counter', 'Records the operator has emitted.')
  const watermark = x.family('eddy_job_operator_watermark_ms', 'gauge', 'Event-time watermark at the operator, in ms since the epoch (-Inf before the first, +Inf at end of input).')
  const queueDepth = x.family('eddy_job_operator_queue_depth', 'gauge', 'Batches waiting in the operator input queues; a growing value means backpressure.')
  const stateSize = x.family('eddy_job_operator_state_entries', 'gauge', 'Keyed state entries the operator holds (windows, timers, table rows, join buffers).')
  const late = x.family('eddy_job_operator_late_records_total', 'counter', 'Records the operator dropped as late.')
  const checkpoints = x.family('eddy_job_checkpoints_total', 'counter', 'Checkpoints that finished, by final status (completed or failed).')
  const inProgress = x.family('eddy_job_checkpoints_in_progress', 'gauge', 'Checkpoints started but not yet finished.')
  const lastDuration = x.family('eddy_job_last_checkpoint_duration_ms', 'gauge', 'Duration of the most recent finished checkpoint, in ms.')
  const lastBytes = x.family('eddy_job_last_checkpoint_bytes', 'gauge', 'Size of the most recent finished checkpoint, in bytes.')
  for (const job of snapshot.jobs) {
    const j = { job: job.name }
    running(j, job.status === 'running' ? 1 : 0)
    parallelism(j, job.parallelism)
    for (const op of job.operators) {
      const labels = { job: job.name, operator_id: op.id, operator: op.name, kind: op.kind }
      recordsIn(labels, op.recordsIn)
      recordsOut(labels, op.recordsOut)
      watermark(labels, op.watermark)
      queueDepth(labels, op.queueDepth)
      stateSize(labels, op.stateSize)
      late(labels, op.lateRecords)
    }
    const counts = totals.observe(job)
    checkpoints({ job: job.name, status: 'completed' }, counts.completed)
    checkpoints({ job: job.name, status: 'failed' }, counts.failed)
    inProgress(j, counts.inProgress)
    const last = lastFinished(job.checkpoints)
    if (last) {
      lastDuration(j, last.durationMs)
      lastBytes(j, last.bytes)
    }
  }

  // ---- the exporter itself
  x.family('eddy_scrape_errors', 'gauge', 'Problems met while collecting this scrape (a job whose metrics() threw, a topic deleted mid-way).')({}, snapshot.errors.length)
  if (extras.dashboardClients !== undefined) x.family('eddy_dashboard_clients', 'gauge', 'WebSocket clients connected to the dashboard.')({}, extras.dashboardClients)
  return x.text()
}

function lastFinished(list: readonly CheckpointMetrics[]): CheckpointMetrics | undefined {
  let best: CheckpointMetrics | undefined
  for (const c of list) if (c.status !== 'in-progress' && (!best || c.id > best.id)) best = c
  return best
}
